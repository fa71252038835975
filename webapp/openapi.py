"""The OpenAPI document: generated from the views' Pydantic models, then
completed with the error responses every operation can give.

Each error is ``application/problem+json`` (RFC 9457) with the ``Problem``
schema; 429 and 503 document ``Retry-After``. Listings document ``Link``.
"""
from __future__ import annotations

from typing import Any

from apiflask import APIFlask
from pydantic import BaseModel

from .problems import PROBLEM_MIMETYPE
from .schemas import EVENT_NAMES, AnalysisEvent

DESCRIPTION = """CoE analyzes Git repositories with pluggable analyzers.

Authenticate with `Authorization: Bearer coe_...` (scopes `read`, `write`, `admin`).
Listings are paginated with cursors: follow the `Link: <...>; rel="next"` header.
Every error is `application/problem+json` (RFC 9457) carrying a `request_id`.
"""

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "instance", "request_id"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "field", "message"],
                "properties": {"location": {"type": "string"}, "field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_REASONS = {
    "400": "Malformed request (for example, a body that is not JSON)",
    "401": "Missing, invalid, expired or revoked token",
    "403": "The token lacks the scope this operation needs",
    "404": "Not found",
    "409": "Conflict with the resource's current state",
    "413": "Request body too large",
    "415": "Request body is not JSON",
    "422": "Validation failed; `errors` lists the fields",
    "429": "Rate limit exceeded; retry after `Retry-After` seconds",
    "500": "Internal error; quote the request id",
    "503": "Database unavailable; retry after `Retry-After` seconds",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}}
_LINK = {"Link": {"description": 'The next page: `<url>; rel="next"` (absent on the last page)', "schema": {"type": "string"}}}


def _problem(code: str) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": _REASONS.get(code, "Error"),
        "content": {PROBLEM_MIMETYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if code in ("429", "503"):
        response["headers"] = dict(_RETRY_AFTER)
    return response


#: Request headers an operation honours, documented as parameters.
_HEADERS = {
    ("/api/v1/analyses", "post"): [{
        "name": "Idempotency-Key", "in": "header", "required": False,
        "description": "A repeated submission with the same key returns the first analysis",
        "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    }],
}
#: Operations whose success is not JSON.
_TEXT_RESPONSES = {
    ("/metrics", "get"): "text/plain",
    ("/api/v1/analyses/{analysis_id}/events", "get"): "text/event-stream",
}


#: Event streams: the event names and the schema of each event's JSON data
#: (``x-`` extensions: OpenAPI 3.1 has no field for the items of a stream).
_EVENT_DOCS = {
    ("/api/v1/analyses/{analysis_id}/events", "get"): {
        "x-event-names": list(EVENT_NAMES),
        "x-event-data": {"$ref": "#/components/schemas/AnalysisEvent"},
    },
}


def _add_model(components: dict[str, Any], name: str, model: type[BaseModel]) -> None:
    """Put ``model``'s JSON Schema in the components, its nested models as ``name.Nested``."""
    schema = model.model_json_schema(ref_template=f"#/components/schemas/{name}.{{model}}")
    for nested, definition in schema.pop("$defs", {}).items():
        components[f"{name}.{nested}"] = definition
    components[name] = schema


def complete_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Give every operation the error responses it can return, as problem+json."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    _add_model(components, "AnalysisEvent", AnalysisEvent)
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            operation.setdefault("parameters", []).extend(_HEADERS.get((path, method), []))
            media = _TEXT_RESPONSES.get((path, method))
            if media is not None:
                responses["200"]["content"] = {media: {"schema": {"type": "string"}, **_EVENT_DOCS.get((path, method), {})}}
            codes = {code for code in responses if code[0] in "45"}
            codes |= {"500", "503"}
            if path.startswith("/api/"):
                codes.add("429")
            if operation.get("security"):
                codes |= {"401", "403"}
            if "requestBody" in operation:
                codes |= {"400", "413", "415", "422"}
            if any(p.get("in") == "query" for p in operation.get("parameters", [])):
                codes.add("422")
            if "{" in path:
                codes.add("404")
            for code in codes:
                responses[code] = _problem(code)
            if "304" in responses:
                responses["304"].pop("content", None)
            ok = responses.get("200")
            if ok is not None and method == "get" and _is_page(ok):
                ok.setdefault("headers", {}).update(_LINK)
    for name in ("HTTPError", "ValidationError"):
        components.pop(name, None)
    from .legacy.errors import original_error_responses

    return original_error_responses(spec)


def _is_page(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return str(schema.get("$ref", "")).endswith("Page")


def install(app: APIFlask) -> None:
    def process(spec: dict[str, Any]) -> dict[str, Any]:
        from .api.exports import document_export_media_types

        document_export_media_types(spec, app.extensions["coe"].manager)
        return complete_spec(spec)

    app.spec_processor(process)
