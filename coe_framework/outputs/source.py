"""What an export format renders from: one stored analysis, read on demand.

:class:`ExportSource` is handed to a format's ``render``. Each part is read
from the database the first time it is asked for, once: the analysis with
the results of the format's analyzers, the known vulnerabilities of its
dependencies, its correlations, its RAG documents.
"""
from __future__ import annotations

import functools
from typing import Any, Iterator, Sequence

from sqlalchemy.orm import Session

from ..errors import Conflict, NotFound
from .stored_analysis import StoredAnalysis, StoredRepository, load_analysis


class ExportUnavailable(NotFound):
    """The analysis exists, but what the format needs is not there (a repository, a result)."""


class MissingRepository(ExportUnavailable):
    """The analysis has no repository of that id."""

    def __init__(self, analysis_id: int, repository_id: int):
        super().__init__(f"analysis {analysis_id} has no repository {repository_id}")
        self.analysis_id, self.repository_id = analysis_id, repository_id


class MissingResult(ExportUnavailable):
    """The repository has no succeeded result of the analyzer the format needs."""

    def __init__(self, analysis_id: int, analyzer: str, repository: str):
        super().__init__(f"analysis {analysis_id} has no succeeded {analyzer} result for {repository}")
        self.analysis_id, self.analyzer, self.repository = analysis_id, analyzer, repository


class SeveralRepositories(Conflict, ValueError):
    """A per-repository format was asked for an analysis of several repositories without naming one."""

    def __init__(self, analysis_id: int, choices: Sequence[tuple[int, str]]):
        names = ", ".join(f"{rid} ({name})" for rid, name in choices)
        super().__init__(f"analysis {analysis_id} has several repositories; pass the option repository, one of {names}")
        self.analysis_id, self.choices = analysis_id, list(choices)


class ExportSource:
    """One stored analysis as export formats read it (parts loaded lazily, once)."""

    def __init__(self, session: Session, analysis_id: int, analyzers: Sequence[str] | None = None):
        self.session = session
        self.analysis_id = analysis_id
        self.analyzers = None if analyzers is None else list(analyzers)

    @functools.cached_property
    def analysis(self) -> StoredAnalysis:
        """The analysis with its repositories and their results (``NotFound`` for an unknown one)."""
        return load_analysis(self.session, self.analysis_id, self.analyzers)

    @functools.cached_property
    def vulnerabilities(self) -> dict[int, list[dict[str, Any]]]:
        """Matched advisories by repository analysis id (every repository present, most without any)."""
        from ..vulns.queries import hits_by_analysis

        return hits_by_analysis(self.session, [r.repository_analysis_id for r in self.analysis.repositories])

    @functools.cached_property
    def correlations(self) -> list[dict[str, Any]]:
        """The stored correlations, most similar pair first."""
        from .insights import correlations_for

        return correlations_for(self.session, self.analysis_id)

    def rag_documents(self, kind: str | None = None, path: str | None = None) -> Iterator[dict[str, Any]]:
        """The stored RAG documents in storage order (``NotFound`` for an unknown analysis)."""
        from .rag.storage import iter_documents

        return iter_documents(self.session, self.analysis_id, kind, path)

    def one_repository(self, repository_id: int | None, analyzer: str) -> StoredRepository:
        """The repository a per-repository format renders, with a succeeded ``analyzer`` result.

        ``repository_id`` may be None when the analysis has one repository.
        """
        analysis = self.analysis
        candidates = [r for r in analysis.repositories if repository_id in (None, r.repository_id)]
        if not candidates:
            raise MissingRepository(self.analysis_id, repository_id or 0)
        if len(candidates) > 1:
            raise SeveralRepositories(self.analysis_id, [(r.repository_id, r.name) for r in candidates])
        repository = candidates[0]
        if repository.results.get(analyzer) is None:
            raise MissingResult(self.analysis_id, analyzer, repository.name)
        return repository
