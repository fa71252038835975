"""RFC 9457 problem details for every error the app returns.

Every error leaves as ``application/problem+json`` with ``type``, ``title``,
``status``, ``detail``, ``instance`` and the request id. Internals (exception
text, SQL, file paths, stack traces) are logged, never sent: a 500 says only
that something failed and which request id to quote.

A :class:`~coe_framework.errors.CoeError` that leaves a view becomes the
problem its kind maps to in :data:`coe_framework.errors.KINDS` (bad input 422,
not found 404, conflict 409, unavailable 503 with ``Retry-After``); a bad input
naming a ``field`` lists it in ``errors`` as request validation does.
"""
from __future__ import annotations

import logging
from typing import Any, Mapping

from apiflask import APIFlask
from apiflask.exceptions import HTTPError
from flask import Request, Response, g, json, request
from werkzeug.exceptions import HTTPException

from coe_framework.errors import KINDS, BadInput, CoeError, Unavailable, first_line, kind_of

from .database import DATABASE_DOWN

log = logging.getLogger(__name__)

PROBLEM_MIMETYPE = "application/problem+json"
#: Base of the ``type`` URIs; each names a section of the API guide.
TYPE_BASE = "https://coe.invalid/problems/"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(HTTPError):
    """An error with a problem type, raised from views: ``raise Problem(409, "...")``."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ):
        super().__init__(status, detail, headers=dict(headers or {}))
        self.kind = kind
        self.extra = extra


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response for the current request."""
    title = _TITLES.get(status, "Error")
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "request_id": getattr(g, "request_id", None) or "-",
    }
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    g.problem_detail = detail
    return response


def field_errors(field: str, message: str, location: str | None = None) -> list[dict[str, str]]:
    """The ``errors`` list naming one request field (``location`` defaults to where this request carries input)."""
    where = location or ("query" if request.method in ("GET", "HEAD", "DELETE") else "json")
    return [{"location": where, "field": field, "message": message}]


def error_response(error: CoeError, headers: Mapping[str, str] | None = None) -> Response | None:
    """The problem :data:`~coe_framework.errors.KINDS` maps ``error`` to; None for an error of no kind."""
    kind = kind_of(error)
    if kind is None:
        return None
    detail = first_line(error) or _TITLES.get(kind.status, "Error")
    if kind is KINDS[BadInput] and error.field:
        return problem_response(422, f"invalid fields: {error.field}", kind=kind.problem_type,
                                errors=field_errors(error.field, detail), headers=headers)
    return problem_response(kind.status, detail, kind=kind.problem_type, headers=headers)


def _validation_errors(detail: Mapping[str, Any]) -> list[dict[str, str]]:
    """APIFlask's ``{location: {field: [messages]}}`` as a flat list."""
    out = []
    for location, fields in (detail or {}).items():
        if not isinstance(fields, Mapping):
            out.append({"location": str(location), "field": "", "message": str(fields)})
            continue
        for field, messages in fields.items():
            for message in messages if isinstance(messages, list) else [messages]:
                out.append({"location": str(location), "field": str(field), "message": str(message)})
    return out


def _safe_detail(error: HTTPError | HTTPException, status: int) -> str:
    if isinstance(error, Problem):
        return str(error.message)
    if isinstance(error, HTTPError):
        message = error.message
        return message if isinstance(message, str) and message else _TITLES.get(status, "Error")
    description = getattr(error, "description", None)
    return description if isinstance(description, str) and description else _TITLES.get(status, "Error")


def install(app: APIFlask, retry_after_seconds: int) -> None:
    """Route every error (HTTP, validation, database, unexpected) to a problem response."""

    @app.error_processor
    def _api_error(error: HTTPError) -> Response:
        status = int(error.status_code)
        headers = dict(error.headers or {})
        if status == 422 and not isinstance(error, Problem):
            errors = _validation_errors(error.detail)
            fields = ", ".join(sorted({e["field"] or e["location"] for e in errors}))
            return problem_response(422, f"invalid fields: {fields}" if fields else "invalid request", errors=errors, headers=headers)
        extra = dict(getattr(error, "extra", {}) or {})
        kind = getattr(error, "kind", None)
        if status == 429:
            headers.setdefault("Retry-After", str(retry_after_seconds))
        return problem_response(status, _safe_detail(error, status), kind=kind, headers=headers, **extra)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        status = error.code or 500
        headers = {k: v for k, v in (error.get_headers() if error.response is None else error.response.headers) if k.lower() in ("retry-after", "allow", "www-authenticate")}
        if status == 429:
            headers.setdefault("Retry-After", str(retry_after_seconds))
        detail = _safe_detail(error, status)
        if status == 413:
            detail = f"the request body is larger than {app.config.get('MAX_CONTENT_LENGTH')} bytes"
        return problem_response(status, detail, headers=headers)

    def _database_down(error: Exception) -> Response:
        log.warning("database unavailable (request %s): %s", getattr(g, "request_id", "-"), type(error).__name__)
        return problem_response(
            KINDS[Unavailable].status, "the database is unavailable; retry later", kind="database-unavailable",
            headers={"Retry-After": str(retry_after_seconds)},
        )

    @app.errorhandler(CoeError)
    def _coe_error(error: CoeError) -> Response:
        headers = {"Retry-After": str(retry_after_seconds)} if error.retryable else None
        response = error_response(error, headers)
        if response is None:  # a CoeError of no kind is a bug
            return _unexpected(error)
        if response.status_code >= 500:
            log.warning("request %s: %s", getattr(g, "request_id", "-"), first_line(error))
        return response

    for error_type in DATABASE_DOWN:
        app.register_error_handler(error_type, _database_down)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):  # pragma: no cover - handled above
            return _http_error(error)
        log.exception("unhandled error in request %s", getattr(g, "request_id", "-"))
        return problem_response(500, "an internal error occurred; quote the request id when reporting it")


class JsonRequest(Request):
    """A request whose malformed JSON body is a 400 problem with a clear detail."""

    def on_json_loading_failed(self, e: ValueError | None) -> Any:
        raise Problem(400, "the request body is not valid JSON", kind="malformed-json")
