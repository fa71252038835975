"""A stored analysis as the exporters need it: each repository with its results.

One read: the request, its repository analyses with their repositories, and
the payloads of the analyzers that succeeded. Used by the RAG documents
build, the correlation, SARIF and the Markdown report.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from ..db.models import AnalysisRequest, AnalysisResult, RepositoryAnalysis
from ..db.store import NotFound, iso


@dataclass
class StoredRepository:
    """One repository of an analysis, pinned to its commit, with its results."""

    repository_analysis_id: int
    repository_id: int
    url: str
    name: str
    commit: str | None
    status: str
    #: analyzer name -> payload, for the analyzers that succeeded
    results: dict[str, Any] = field(default_factory=dict)
    #: analyzer name -> error, for the others
    errors: dict[str, str] = field(default_factory=dict)

    def descriptor(self, git_dir: str | None = None) -> dict[str, Any]:
        """The ``repository`` mapping the ``coe_rag_documents`` hook receives."""
        return {"url": self.url, "name": self.name, "commit": self.commit, "path": git_dir}


@dataclass
class StoredAnalysis:
    """An analysis request and its repositories."""

    id: int
    status: str
    created_at: str | None
    finished_at: str | None
    repositories: list[StoredRepository]


def load_analysis(session: Session, analysis_id: int, analyzers: Sequence[str] | None = None) -> StoredAnalysis:
    """Analysis ``analysis_id`` with every repository's results; ``NotFound`` if there is none.

    ``analyzers`` limits which payloads are read (they can be large).
    """
    request = session.scalars(
        select(AnalysisRequest)
        .where(AnalysisRequest.id == analysis_id)
        .options(selectinload(AnalysisRequest.repository_analyses).selectinload(RepositoryAnalysis.repository))
    ).first()
    if request is None:
        raise NotFound(f"analysis {analysis_id} does not exist")
    repositories = {
        ra.id: StoredRepository(ra.id, ra.repository_id, ra.repository.url, ra.repository.name, ra.commit_sha, ra.status)
        for ra in request.repository_analyses
    }
    query = (
        select(AnalysisResult.repository_analysis_id, AnalysisResult.analyzer, AnalysisResult.status, AnalysisResult.data, AnalysisResult.error)
        .where(AnalysisResult.repository_analysis_id.in_(list(repositories)))
        .order_by(AnalysisResult.id)
    )
    if analyzers is not None:
        query = query.where(AnalysisResult.analyzer.in_(list(analyzers)))
    rows = session.execute(query)
    for ra_id, analyzer, status, data, error in rows:
        if status == "succeeded" and data is not None:
            repositories[ra_id].results[analyzer] = data
        else:
            repositories[ra_id].errors[analyzer] = error or status
    return StoredAnalysis(request.id, request.status, iso(request.created_at), iso(request.finished_at), list(repositories.values()))
