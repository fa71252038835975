"""RAG documents in the database (table ``rag_analysis_results``).

Functions take a SQLAlchemy session (a CLI unit of work, a worker's, or the
web app's), so every caller shares one set of queries. ``analysis_id`` is
the id of an analysis request; documents belong to its repository analyses.
Listings use the store's opaque cursors (newest first), like every other
listing of the API.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ...db.models import AnalysisRequest, RagDocument, RepositoryAnalysis
from ...db.pagination import Page, paginate
from ...db.store import NotFound, iso
from .collect import Document

#: Rows fetched per round trip when streaming an export.
EXPORT_BATCH = 500


def replace_documents(session: Session, repository_analysis_id: int, documents: Iterable[Document | Mapping[str, Any]]) -> int:
    """Make ``documents`` the documents of one repository analysis; returns how many.

    Whatever that repository analysis had before is replaced, so building
    the documents again (a redelivered job, a rebuild) never duplicates one.
    """
    rows = []
    for document in documents:
        data = document.to_dict() if isinstance(document, Document) else dict(document)
        metadata = dict(data.get("metadata") or {})
        if data.get("embedding") is not None:
            # Vectors travel with the metadata column; document_dict() takes them out again.
            metadata["embedding"] = list(data["embedding"])
        rows.append({
            "document_id": str(data["id"]),
            "repository_analysis_id": repository_analysis_id,
            "kind": str(data["kind"]),
            "text": str(data["text"]),
            "meta": metadata,
        })
    session.execute(delete(RagDocument).where(RagDocument.repository_analysis_id == repository_analysis_id))
    for start in range(0, len(rows), EXPORT_BATCH):
        session.execute(insert(RagDocument), rows[start : start + EXPORT_BATCH])
    return len(rows)


def document_dict(row: RagDocument) -> dict[str, Any]:
    """A stored document as the API and the exporters show it."""
    metadata = dict(row.meta or {})
    embedding = metadata.pop("embedding", None)
    data = {
        "id": row.document_id,
        "kind": row.kind,
        "text": row.text,
        "metadata": metadata,
        "repository_analysis_id": row.repository_analysis_id,
        "created_at": iso(row.created_at),
    }
    if embedding is not None:
        data["embedding"] = embedding
    return data


def _query(analysis_id: int, kind: str | None, path: str | None) -> Any:
    owners = select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == analysis_id)
    query = select(RagDocument).where(RagDocument.repository_analysis_id.in_(owners))
    if kind:
        query = query.where(RagDocument.kind == kind)
    if path:
        query = query.where(RagDocument.meta["path"].as_string() == path)
    return query


def require_analysis(session: Session, analysis_id: int) -> None:
    """Raise :class:`~coe_framework.db.store.NotFound` unless analysis ``analysis_id`` exists."""
    if session.get(AnalysisRequest, analysis_id) is None:
        raise NotFound(f"analysis {analysis_id} does not exist")


def list_documents(
    session: Session,
    analysis_id: int,
    kind: str | None = None,
    path: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> Page:
    """One page of an analysis's documents, newest first, filtered by kind and by path.

    ``after`` is the ``next_cursor`` of the previous page. Raises
    ``NotFound`` for an unknown analysis and ``StoreError`` for a bad cursor
    or limit.
    """
    require_analysis(session, analysis_id)
    return paginate(session, _query(analysis_id, kind, path), RagDocument.id, limit=limit, cursor=after, serialize=document_dict)


def iter_documents(session: Session, analysis_id: int, kind: str | None = None, path: str | None = None) -> Iterator[dict[str, Any]]:
    """Every document of an analysis in storage order, fetched in batches (for exports)."""
    require_analysis(session, analysis_id)
    last = 0
    while True:
        rows = list(session.scalars(_query(analysis_id, kind, path).where(RagDocument.id > last).order_by(RagDocument.id).limit(EXPORT_BATCH)))
        if not rows:
            return
        vectors = stored_vectors(session, [row.document_id for row in rows])
        for row in rows:
            data = document_dict(row)
            if "embedding" not in data and row.document_id in vectors:
                data["embedding"] = vectors[row.document_id]
            yield data
        last = rows[-1].id


def stored_vectors(session: Session, document_ids: list[str]) -> dict[str, list[float]]:
    """The stored embedding of each document id that has one (the newest model's, if several)."""
    from ...db.models import VectorEmbedding
    from ...search.vectors import from_blob

    found: dict[str, list[float]] = {}
    query = select(VectorEmbedding.document_id, VectorEmbedding.vector).where(VectorEmbedding.document_id.in_(set(document_ids)))
    for doc_id, blob in session.execute(query.order_by(VectorEmbedding.id)):
        found[doc_id] = [float(v) for v in from_blob(blob)]
    return found
