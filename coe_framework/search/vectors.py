"""Embeddings in the database (``vector_embeddings``) and nearest-neighbour search.

Vectors are stored once per (stable document id, model) as little-endian
float32. Search is an exact cosine scan with numpy over every vector of the
model, held in memory per process and refreshed when the table changes
(new rows are appended; a deletion reloads). pgvector is not used yet: no
Debian 12 package of pgvector exists for this platform's PostgreSQL 15 (docs/search.md).
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.models import VectorEmbedding
from ..db.vectors import when_vectors_removed

#: Seconds a process trusts its count of a model's vectors (a deletion elsewhere is seen after this).
RECOUNT_SECONDS = 5.0
#: Rows inserted or loaded per round trip.
BATCH = 1000
EXACT_SCAN = "exact in-process scan (numpy, cosine)"


def to_blob(vector: Sequence[float]) -> bytes:
    """A vector as stored: little-endian float32."""
    return np.asarray(vector, dtype="<f4").tobytes()


def from_blob(blob: bytes) -> np.ndarray:
    """A stored vector as a float32 array."""
    return np.frombuffer(blob, dtype="<f4")


def known_ids(session: Session, model: str, document_ids: Sequence[str]) -> set[str]:
    """Which of ``document_ids`` already have a vector from ``model``."""
    from ..db.engine import chunks

    found: set[str] = set()
    for part in chunks(list(document_ids)):
        found.update(session.scalars(
            select(VectorEmbedding.document_id).where(VectorEmbedding.model == model, VectorEmbedding.document_id.in_(part))
        ))
    return found


def store_vectors(session: Session, model: str, vectors: Iterable[tuple[str, Sequence[float]]]) -> int:
    """Store each ``(document_id, vector)`` not stored yet for ``model``; returns how many were added."""
    pending = {doc_id: vector for doc_id, vector in vectors}
    if not pending:
        return 0
    for doc_id in known_ids(session, model, list(pending)):
        pending.pop(doc_id, None)
    rows = [{"document_id": d, "model": model, "dimension": len(v), "vector": to_blob(v)} for d, v in pending.items()]
    added = 0
    for start in range(0, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        try:
            with session.begin_nested():
                session.execute(VectorEmbedding.__table__.insert(), batch)
            added += len(batch)
        except IntegrityError:  # another writer stored some of them meanwhile: keep theirs
            for row in batch:
                try:
                    with session.begin_nested():
                        session.execute(VectorEmbedding.__table__.insert(), [row])
                    added += 1
                except IntegrityError:
                    pass
    return added


def models(session: Session) -> list[str]:
    """Every model with stored vectors."""
    return list(session.scalars(select(VectorEmbedding.model).distinct().order_by(VectorEmbedding.model)))


# --- exact scan ------------------------------------------------------------------------


@dataclass
class _Matrix:
    ids: list[str]
    rows: np.ndarray  # unit-length float32 vectors, one per id
    count: int
    max_id: int
    position: dict[str, int]
    counted_at: float = field(default_factory=time.monotonic)


_matrices: dict[tuple[str, str], _Matrix] = {}
_lock = threading.Lock()


def _forget_matrices() -> None:
    with _lock:  # this process reloads at once; others within RECOUNT_SECONDS
        _matrices.clear()


when_vectors_removed(_forget_matrices)


def _normalized(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (rows / norms).astype(np.float32, copy=False)


def _load(session: Session, model: str, after: int, dimension: int | None) -> tuple[list[str], list[np.ndarray], int]:
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    last = after
    while True:
        batch = session.execute(
            select(VectorEmbedding.id, VectorEmbedding.document_id, VectorEmbedding.vector)
            .where(VectorEmbedding.model == model, VectorEmbedding.id > last)
            .order_by(VectorEmbedding.id)
            .limit(BATCH * 10)
        ).all()
        if not batch:
            return ids, vectors, last
        for row_id, doc_id, blob in batch:
            vector = from_blob(blob)
            if dimension is None:
                dimension = len(vector)
            if len(vector) == dimension:  # a model reports one dimension; anything else is ignored
                ids.append(doc_id)
                vectors.append(vector)
        last = batch[-1][0]


def matrix(session: Session, model: str) -> _Matrix:
    """Every vector of ``model``, normalized, current with the table (cached per process)."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), model)
    max_id = int(session.scalar(select(func.max(VectorEmbedding.id)).where(VectorEmbedding.model == model)) or 0)
    cached = _matrices.get(key)
    # The newest id (an index lookup) shows additions at once; the count, which shows a
    # deletion elsewhere, costs a scan of the model's index and is read at most every few seconds.
    if cached is not None and cached.max_id == max_id and time.monotonic() - cached.counted_at < RECOUNT_SECONDS:
        return cached
    count = int(session.scalar(select(func.count()).where(VectorEmbedding.model == model)) or 0)
    with _lock:
        cached = _matrices.get(key)
        if cached is not None and cached.count == count and cached.max_id == max_id:
            cached.counted_at = time.monotonic()
            return cached
        if cached is not None and max_id > cached.max_id:
            ids, vectors, _ = _load(session, model, cached.max_id, cached.rows.shape[1] if cached.ids else None)
            if cached.count + len(ids) == count:  # only additions since: append
                rows = np.vstack([cached.rows, _normalized(np.vstack(vectors))]) if vectors else cached.rows
                all_ids = cached.ids + ids
                fresh = _Matrix(all_ids, rows, count, max_id, {d: i for i, d in enumerate(all_ids)})
                _matrices[key] = fresh
                return fresh
        ids, vectors, _ = _load(session, model, 0, None)
        rows = _normalized(np.vstack(vectors)) if vectors else np.zeros((0, 1), dtype=np.float32)
        fresh = _Matrix(ids, rows, count, max_id, {d: i for i, d in enumerate(ids)})
        _matrices[key] = fresh
        return fresh


def exact_nearest(session: Session, model: str, query: Sequence[float], limit: int, allowed: set[str] | None = None) -> list[tuple[str, float]]:
    """The ``limit`` documents most similar to ``query`` (cosine), among ``allowed`` ids when given."""
    found = matrix(session, model)
    if not found.ids or limit < 1:
        return []
    vector = np.asarray(query, dtype=np.float32)
    if vector.shape[0] != found.rows.shape[1]:
        return []
    norm = float(np.linalg.norm(vector)) or 1.0
    scores = found.rows @ (vector / norm)
    if allowed is not None:
        mask = np.full(scores.shape[0], -np.inf, dtype=np.float32)
        rows = [found.position[d] for d in allowed if d in found.position]
        mask[rows] = scores[rows]
        scores = mask
    take = min(limit, scores.shape[0])
    best = np.argpartition(-scores, take - 1)[:take]
    best = best[np.argsort(-scores[best])]
    return [(found.ids[i], float(scores[i])) for i in best if np.isfinite(scores[i])]
