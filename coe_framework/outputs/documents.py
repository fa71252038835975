"""The one document shape of a stored result and of an analysis.

The API (``GET /api/v1/analyses/{id}/results``, ``ResultOut``), the browsing
commands (``coe analyses show --format json``) and ``coe analyze --format
json`` all serialize results through :func:`result_document`, so a result
carries the same keys (:data:`RESULT_FIELDS`) wherever it is read; a test
checks them against the API's models. ``coe analyze`` keeps the run's own
keys (``options_hash``, ``cache_key``, ``stats``) beside them.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping

#: The keys of one result in every document (internal ones such as cache keys left out).
RESULT_FIELDS = ("id", "repository_analysis_id", "repository", "commit", "analyzer", "version", "status",
                 "data", "error", "duration", "cached", "created_at")
#: The keys of an analysis in the API's documents, and of each repository it was asked for.
ANALYSIS_FIELDS = ("id", "status", "progress", "progress_message", "error", "repositories", "analyzers", "options",
                   "priority", "cancel_requested", "created_at", "started_at", "finished_at", "repository_analyses")
SUBMITTED_FIELDS = ("url", "name", "ref")


def result_document(result: Mapping[str, Any]) -> dict[str, Any]:
    """A stored result (the store's result dict) as every document shows it."""
    return {key: result.get(key) for key in RESULT_FIELDS}


def analysis_document(analysis: Mapping[str, Any]) -> dict[str, Any]:
    """A stored analysis as the API shows it (job internals such as hashes and keys left out)."""
    out = {key: analysis.get(key) for key in ANALYSIS_FIELDS}
    out["repositories"] = [{key: r.get(key) for key in SUBMITTED_FIELDS} for r in analysis.get("repositories") or []]
    return out


def results_document(analysis_id: int, status: str, results: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """``{"analysis_id", "status", "results": [...]}``, an analysis' results document."""
    return {"analysis_id": analysis_id, "status": status, "results": [result_document(r) for r in results]}


def run_document(repositories: Iterable[Any], extra: Mapping[str, Any], stored: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """``coe analyze --format json``: each repository's outcome, its results keyed by analyzer.

    ``repositories`` are the run's outcomes (``to_dict()``); ``stored`` the
    results as stored, when the run was stored: each analyzer's entry then
    carries the result document's keys too (its id, repository, commit,
    creation time), the run's own values kept where both have a key.
    """
    by_key = {(r["repository"]["url"], r["analyzer"]): result_document(r) for r in stored}
    out = []
    for outcome in repositories:
        item = outcome.to_dict()
        url = item["repository"]["url"]
        item["results"] = {name: {**by_key.get((url, name), {}), **result} for name, result in item["results"].items()}
        out.append(item)
    return {"repositories": out, **extra}
