"""The headline measures of a repository analysis, read inside the database.

Each :class:`Measure` is a JSON path into one analyzer's stored result
(``totals.functions``, ``complexity_percentiles.p90``, ``truck_factor.value``...),
the length of a JSON array there (:mod:`.json_length`), or the count of the
analysis' dependency rows. The portfolio sorts and filters by these
expressions (:mod:`.portfolio`); :func:`analysis_measures` reads them for
given analyses, and the dashboard keeps the outcome (:mod:`.chart_aggregates`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from .json_length import json_array_length
from .models import AnalysisResult, RepositoryAnalysis, TechDependency


@dataclass(frozen=True)
class Measure:
    """One headline figure: its label, the analyzer it comes from and how to read it in SQL."""

    label: str
    analyzer: str | None
    #: JSON path inside the analyzer's result (None for columns that are not JSON).
    path: tuple[str, ...] | None = None
    #: number, date, or count (the length of the JSON array at ``path``).
    kind: str = "number"


#: The measures a portfolio row holds, by key (also the sort keys and trend measures).
MEASURES: dict[str, Measure] = {
    "bytes": Measure("Size (bytes)", "techspec", ("language_totals", "bytes")),
    "files": Measure("Files", "ast", ("totals", "files")),
    "loc": Measure("Lines of code", "ast", ("totals", "loc")),
    "functions": Measure("Functions", "ast", ("totals", "functions")),
    "mean_complexity": Measure("Mean complexity", "ast", ("complexity_percentiles", "mean")),
    "p90_complexity": Measure("p90 complexity", "ast", ("complexity_percentiles", "p90")),
    "commits": Measure("Commits", "git", ("commits",)),
    "authors": Measure("Authors", "git", ("author_count",)),
    "truck_factor": Measure("Truck factor", "git", ("truck_factor", "value")),
    "hotspots": Measure("Hotspots", "git", ("hotspots",), kind="count"),
    "dependencies": Measure("Dependencies", None),
    "last_commit_at": Measure("Last commit", "git", ("last_commit_at",), kind="date"),
}
#: Sort keys that are not measures.
COLUMNS = ("name", "analyzed_at")
TREND_MEASURES = tuple(k for k, m in MEASURES.items() if m.kind in ("number", "count"))


def result_aliases(analyzers: Sequence[str]) -> dict[str, Any]:
    """One alias of ``analysis_results`` per analyzer, to join each analyzer's result once."""
    return {name: aliased(AnalysisResult, name=f"r_{name}") for name in analyzers}


def measure_columns(results: Mapping[str, Any], dependency_count: Any) -> dict[str, Any]:
    """The SQL expression of every measure, by key, over the joined result aliases."""
    columns: dict[str, Any] = {}
    for key, measure in MEASURES.items():
        if measure.analyzer is None:
            columns[key] = dependency_count
            continue
        columns[key] = _value(results[measure.analyzer], measure)
    return columns


def _value(result: Any, measure: Measure) -> Any:
    """The SQL expression of one measure read from an analyzer's result row."""
    assert measure.path is not None
    if measure.kind == "count":
        return json_array_length(result.data, measure.path[0])
    element = result.data[measure.path]
    return element.as_string() if measure.kind == "date" else element.as_float()


def joined_results(query: Any, analysis: Any, results: Mapping[str, Any]) -> Any:
    """``query`` outer-joined with each analyzer's succeeded result of ``analysis``."""
    for name, alias in results.items():
        query = query.outerjoin(alias, and_(alias.repository_analysis_id == analysis.id, alias.analyzer == name, alias.status == "succeeded"))
    return query


def dependency_counts() -> Any:
    """Dependency rows per repository analysis, as a subquery (``ra_id``, ``n``)."""
    return (
        select(TechDependency.repository_analysis_id.label("ra_id"), func.count().label("n"))
        .group_by(TechDependency.repository_analysis_id)
        .subquery("dependency_counts")
    )


def analysis_measures(session: Session, repository_analysis_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Every measure of each repository analysis, read inside the database from its stored results.

    The portfolio's own expressions (JSON paths, array lengths, the
    dependency row count), one statement for all the ids; the dashboard
    stores the outcome (:mod:`.chart_aggregates`), so each document is read
    for this once.
    """
    if not repository_analysis_ids:
        return {}
    analysis = aliased(RepositoryAnalysis, name="ra")
    results = result_aliases(("git", "ast", "techspec"))
    dependency_count = select(func.count()).where(TechDependency.repository_analysis_id == analysis.id).scalar_subquery()
    measures = measure_columns(results, dependency_count)
    query = joined_results(select(analysis.id, *[c.label(k) for k, c in measures.items()]).select_from(analysis), analysis, results)
    query = query.where(analysis.id.in_(list(repository_analysis_ids)))
    return {row["id"]: {key: row[key] for key in MEASURES} for row in session.execute(query).mappings()}
