"""Embedding documents and queries through the ``coe_embed_documents`` plugins.

Vectors are computed once per (stable document id, model): documents whose
id already has a vector from the configured model (``coe_embedding_model``)
are not sent again, so analysing the same commit again embeds nothing. A
provider that raises, returns no vectors or runs past
``COE_EMBEDDINGS_TIMEOUT`` stops the embedding with a warning; the analysis
keeps its status and search stays lexical for what has no vector.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import RagDocument, RepositoryAnalysis
from ..errors import one_line
from .vectors import known_ids, store_vectors

log = logging.getLogger(__name__)

#: Documents handed to the providers per call.
EMBED_BATCH = 64
#: Seconds all embedding of one indexing may take (``COE_EMBEDDINGS_TIMEOUT``).
DEFAULT_TIMEOUT = 300.0
#: The model name recorded when a provider names none.
UNNAMED_MODEL = "unnamed"


@dataclass
class EmbeddingReport:
    """What one embedding pass did."""

    model: str | None = None
    embedded: int = 0
    reused: int = 0
    warnings: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """Lines for the CLI and the job log."""
        lines = []
        if self.model and (self.embedded or self.reused):
            lines.append(f"embeddings ({self.model}): {self.embedded} computed, {self.reused} reused")
        return lines + self.warnings


def timeout_seconds(env: dict[str, str] | None = None) -> float:
    """``COE_EMBEDDINGS_TIMEOUT``: the time budget of one embedding pass (seconds)."""
    if env is None:
        from ..settings import environ

        env = environ()
    raw = env.get("COE_EMBEDDINGS_TIMEOUT", "").strip()
    try:
        value = float(raw) if raw else DEFAULT_TIMEOUT
    except ValueError:
        return DEFAULT_TIMEOUT
    return value if value > 0 else DEFAULT_TIMEOUT


def has_provider(manager: Any) -> bool:
    """True when some plugin implements ``coe_embed_documents``."""
    return manager is not None and bool(manager.hook.coe_embed_documents.get_hookimpls())


def declared_model(manager: Any) -> str | None:
    """The model the providers say they embed with, or None."""
    try:
        model = manager.hook.coe_embedding_model()
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything
        log.warning("coe_embedding_model failed: %s", one_line(exc))
        return None
    return model if isinstance(model, str) and model.strip() else None


def _vector(item: dict[str, Any]) -> list[float] | None:
    vector = item.get("embedding")
    if isinstance(vector, (list, tuple)) and vector and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and v == v for v in vector
    ):
        return [float(v) for v in vector]
    return None


def embed_texts(manager: Any, items: Sequence[dict[str, Any]]) -> tuple[str | None, list[list[float] | None]]:
    """Call the providers on ``items`` (``id``, ``text``, ``metadata``); ``(model, vectors)``.

    Exceptions from providers propagate; the caller decides what a failure means.
    """
    payload = [{"id": i["id"], "text": i["text"], "metadata": dict(i.get("metadata") or {})} for i in items]
    manager.hook.coe_embed_documents(documents=payload)
    model = next((p["metadata"].get("embedding_model") for p in payload if isinstance(p["metadata"].get("embedding_model"), str)), None)
    return model, [_vector(p) for p in payload]


def embed_query(manager: Any, query: str) -> tuple[str | None, list[float] | None, str | None]:
    """``(model, vector, problem)`` for a search query; ``problem`` says why there is no vector."""
    if not has_provider(manager):
        return None, None, "no embedding provider configured"
    declared = declared_model(manager)
    try:
        model, vectors = embed_texts(manager, [{"id": "query", "text": query, "metadata": {}}])
    except Exception as exc:  # noqa: BLE001 - a provider may raise anything; search stays lexical
        log.warning("query embedding failed: %s", one_line(exc))
        return declared, None, f"embedding provider failed: {one_line(exc)[:200]}"
    if vectors[0] is None:
        reason = "embedding provider returned no vector for the query" if declared or model else "no embedding provider configured"
        return declared, None, reason
    return declared or model or UNNAMED_MODEL, vectors[0], None


def _documents(session: Session, analysis_id: int) -> list[dict[str, Any]]:
    owners = select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == analysis_id)
    rows = session.execute(
        select(RagDocument.document_id, RagDocument.text, RagDocument.meta)
        .where(RagDocument.repository_analysis_id.in_(owners))
        .order_by(RagDocument.id)
    ).all()
    unique: dict[str, dict[str, Any]] = {}
    for doc_id, text, meta in rows:
        metadata = {k: v for k, v in dict(meta or {}).items() if k != "embedding"}
        unique.setdefault(doc_id, {"id": doc_id, "text": text, "metadata": metadata})
    return list(unique.values())


def embed_analysis(store: Any, analysis_id: int, manager: Any, *, timeout: float | None = None) -> EmbeddingReport:
    """Store a vector for every document of analysis ``analysis_id`` that has none yet; never raises."""
    report = EmbeddingReport()
    if not has_provider(manager):
        return report
    budget = timeout if timeout is not None else timeout_seconds()
    declared = declared_model(manager)
    with store.session() as session:
        documents = _documents(session, analysis_id)
        if declared:
            done = known_ids(session, declared, [d["id"] for d in documents])
            report.reused = len(done)
            documents = [d for d in documents if d["id"] not in done]
    report.model = declared
    deadline = time.monotonic() + budget
    for start in range(0, len(documents), EMBED_BATCH):
        if time.monotonic() > deadline:
            report.warnings.append(
                f"embedding stopped after {budget:g} s (COE_EMBEDDINGS_TIMEOUT): {report.embedded + report.reused} of "
                f"{len(documents) + report.reused} documents have vectors; search is lexical for the rest"
            )
            break
        batch = documents[start : start + EMBED_BATCH]
        try:
            model, vectors = embed_texts(manager, batch)
        except Exception as exc:  # noqa: BLE001 - a provider failure must not fail the analysis
            report.warnings.append(f"embedding provider failed ({one_line(exc)[:300]}); search is lexical for documents without vectors")
            log.warning("analysis %s: %s", analysis_id, report.warnings[-1])
            break
        pairs = [(d["id"], v) for d, v in zip(batch, vectors) if v is not None]
        if not pairs and not declared and not model and not report.embedded:
            return report  # providers are installed but none is configured: nothing to say
        if len(pairs) < len(batch):
            report.warnings.append(f"embedding provider returned no vector for {len(batch) - len(pairs)} document(s)")
        report.model = report.model or model or UNNAMED_MODEL
        with store.session() as session:
            report.embedded += store_vectors(session, report.model, pairs)
    return report
