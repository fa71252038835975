"""Stored analyses and repositories as the browsing commands show them.

The documents are the API's, made by :mod:`coe_framework.outputs.documents`:
a result carries exactly the fields of the API's ``ResultOut``
(``RESULT_FIELDS``, checked by a test), and an analysis' results document is
``{"analysis_id", "status", "results"}`` as ``GET /api/v1/analyses/{id}/results``
answers it. Everything is read through
the :class:`~coe_framework.db.store.Store`.
"""
from __future__ import annotations

from typing import Any, Iterable, Sequence

from ..db.store import NotFound, Store
from .documents import results_document as build_results_document

def analysis_or_fail(store: Store, analysis_id: int) -> dict[str, Any]:
    """The analysis, or :class:`NotFound` naming it."""
    found = store.get_analysis(analysis_id)
    if found is None:
        raise NotFound(f"analysis {analysis_id} does not exist")
    return found


def results_document(store: Store, analysis_id: int, analyzer: str | None = None) -> dict[str, Any]:
    """``{"analysis_id", "status", "results": [...]}``, the API's results document."""
    analysis = analysis_or_fail(store, analysis_id)
    results = store.get_results(analysis_id, analyzer)
    if analyzer is not None and not results:
        raise NotFound(f"analysis {analysis_id} has no result from analyzer '{analyzer}'")
    return build_results_document(analysis_id, analysis["status"], results)


def repository_or_fail(store: Store, key: str) -> dict[str, Any]:
    """A repository by id, or by its stored URL; :class:`NotFound` otherwise."""
    found = store.get_repository(int(key)) if key.isdigit() else store.find_repository(key)
    if found is None:
        raise NotFound(f"repository {key} does not exist")
    return found


def short_time(iso_text: str | None) -> str:
    """``2026-12-03T08:42:07.123Z`` as ``2026-12-03 08:42``."""
    return (iso_text or "-")[:16].replace("T", " ")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> list[str]:
    """Left-aligned columns; the last column is not padded."""
    cells = [[str(c) for c in headers], *[["-" if c is None else str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return ["  ".join(cell.ljust(widths[i]) if i < len(headers) - 1 else cell for i, cell in enumerate(row)).rstrip() for row in cells]


def analysis_rows(analyses: Iterable[dict[str, Any]]) -> list[list[Any]]:
    """One line per analysis for ``coe analyses list``."""
    rows = []
    for a in analyses:
        names = ", ".join(ra["repository"]["name"] for ra in a["repository_analyses"]) or ", ".join(
            str(r.get("name") or r.get("url")) for r in a["repositories"] or [])
        rows.append([a["id"], a["status"], short_time(a["created_at"]), a["source"], ",".join(a["analyzers"] or ["all"]), names])
    return rows


def analysis_lines(analysis: dict[str, Any], results: list[dict[str, Any]], summaries: Any) -> list[str]:
    """``coe analyses show`` as text: the analysis, each repository, each analyzer's status and headline."""
    lines = [f"analysis {analysis['id']}  {analysis['status']}  created {short_time(analysis['created_at'])}"
             f"  finished {short_time(analysis['finished_at'])}  source {analysis['source']}"]
    if analysis.get("error"):
        lines.append(f"  error: {analysis['error']}")
    by_repository: dict[int, list[dict[str, Any]]] = {}
    for result in results:
        by_repository.setdefault(result["repository_analysis_id"], []).append(result)
    for ra in analysis["repository_analyses"]:
        commit = (ra["commit"] or "-")[:12]
        lines.append(f"{ra['repository']['name']}  {commit}  {ra['status']}  files={ra['file_count']} lines={ra['line_count']}"
                     f"  ({ra['duration'] or 0:.2f}s)  repository {ra['repository']['id']}")
        for result in by_repository.get(ra["id"], []):
            headline = summaries(result["analyzer"], result["data"]) if result["status"] == "succeeded" else {}
            extra = "  " + ", ".join(f"{k}={v}" for k, v in headline.items()) if headline else ""
            cached = " cached" if result["cached"] else ""
            error = f"  error: {result['error']}" if result["error"] else ""
            lines.append(f"  {result['analyzer']:<12} {result['status']:<10} {result['duration'] or 0:7.2f}s{cached}{extra}{error}")
    return lines
