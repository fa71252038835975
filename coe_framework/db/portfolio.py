"""Headline measures of every repository's latest analysis, and of each analysis over time.

One SQL statement per page: the newest finished repository analysis of each
repository, joined with the succeeded ``git``, ``ast`` and ``techspec``
results of that analysis, whose headline figures are read inside the
database through JSON paths (``totals.functions``,
``complexity_percentiles.p90``, ``truck_factor.value``...) or counted
there (the length of ``hotspots``, see :mod:`.json_length`). Result documents
never leave the database, so sorting and filtering thousands of
repositories costs one indexed query, on SQLite, PostgreSQL and MariaDB
alike. A measure an analyzer did not produce (not selected, failed) is None.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from ..errors import BadInput
from .chart_aggregates import measures as stored_measures
from .engine import read
from .headline import (
    COLUMNS, MEASURES, TREND_MEASURES, Measure, analysis_measures, dependency_counts, joined_results, measure_columns, result_aliases,
)
from .models import AnalysisRequest, AnalysisResult, CodeFile, Repository, RepositoryAnalysis
from .timestamps import iso

__all__ = [
    "COLUMNS", "MEASURES", "SHOWN_STATUSES", "TREND_MEASURES", "Measure", "PortfolioError", "PortfolioPage", "analysis_measures",
    "analyzer_errors", "latest_repository_analysis", "measure_history", "newest_repository_analysis", "portfolio_page", "read",
    "result_outcomes", "result_payloads",
]

#: Repository analyses whose results are shown (a partial one shows what it has).
SHOWN_STATUSES = ("succeeded", "partial")


class PortfolioError(BadInput, ValueError):
    """A sort key, measure or page that does not exist (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass
class PortfolioPage:
    """One page of the portfolio: rows, the total matching, and where the page is."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def portfolio_page(engine: Engine, *, sort: str = "name", descending: bool = False, name: str | None = None,
                   language: str | None = None, page: int = 1, per_page: int = 50) -> PortfolioPage:
    """Repositories with the measures of their latest shown analysis, sorted, filtered and paginated.

    ``name`` matches part of the repository's name (case-insensitive);
    ``language`` keeps repositories with a file the code analyzer read in that language.
    Repositories never analyzed successfully are listed with empty measures.
    """
    if sort not in MEASURES and sort not in COLUMNS:
        raise PortfolioError(f"unknown sort key '{sort}' (one of {', '.join((*COLUMNS, *MEASURES))})")
    if page < 1 or not 1 <= per_page <= 500:
        raise PortfolioError("page must be 1 or more and per_page between 1 and 500")
    latest = (
        select(RepositoryAnalysis.repository_id, func.max(RepositoryAnalysis.id).label("ra_id"))
        .where(RepositoryAnalysis.status.in_(SHOWN_STATUSES))
        .group_by(RepositoryAnalysis.repository_id)
        .subquery("latest")
    )
    analysis = aliased(RepositoryAnalysis, name="ra")
    results = result_aliases(("git", "ast", "techspec"))
    counts = dependency_counts()
    measures = measure_columns(results, func.coalesce(counts.c.n, 0))
    languages = results["techspec"].data[("languages",)]
    query = (
        select(Repository.id, Repository.name, Repository.url, analysis.id.label("ra_id"), analysis.request_id, analysis.status,
               analysis.finished_at, analysis.commit_sha, languages.label("languages"), *[c.label(k) for k, c in measures.items()])
        .select_from(Repository)
        .outerjoin(latest, latest.c.repository_id == Repository.id)
        .outerjoin(analysis, analysis.id == latest.c.ra_id)
        .outerjoin(counts, counts.c.ra_id == analysis.id)
    )
    query = joined_results(query, analysis, results)
    filters: list[ColumnElement[bool]] = []
    if name:
        escaped = name.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        filters.append(func.lower(Repository.name).like(f"%{escaped}%", escape="\\"))
    if language:
        # The code analyzer's normalized file rows, never a JSON path built from user input.
        filters.append(select(CodeFile.id).where(CodeFile.repository_analysis_id == analysis.id,
                                                 func.lower(CodeFile.language) == language.lower()).exists())
    if filters:
        query = query.where(*filters)
    order = {"name": func.lower(Repository.name), "analyzed_at": analysis.finished_at, **measures}[sort]
    # Rows without the measure go last in either direction; the id keeps pages stable.
    query = query.order_by(order.is_(None), order.desc() if descending else order.asc(), Repository.id)

    def read_page(session: Session) -> PortfolioPage:
        total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
        rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).mappings().all()
        return PortfolioPage([_row(r) for r in rows], int(total), page, per_page)

    return read(engine, read_page)


def _row(row: Mapping[Any, Any]) -> dict[str, Any]:
    languages = row["languages"] if isinstance(row["languages"], Mapping) else {}
    top = sorted(((n, v.get("bytes") or 0) for n, v in languages.items() if isinstance(v, Mapping)), key=lambda i: -i[1])
    return {
        "id": row["id"],
        "name": row["name"],
        "url": row["url"],
        "repository_analysis_id": row["ra_id"],
        "analysis_id": row["request_id"],
        "status": row["status"],
        "analyzed_at": iso(row["finished_at"]),
        "commit": row["commit_sha"],
        "languages": [name for name, _bytes in top[:3]],
        **{key: row[key] for key in MEASURES},
    }


def measure_history(engine: Engine, repository_ids: Sequence[int], measure: str, *, limit: int = 50) -> dict[int, list[dict[str, Any]]]:
    """``measure`` over each repository's shown analyses, oldest first (at most ``limit`` newest each).

    The values come from each analysis' stored measures (computed once per
    analysis, see :func:`.chart_aggregates.measures`), never from reading
    every stored document again.
    """
    if measure not in TREND_MEASURES:
        raise PortfolioError(f"unknown measure '{measure}' (one of {', '.join(TREND_MEASURES)})")
    if not repository_ids:
        return {}
    query = (
        select(RepositoryAnalysis.repository_id, RepositoryAnalysis.id, RepositoryAnalysis.request_id, RepositoryAnalysis.commit_date,
               RepositoryAnalysis.finished_at)
        .where(RepositoryAnalysis.repository_id.in_(list(repository_ids)), RepositoryAnalysis.status.in_(SHOWN_STATUSES))
        .order_by(RepositoryAnalysis.id.desc())
    )

    def read_page(session: Session) -> dict[int, list[dict[str, Any]]]:
        history: dict[int, list[dict[str, Any]]] = {int(i): [] for i in repository_ids}
        for repo_id, ra_id, request_id, commit_date, finished_at in session.execute(query):
            points = history[repo_id]
            if len(points) < limit:
                points.append({"repository_analysis_id": ra_id, "analysis_id": request_id, "commit_date": iso(commit_date),
                               "analyzed_at": iso(finished_at)})
        return history

    history = read(engine, read_page)
    values = stored_measures(engine, [p["repository_analysis_id"] for points in history.values() for p in points])
    for points in history.values():
        for point in points:
            point["value"] = values.get(point["repository_analysis_id"], {}).get(measure)
    return {repo: list(reversed(points)) for repo, points in history.items()}


def latest_repository_analysis(engine: Engine, repository_id: int) -> dict[str, Any] | None:
    """The newest shown repository analysis of one repository (id, request, commit, status), or None."""

    def read_page(session: Session) -> dict[str, Any] | None:
        row = session.execute(
            select(RepositoryAnalysis.id, RepositoryAnalysis.request_id, RepositoryAnalysis.commit_sha, RepositoryAnalysis.status,
                   RepositoryAnalysis.finished_at, RepositoryAnalysis.commit_date)
            .where(RepositoryAnalysis.repository_id == repository_id, or_(*[RepositoryAnalysis.status == s for s in SHOWN_STATUSES]))
            .order_by(RepositoryAnalysis.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return {"id": row[0], "analysis_id": row[1], "commit": row[2], "status": row[3], "analyzed_at": iso(row[4]), "commit_date": iso(row[5])}

    return read(engine, read_page)


def result_outcomes(engine: Engine, analysis_id: int) -> dict[int, list[dict[str, Any]]]:
    """Each analyzer's status, error and duration per repository analysis of one analysis (no payloads read)."""

    def read_page(session: Session) -> dict[int, list[dict[str, Any]]]:
        query = (
            select(AnalysisResult.repository_analysis_id, AnalysisResult.analyzer, AnalysisResult.status, AnalysisResult.error,
                   AnalysisResult.duration, AnalysisResult.cached)
            .join(RepositoryAnalysis, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
            .where(RepositoryAnalysis.request_id == analysis_id)
            .order_by(AnalysisResult.repository_analysis_id, AnalysisResult.analyzer)
        )
        found: dict[int, list[dict[str, Any]]] = {}
        for ra_id, analyzer, status, error, duration, cached in session.execute(query):
            found.setdefault(ra_id, []).append({"analyzer": analyzer, "status": status, "error": error, "duration": duration, "cached": cached})
        return found

    return read(engine, read_page)


def result_payloads(engine: Engine, repository_analysis_id: int, *, only: Sequence[str] | None = None,
                    exclude: Sequence[str] = ()) -> dict[str, Any]:
    """Succeeded payloads of one repository analysis by analyzer; only the named analyzers' documents are read."""
    query = select(AnalysisResult.analyzer, AnalysisResult.data).where(
        AnalysisResult.repository_analysis_id == repository_analysis_id, AnalysisResult.status == "succeeded")
    if only is not None:
        query = query.where(AnalysisResult.analyzer.in_(list(only)))
    if exclude:
        query = query.where(AnalysisResult.analyzer.not_in(list(exclude)))
    query = query.order_by(AnalysisResult.id)
    return read(engine, lambda s: {name: data for name, data in s.execute(query) if data is not None})


def analyzer_errors(engine: Engine, repository_analysis_id: int) -> dict[str, str]:
    """Each analyzer of a repository analysis that did not succeed, with its error (or status); no payload is read."""
    query = (select(AnalysisResult.analyzer, AnalysisResult.status, AnalysisResult.error)
             .where(AnalysisResult.repository_analysis_id == repository_analysis_id, AnalysisResult.status != "succeeded")
             .order_by(AnalysisResult.id))
    return read(engine, lambda s: {name: error or status for name, status, error in s.execute(query)})


def newest_repository_analysis(engine: Engine, repository_id: int) -> dict[str, Any] | None:
    """The newest repository analysis of one repository whatever its status (id, request, status, error), or None.

    When it is not shown (queued, running, failed, cancelled), the page says
    so beside the latest analysis that is; ``error`` is the request's error,
    else the first analyzer error of that repository analysis.
    """

    def read_page(session: Session) -> dict[str, Any] | None:
        row = session.execute(
            select(RepositoryAnalysis.id, RepositoryAnalysis.request_id, RepositoryAnalysis.status, AnalysisRequest.error)
            .join(AnalysisRequest, AnalysisRequest.id == RepositoryAnalysis.request_id)
            .where(RepositoryAnalysis.repository_id == repository_id)
            .order_by(RepositoryAnalysis.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        error = row[3]
        if error is None and row[2] not in SHOWN_STATUSES:  # read only when the page will say it
            error = session.scalar(
                select(AnalysisResult.error).where(AnalysisResult.repository_analysis_id == row[0], AnalysisResult.error.is_not(None))
                .order_by(AnalysisResult.id).limit(1))
        return {"id": row[0], "analysis_id": row[1], "status": row[2], "error": error}

    return read(engine, read_page)
