"""After an analysis is stored: build its RAG documents and its correlations.

:func:`store_insights` is what the main job calls once every repository's
results are saved, and what ``coe rag export`` calls for an analysis stored
without documents. It reads the stored results, asks the plugins for
documents (reading files from each repository's git directory at the
analysed commit), replaces the stored documents of each repository
analysis, indexes them for search (embedding them when a provider is
configured), and for two or more repositories computes and stores every
pair's correlation.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from .correlate import correlate, facts_from_results
from ..db.engine import unit_of_work
from ..db.models import CorrelationAnalysis, Repository
from ..db.store import iso
from .rag.collect import build_documents
from .rag.storage import replace_documents
from .stored_analysis import StoredAnalysis, StoredRepository, load_analysis

log = logging.getLogger(__name__)


@dataclass
class InsightsSummary:
    """What :func:`store_insights` did, and what went wrong without stopping it."""

    documents: dict[str, int] = field(default_factory=dict)
    correlations: int = 0
    problems: list[str] = field(default_factory=list)
    #: What indexing for search did (documents indexed, embeddings), one line each.
    search: list[str] = field(default_factory=list)

    def notes(self) -> list[str]:
        """One line per fact, for the CLI and the job log."""
        lines = [f"{name}: {count} RAG documents" for name, count in self.documents.items()]
        if self.correlations:
            lines.append(f"correlations stored for {self.correlations} repository pair(s)")
        return lines + self.search + self.problems


def locate_git_dir(repository: StoredRepository) -> str | None:
    """The git directory to read ``repository`` from, or None when it is not at hand.

    A local source is opened where it is; a remote one through its mirror
    (cloned again when the workspace no longer has it), never fetched.
    """
    from ..repository.sources import SourceError, SourcePolicy, parse_source, prepare

    if not repository.commit:
        return None
    try:
        return str(prepare(parse_source(repository.url, SourcePolicy()), repository.commit, fetch=False).git_dir)
    except (SourceError, OSError) as exc:
        log.info("cannot open %s for documents: %s", repository.url, exc)
        return None


def store_documents(
    store: Any,
    analysis: StoredAnalysis,
    manager: Any,
    git_dirs: Mapping[str, str] | None = None,
    *,
    embed: bool = True,
) -> InsightsSummary:
    """Build every repository's documents and replace the stored ones.

    ``git_dirs`` maps a repository URL to its git directory (the main job
    knows them, and only those are read); without it, each repository is
    located with :func:`locate_git_dir`.
    """
    summary = InsightsSummary()
    for repo in analysis.repositories:
        git_dir = git_dirs.get(repo.url) if git_dirs is not None else locate_git_dir(repo)
        if git_dir is None:
            summary.problems.append(f"{repo.name}: repository not readable; documents made from results only")
        # Vectors are computed by the search indexer, once per document id (coe_framework.search.embedding).
        built = build_documents(manager, repo.descriptor(git_dir), repo.results, embed=False)
        for plugin, error in built.errors.items():
            summary.problems.append(f"{repo.name}: plugin {plugin} made no documents: {error}")
        with store.session() as session:
            summary.documents[repo.name] = replace_documents(session, repo.repository_analysis_id, built.documents)
    return summary


def store_correlations(store: Any, analysis: StoredAnalysis) -> int:
    """Correlate every pair of repositories with results and store the pairs; returns how many."""
    # Ordered by repository id: the stored pair's side "a" is the smaller id.
    analysed = sorted((r for r in analysis.repositories if r.results), key=lambda r: r.repository_id)
    if len(analysed) < 2:
        return 0
    facts = [facts_from_results(r.name, r.url, r.results) for r in analysed]
    pairs = [{**pair.to_dict(), "a": analysed[i].url, "b": analysed[j].url} for i, j, pair in correlate(facts)]
    return int(store.save_correlations(analysis.id, pairs))


def load(store: Any, analysis_id: int) -> StoredAnalysis:
    """Analysis ``analysis_id`` with its results, read in its own unit of work."""
    with unit_of_work(store.engine) as session:
        return load_analysis(session, analysis_id)


def store_insights(
    store: Any,
    analysis_id: int,
    manager: Any,
    git_dirs: Mapping[str, str] | None = None,
    *,
    embed: bool = True,
) -> InsightsSummary:
    """Build and store the documents and the correlations of analysis ``analysis_id``."""
    analysis = load(store, analysis_id)
    summary = store_documents(store, analysis, manager, git_dirs, embed=embed)
    summary.correlations = store_correlations(store, analysis)
    summary.search = index_for_search(store, analysis_id, manager, embed=embed)
    return summary


def index_for_search(store: Any, analysis_id: int, manager: Any, *, embed: bool = True) -> list[str]:
    """Index the stored documents of an analysis for search, and embed those without a vector.

    An embedding provider that fails leaves lexical search in place and a
    warning among the returned lines.
    """
    from ..search.embedding import embed_analysis
    from ..search.indexing import index_analysis

    with store.session() as session:
        lines = [f"search index: {index_analysis(session, analysis_id)} documents"]
    if embed:
        lines += embed_analysis(store, analysis_id, manager).notes()
    return lines


def publish_insights(store: Any, analysis_id: int, manager: Any, prepared: Sequence[Any] = ()) -> list[str]:
    """The main job's step after saving results: documents and correlations, never an error.

    ``prepared`` are the job's prepared repositories (their git directories
    are read for code and documentation). A failure here is logged and
    reported as a note; it never fails an analysis whose results are stored.
    """
    git_dirs = {p.source.url: str(p.git_dir) for p in prepared}
    try:
        return store_insights(store, analysis_id, manager, git_dirs).notes()
    except Exception as exc:  # noqa: BLE001 - derived data must not fail the analysis it derives from
        log.exception("RAG documents and correlations of analysis %s not stored", analysis_id)
        return [f"RAG documents and correlations not stored: {type(exc).__name__}: {exc}"]


def correlations_for(session: Session, analysis_id: int) -> list[dict[str, Any]]:
    """The stored correlations of an analysis, each with both repositories named, most similar first."""
    from .rag.storage import require_analysis

    require_analysis(session, analysis_id)
    rows = list(session.scalars(select(CorrelationAnalysis).where(CorrelationAnalysis.request_id == analysis_id)))
    repository_ids = {row.repository_a_id for row in rows} | {row.repository_b_id for row in rows}
    repos = {r.id: r for r in session.scalars(select(Repository).where(Repository.id.in_(repository_ids)))}

    def named(repository_id: int) -> dict[str, Any]:
        repo = repos.get(repository_id)
        return {"id": repository_id, "url": repo.url if repo else None, "name": repo.name if repo else None}

    found = [
        {
            "repository_a": named(row.repository_a_id),
            "repository_b": named(row.repository_b_id),
            "shared_dependencies": row.shared_dependencies,
            "shared_contributors": row.shared_contributors,
            "scores": row.scores,
            "similarity": row.similarity,
            "created_at": iso(row.created_at),
        }
        for row in rows
    ]
    return sorted(found, key=lambda c: (-(c["similarity"] or 0.0), c["repository_a"]["id"], c["repository_b"]["id"]))
