"""Helpers the resource blueprints share."""
from __future__ import annotations

import contextlib
import hashlib
from typing import Any, Iterator

from flask import Response, current_app, json, request

from coe_framework.db.store import Store

from .. import compression
from ..problems import Problem


def coe() -> Any:
    """The app's shared state (:class:`coe_webapp.app.CoeWeb`)."""
    return current_app.extensions["coe"]


def store() -> Store:
    return coe().store


def not_found(what: str) -> Problem:
    return Problem(404, f"{what} does not exist")


def strong_etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:40] + '"'


def etag_matches(etag: str) -> bool:
    """If-None-Match against ``etag`` (weak comparison, as RFC 9110 asks for this header)."""
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    if header.strip() == "*":
        return True
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in candidates


def json_bytes(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def cached_json_response(body: bytes, etag: str | None) -> Response:
    """A JSON response; with an ETag, 304 when the client already has it, and its compressed
    body kept for the next client (the ETag names these exact bytes)."""
    if etag is not None and etag_matches(etag):
        response = Response(status=304)
        response.headers["ETag"] = etag
        return response
    if etag is not None:
        compression.compress_once(etag)
    response = Response(body, status=200, mimetype="application/json")
    if etag is not None:
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return response


def finished_document_response(analysis_id: int, analysis: dict[str, Any], slot: str | None, body: bytes) -> Response:
    """Serve a results body; once the analysis finished, keep it in memory under ``slot`` with a strong ETag."""
    from coe_framework.db.models import FINISHED_STATUSES

    from ..result_documents import ResultDocument

    if analysis["status"] not in FINISHED_STATUSES:
        return cached_json_response(body, None)
    document = ResultDocument(analysis_id, analysis["created_at"], body, strong_etag(body))
    coe().results.put(slot, document)
    return cached_json_response(body, document.etag)


def result_out(result: dict[str, Any]) -> dict[str, Any]:
    """A stored result as the API shows it (internal keys such as cache keys left out): the one result document."""
    from coe_framework.outputs.documents import result_document

    return result_document(result)


@contextlib.contextmanager
def store_errors(analysis_id: int | None = None) -> Iterator[None]:
    """Store lookups as HTTP: a missing analysis is a 404 naming it; any other store error
    (a bad cursor or limit: a 422 naming the field) is left to the app's one mapping of errors."""
    from coe_framework.db.store import NotFound

    try:
        yield
    except NotFound:
        raise not_found(f"analysis {analysis_id}" if analysis_id is not None else "the resource") from None
