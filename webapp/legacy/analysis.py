"""The original analysis routes: ``/api/v1/analyze``, ``/api/v1/results``, ``/api/v1/search`` and ``/api/v1/stats``.

An analysis submitted here goes through the native submission path
(:func:`coe_webapp.submission.validate_submission`, the store, the job
executor) with the analyzers its include flags select, and keeps its string
id in ``analysis_keys``. Results are built from the store's reads and, once
the analysis finished, served serialized from memory like the native
results.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from flask import Response, current_app, request
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coe_framework.analysis.cache import MemoryCache
from coe_framework.db.models import AnalysisKey, AnalysisRequest, RagDocument
from coe_framework.outputs.insights import correlations_for
from coe_framework.legacy import ids
from coe_framework.legacy.results import analysis_document, list_summaries
from coe_framework.search import SearchError, search

from ..api.analyses import _hand_to_executor, _listings_changed
from ..api.common import cached_json_response, coe, finished_document_response, json_bytes, store
from ..auth import current_principal
from ..database import db
from ..problems import Problem
from ..schemas import AnalysisCreate
from ..submission import validate_submission
from .blueprint import bp
from .errors import LegacyError, body, documents_body, field_error, from_problem, from_validation, query, read_json, require
from .schemas import (
    AnalyzeRequest, AnalyzeStarted, LegacyAnalysisResult, LegacySearchHit, LegacySearchRequest, RagStats, ResultsQuery,
    ResultSummary,
)

#: The result documents' cache slot for this form (beside the native per-analyzer slots).
DOCUMENT_SLOT = "original-api"


def analyzers_for(request: AnalyzeRequest) -> list[str]:
    """The analyzers the include flags select; git always runs."""
    return ["git"] + (["ast"] if request.include_ast else []) + (["techspec"] if request.include_tech_spec else [])


@bp.post("/api/v1/analyze")
@require("write")
@bp.doc(
    summary="Start an analysis (original form)",
    description=(
        "`include_ast` and `include_tech_spec` select the `ast` and `techspec` analyzers (`git` always runs); "
        "`branch` is the ref analysed. Sources follow the native rules. `analysis_id` is yours to choose "
        "(not all digits); a UUID otherwise. A taken `analysis_id` is a 400."
    ),
)
@body(AnalyzeRequest)
@bp.output(AnalyzeStarted)
def analyze(body: AnalyzeRequest, raw: Any) -> Any:
    analysis_id = body.analysis_id or str(uuid.uuid4())
    if db.session.scalar(select(AnalysisKey.request_id).where(AnalysisKey.key == analysis_id)) is not None:
        raise LegacyError(400, f"Analysis '{analysis_id}' already exists")
    try:
        native = AnalysisCreate.model_validate({
            "repositories": [{"url": r.url, "ref": r.branch, **({"name": r.name} if r.name else {})} for r in body.repositories],
            "analyzers": analyzers_for(body),
        })
    except ValidationError as exc:
        raise from_validation(exc, "body") from None
    try:
        submission = validate_submission(native, coe().manager)
    except Problem as problem:
        raise from_problem(problem) from None
    # group_name is accepted for compatibility; CoE has no grouping of analyses to keep it in.
    key = {"key": analysis_id, "include_correlation": body.include_correlation}
    try:
        created, _ = store().create_request(
            submission.repositories, analyzers=submission.analyzers, options=submission.options, priority=submission.priority,
            source="api", session_id=current_principal().session_id, request_hash=submission.request_hash, analysis_key=key,
        )
    except IntegrityError:  # a concurrent submission took this id first
        raise LegacyError(400, f"Analysis '{analysis_id}' already exists") from None
    _hand_to_executor(created["id"])
    _listings_changed()
    count = len(submission.repositories)
    return {"analysis_id": analysis_id, "status": "started", "message": f"Analysis started for {count} repositor{'y' if count == 1 else 'ies'}"}


def _resolved() -> MemoryCache:
    """String ids already looked up in this process (an id never moves while its analysis exists)."""
    extensions = current_app.extensions
    if "coe_legacy_ids" not in extensions:
        extensions["coe_legacy_ids"] = MemoryCache(max_entries=10_000)
    return extensions["coe_legacy_ids"]


def _resolve(analysis_id: str) -> int:
    """The request a string id names (remembered per process), or the original 404."""
    if analysis_id.isascii() and analysis_id.isdigit():
        number = int(analysis_id)
        if number >= 2**63:
            raise _missing(analysis_id)
        return number
    cache = _resolved()
    request_id = cache.get(analysis_id)
    if request_id is None:
        request_id = ids.resolve(db.session, analysis_id)
        if request_id is None:
            raise _missing(analysis_id)
        cache.put(analysis_id, request_id)
    return request_id


def _missing(analysis_id: str) -> LegacyError:
    rows = list_summaries(db.session, 5, 0)
    total = db.session.scalar(select(func.count()).select_from(AnalysisRequest)) or 0
    available = [row["analysis_id"] for row in rows]
    return LegacyError(404, {
        "message": f"Analysis '{analysis_id[:100]}' not found",
        "analysis_id": analysis_id[:100],
        "available_analysis_ids": available,
        "total_available": int(total),
        "suggestions": [
            "Check the analysis_id returned by POST /api/v1/analyze",
            "List analyses with GET /api/v1/results",
        ],
    })


@bp.get("/api/v1/results/<string:analysis_id>")
@require("read")
@bp.doc(
    summary="One analysis' results (original form)",
    description=(
        "Files, symbols, stack, metrics and commit of each repository, and the correlation, from CoE's measured "
        "results. A missing id is a 404 whose `detail` lists up to five available ids. Finished analyses "
        "carry a strong ETag (304 on If-None-Match)."
    ),
    responses={304: "Not modified (If-None-Match matched)"},
)
@bp.output(LegacyAnalysisResult)
def get_result(analysis_id: str) -> Any:
    request_id = _resolve(analysis_id)
    documents = coe().results
    cached = documents.get(request_id, DOCUMENT_SLOT)
    if cached is not None:
        return cached_json_response(cached.body, cached.etag)
    the_store = store()
    analysis = the_store.get_analysis(request_id)
    if analysis is None:
        # The remembered analysis is gone; the id may name a newer one now.
        _resolved().delete_many([analysis_id])
        request_id = _resolve(analysis_id)
        analysis = the_store.get_analysis(request_id)
        if analysis is None:
            raise _missing(analysis_id)
    key = ids.keys_for(db.session, [request_id]).get(request_id)
    results = the_store.get_results(request_id)
    correlations = correlations_for(db.session, request_id) if len(analysis["repository_analyses"]) > 1 else []
    document = analysis_document(analysis, results, correlations, ids.public_id(request_id, key), ids.shows_correlation(key))
    return finished_document_response(request_id, analysis, DOCUMENT_SLOT, json_bytes(document))


@bp.get("/api/v1/results")
@require("read")
@bp.doc(summary="List analyses (original form)", description="Newest first; `limit` and `offset` page through them.")
@query(ResultsQuery)
@bp.output(list[ResultSummary])
def list_results(query: ResultsQuery) -> Any:
    return Response(json_bytes(list_summaries(db.session, query.limit, query.offset)), mimetype="application/json")


@bp.get("/api/v1/stats")
@require("read")
@bp.doc(
    summary="RAG document count (original form)",
    description="Documents are rows of CoE's database, not files in a directory, so `persist_directory` is null.",
)
@bp.output(RagStats)
def stats() -> Any:
    total = db.session.scalar(select(func.count()).select_from(RagDocument)) or 0
    return {"total_documents": int(total), "persist_directory": None}



#: ``filter_metadata`` keys the original clients sent, mapped onto CoE's search filters.
SEARCH_FILTER_KEYS = {
    "analysis_id": "analysis",
    "repository": "repository",
    "repository_name": "repository",
    "repo_name": "repository",
    "repository_url": "repository",
    "commit": "commit",
    "type": "type",
    "document_type": "type",
    "language": "language",
    "path_prefix": "path_prefix",
}


def _search_arguments() -> LegacySearchRequest:
    """The request from its query string and, where one is sent, its JSON body (the body wins)."""
    fields: dict[str, Any] = request.args.to_dict()
    if isinstance(fields.get("filter_metadata"), str):
        try:
            fields["filter_metadata"] = json.loads(fields["filter_metadata"])
        except ValueError:
            raise field_error(["query", "filter_metadata"], "Input should be a valid JSON object", "json_invalid") from None
    if request.get_data(cache=True).strip():
        sent = read_json()
        if not isinstance(sent, dict):
            raise field_error(["body"], "Input should be a valid dictionary", "dict_type")
        fields.update(sent)
    try:
        return LegacySearchRequest.model_validate(fields)
    except ValidationError as exc:
        raise from_validation(exc, "body" if request.get_data(cache=True).strip() else "query") from None


def _search_filters(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    if not metadata:
        return None
    filters: dict[str, Any] = {}
    for key, value in metadata.items():
        target = SEARCH_FILTER_KEYS.get(key)
        if target is None:
            raise field_error(["body", "filter_metadata", key], f"unknown filter; use one of {', '.join(sorted(SEARCH_FILTER_KEYS))}")
        if target == "analysis":
            try:
                value = _resolve(str(value))
            except LegacyError:
                raise field_error(["body", "filter_metadata", key], "no analysis has this id") from None
        filters[target] = value
    return filters


@bp.post("/api/v1/search")
@require("read")
@bp.doc(
    summary="Search RAG documents (original form)",
    description=(
        "`query`, `k` (default 5) and `filter_metadata`, as query parameters or a JSON body. The same search as "
        "`POST /api/v1/rag-documents/search`; each hit is `{content, metadata, score}`."
    ),
)
@documents_body(LegacySearchRequest, optional=True)
@bp.output(list[LegacySearchHit])
def search_documents() -> Any:
    arguments = _search_arguments()
    try:
        page = search(db.session, arguments.query, k=arguments.k, filters=_search_filters(arguments.filter_metadata), manager=coe().manager)
    except SearchError as exc:
        location = ["body", *exc.field.replace("filters", "filter_metadata").split(".")]
        raise field_error(location, str(exc)) from None
    hits = [{"content": hit["text"], "metadata": hit["metadata"], "score": hit["score"]} for hit in page.items]
    return Response(json_bytes(hits), mimetype="application/json")
