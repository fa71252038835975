"""``/api/v1/analyses``: submit, list, read, follow, cancel and delete analyses."""
from __future__ import annotations

import json as stdjson
import logging
import time
from typing import Any, Iterator

from apiflask import APIBlueprint
from flask import Response, request, stream_with_context, url_for

from coe_framework.db.models import FINISHED_STATUSES
from coe_framework.db.store import StoreError
from coe_framework.outputs.documents import results_document

from ..auth import current_principal, require
from ..database import DATABASE_DOWN
from ..pagination import page_response
from ..problems import Problem
from ..schemas import AnalysisCreate, AnalysisEvent, AnalysisListQuery, AnalysisOut, AnalysisPage, EventRepository, ResultsOut
from ..submission import same_submission, validate_submission
from .common import cached_json_response, coe, finished_document_response, json_bytes, not_found, store, store_errors

log = logging.getLogger(__name__)
bp = APIBlueprint("analyses", __name__, tag="Analyses")

_IDEMPOTENCY_KEY_MAX = 255


def _get(analysis_id: int) -> dict[str, Any]:
    found = store().get_analysis(analysis_id)
    if found is None:
        raise not_found(f"analysis {analysis_id}")
    return found


def _location(analysis_id: int) -> str:
    return url_for("analyses.get_analysis", analysis_id=analysis_id)


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip().strip('"')
    if not key or len(key) > _IDEMPOTENCY_KEY_MAX or not key.isprintable():
        raise Problem(400, f"Idempotency-Key must be 1 to {_IDEMPOTENCY_KEY_MAX} printable characters")
    return key


@bp.post("/analyses")
@require("write")
@bp.doc(
    summary="Submit an analysis",
    description=(
        "Validates the repositories (hostile input: https only, no private hosts, local paths only below "
        "allowed directories), analyzers and options, queues the analysis and answers 202 with its Location. "
        "With `Idempotency-Key`, a repeated submission returns the first one. When every repository's commit "
        "is known (an allowed local path, or a full commit SHA as ref) and an earlier analysis of the same "
        "commits with the same analyzers and options succeeded, that analysis is returned with 200."
    ),
    responses={
        200: {
            "description": "An equal analysis already exists, or the Idempotency-Key was used before",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AnalysisOut"}}},
        }
    },
)
@bp.input(AnalysisCreate, location="json", arg_name="body")
@bp.output(AnalysisOut, status_code=202, description="Queued; follow the Location header")
def create_analysis(body: AnalysisCreate) -> Any:
    principal = current_principal()
    key = _idempotency_key()
    the_store = store()
    if key is not None:
        existing = the_store.find_request_by_idempotency_key(key)
        if existing is not None:
            return _replay(existing, key, body)
    submission = validate_submission(body, coe().manager)
    if submission.request_hash is not None:
        done = the_store.find_request_by_hash(submission.request_hash, statuses=("succeeded",))
        if done is not None:
            return done, 200, {"Location": _location(done["id"])}
    try:
        created, is_new = the_store.create_request(
            submission.repositories,
            analyzers=submission.analyzers,
            options=submission.options,
            priority=submission.priority,
            source="api",
            session_id=principal.session_id,
            idempotency_key=key,
            request_hash=submission.request_hash,
        )
    except StoreError as exc:
        raise Problem(422, str(exc)) from None
    if not is_new and key is not None:  # a concurrent submission with the same key won
        return _replay(created, key, body)
    _hand_to_executor(created["id"])
    _listings_changed()
    return created, 202, {"Location": _location(created["id"])}


def _replay(existing: dict[str, Any], key: str, body: AnalysisCreate) -> Any:
    submission = validate_submission(body, coe().manager)
    if not same_submission(existing, submission):
        raise Problem(422, "this Idempotency-Key was already used for a different request", kind="idempotency-key-reused")
    status = 200 if existing["status"] in FINISHED_STATUSES else 202
    return existing, status, {"Location": _location(existing["id"]), "Idempotent-Replayed": "true"}


def _hand_to_executor(analysis_id: int) -> None:
    submit = coe().submit
    if submit is None:
        return
    try:
        submit(analysis_id)
    except Exception:  # noqa: BLE001 - the row stays queued; a worker or the reaper takes it
        log.exception("could not hand analysis %s to the executor; it stays queued", analysis_id)


@bp.get("/analyses")
@require("read")
@bp.doc(summary="List analyses", description="Newest first; filter by status and by repository (id or URL).")
@bp.input(AnalysisListQuery, location="query", arg_name="query")
@bp.output(AnalysisPage)
def list_analyses(query: AnalysisListQuery) -> Any:
    the_coe = coe()
    ttl = the_coe.settings.list_cache_seconds
    key = request.query_string.decode("latin-1")
    if ttl > 0:
        hit = the_coe.listings.get(key)
        if hit is not None and time.monotonic() - hit[0] < ttl:
            return Response(hit[1], mimetype="application/json", headers=hit[2])
    repository: int | str | None = query.repository
    if isinstance(repository, str) and repository.isdigit():
        repository = int(repository)
    with store_errors():
        page = store().list_analyses(limit=query.limit, cursor=query.cursor, status=query.status, repository=repository)
    body, _status, headers = page_response(page, query.limit)
    payload = json_bytes(AnalysisPage.model_validate(body).model_dump(mode="json"))
    if ttl > 0:
        the_coe.listings.put(key, (time.monotonic(), payload, headers))
    return Response(payload, mimetype="application/json", headers=headers)


@bp.get("/analyses/<int:analysis_id>")
@require("read")
@bp.doc(summary="One analysis", description="Status, progress and per-repository status.")
@bp.output(AnalysisOut)
def get_analysis(analysis_id: int) -> Any:
    return _get(analysis_id)


