"""Filling ``search_index`` from stored RAG documents.

An analysis indexes its documents at the end of its run
(:func:`coe_framework.outputs.insights.store_insights`); ``coe search reindex`` does
it again for one analysis or for all. Rows are written here only, in
batches, each followed by the engine's own step (SQLite adds the batch to
FTS5 in one statement). A document's index row goes with it: the foreign key
cascades, and on SQLite a trigger removes its FTS5 terms.
"""
from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db.models import RagDocument, RepositoryAnalysis, SearchIndexEntry
from .lexical import backend_for
from .tokenize import index_text

#: Documents read and index rows written per round trip.
BATCH = 500
#: Metadata fields that name a document (weighted above its body).
NAME_FIELDS = ("path", "symbol", "title")


def names_of(kind: str, metadata: dict[str, Any]) -> str:
    """The text of a document's names field: its kind, path, symbol and title."""
    parts = [kind] + [str(metadata[name]) for name in NAME_FIELDS if metadata.get(name)]
    return " ".join(parts)


def index_row(pk: int, repository_analysis_id: int, kind: str, text: str, metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``search_index`` row of one document."""
    language = metadata.get("language")
    path = metadata.get("path")
    return {
        "document_pk": pk,
        "repository_analysis_id": repository_analysis_id,
        "kind": kind,
        "language": str(language).lower()[:64] if language else None,
        "path": str(path)[:4096] if path else None,
        "names": index_text(names_of(kind, metadata)),
        "body": index_text(text),
    }


def _insert(session: Session, backend: Any, batch: list[dict[str, Any]]) -> None:
    # Core executemany: the ORM's bulk insert added its bookkeeping to every row.
    session.execute(SearchIndexEntry.__table__.insert(), batch)
    backend.added(session, [row["document_pk"] for row in batch])


def _write(session: Session, rows: Iterable[Any]) -> int:
    backend = backend_for(session)
    batch: list[dict[str, Any]] = []
    count = 0
    for row in rows:
        batch.append(index_row(row.id, row.repository_analysis_id, row.kind, row.text, dict(row.meta or {})))
        if len(batch) >= BATCH:
            _insert(session, backend, batch)
            count, batch = count + len(batch), []
    if batch:
        _insert(session, backend, batch)
        count += len(batch)
    return count


def _documents(session: Session, owners: Any) -> Iterable[Any]:
    """The documents of the repository analyses ``owners`` selects, in batches."""
    last = 0
    while True:
        query = select(RagDocument.id, RagDocument.repository_analysis_id, RagDocument.kind, RagDocument.text, RagDocument.meta)
        if owners is not None:
            query = query.where(RagDocument.repository_analysis_id.in_(owners))
        rows = session.execute(query.where(RagDocument.id > last).order_by(RagDocument.id).limit(BATCH)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def index_analysis(session: Session, analysis_id: int) -> int:
    """(Re)build the index rows of every document of analysis ``analysis_id``; returns how many."""
    owners = select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == analysis_id)
    session.execute(delete(SearchIndexEntry).where(SearchIndexEntry.repository_analysis_id.in_(owners)))
    return _write(session, _documents(session, owners))


def index_everything(session: Session) -> int:
    """(Re)build the whole index; returns how many documents it holds."""
    session.execute(delete(SearchIndexEntry))
    return _write(session, _documents(session, None))