def _results_response(analysis_id: int, analyzer: str | None) -> Response:
    """Finished results are immutable: serialized once, served with a strong ETag from memory."""
    documents = coe().results
    cached = documents.get(analysis_id, analyzer)
    if cached is not None:
        return cached_json_response(cached.body, cached.etag)
    analysis = _get(analysis_id)
    results = store().get_results(analysis_id, analyzer)
    finished = analysis["status"] in FINISHED_STATUSES
    if analyzer is not None and finished and not results:
        raise Problem(404, f"analysis {analysis_id} has no result from analyzer '{analyzer}'")
    body = json_bytes(results_document(analysis_id, analysis["status"], results))
    return finished_document_response(analysis_id, analysis, analyzer, body)


@bp.get("/analyses/<int:analysis_id>/results")
@require("read")
@bp.doc(
    summary="Every result of an analysis",
    description="One entry per repository and analyzer. Finished analyses carry a strong ETag (304 on If-None-Match).",
    responses={304: "Not modified (If-None-Match matched)"},
)
@bp.output(ResultsOut)
def get_results(analysis_id: int) -> Any:
    return _results_response(analysis_id, None)


@bp.get("/analyses/<int:analysis_id>/results/<string:analyzer>")
@require("read")
@bp.doc(
    summary="One analyzer's results",
    description="The analyzer's result for each repository of the analysis, with a strong ETag once finished.",
    responses={304: "Not modified (If-None-Match matched)"},
)
@bp.output(ResultsOut)
def get_analyzer_results(analysis_id: int, analyzer: str) -> Any:
    return _results_response(analysis_id, analyzer)


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {stdjson.dumps(data, separators=(',', ':'))}\n\n"


def _snapshot(analysis: dict[str, Any]) -> dict[str, Any]:
    """An event's data, built through its documented schema (``AnalysisEvent``)."""
    return AnalysisEvent(
        id=analysis["id"],
        status=analysis["status"],
        progress=analysis["progress"],
        progress_message=analysis["progress_message"],
        repositories=[
            EventRepository(name=ra["repository"]["name"], status=ra["status"], commit=ra["commit"])
            for ra in analysis["repository_analyses"]
        ],
    ).model_dump()


@bp.get("/analyses/<int:analysis_id>/events")
@require("read")
@bp.doc(
    summary="Follow an analysis (Server-Sent Events)",
    description=(
        "`progress` events whenever status or progress change, then one `done` event when the analysis "
        "finishes (or `timeout` when the stream's time limit is reached). Comments keep the connection alive."
    ),
)
def analysis_events(analysis_id: int) -> Response:
    return event_stream(_get(analysis_id))


def event_stream(first: dict[str, Any]) -> Response:
    """Server-Sent Events following the analysis ``first`` until it finishes (the API's and the dashboard's stream)."""
    analysis_id = first["id"]
    the_store = store()
    settings = coe().settings

    def stream() -> Iterator[str]:
        analysis, last, started, last_sent = first, None, time.monotonic(), time.monotonic()
        while True:
            snapshot = _snapshot(analysis)
            if snapshot != last:
                yield _event("progress", snapshot)
                last, last_sent = snapshot, time.monotonic()
            if analysis["status"] in FINISHED_STATUSES:
                yield _event("done", snapshot)
                return
            if time.monotonic() - started > settings.events_max_seconds:
                yield _event("timeout", snapshot)
                return
            if time.monotonic() - last_sent > 15:
                yield ": keep-alive\n\n"
                last_sent = time.monotonic()
            time.sleep(settings.events_poll_seconds)
            try:
                analysis = the_store.get_analysis(analysis_id) or {**analysis, "status": "cancelled"}
            except DATABASE_DOWN:
                continue  # keep the stream; the next poll may succeed

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(stream()), mimetype="text/event-stream", headers=headers)


@bp.post("/analyses/<int:analysis_id>/cancel")
@require("write")
@bp.doc(
    summary="Cancel an analysis",
    description="A queued analysis is cancelled at once; a running one stops between analyzers or file batches.",
    responses={409: "The analysis already finished"},
)
@bp.output(AnalysisOut, status_code=202)
def cancel_analysis(analysis_id: int) -> Any:
    the_store = store()
    current = _get(analysis_id)
    if current["status"] in FINISHED_STATUSES:
        raise Problem(409, f"analysis {analysis_id} already finished ({current['status']})")
    if not the_store.request_cancel(analysis_id):
        raise Problem(409, f"analysis {analysis_id} already finished")
    cancel = coe().cancel
    if cancel is not None:
        try:
            cancel(analysis_id)
        except Exception:  # noqa: BLE001 - the flag in the row is what workers obey
            log.exception("executor could not be told to cancel analysis %s", analysis_id)
    _listings_changed()
    return _get(analysis_id), 202


@bp.delete("/analyses/<int:analysis_id>")
@require("write")
@bp.doc(
    summary="Delete an analysis",
    description="Deletes a finished analysis and everything found in it; cancel a running one first.",
    responses={409: "The analysis has not finished"},
)
@bp.output({}, status_code=204)
def delete_analysis(analysis_id: int) -> Any:
    current = _get(analysis_id)
    if current["status"] not in FINISHED_STATUSES:
        raise Problem(409, f"analysis {analysis_id} is {current['status']}; cancel it first")
    analyzers = {r["analyzer"] for r in store().get_results(analysis_id)}
    if not store().delete_analysis(analysis_id):
        raise not_found(f"analysis {analysis_id}")
    # This process forgets at once; others within result_recheck_seconds.
    coe().results.forget(analysis_id, analyzers)
    _listings_changed()
    return ""


def _listings_changed() -> None:
    """A write in this process makes its cached listings stale."""
    coe().listings.clear()
