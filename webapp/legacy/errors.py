"""The original services' error forms, their input validation and their authentication.

On these routes a bad body or query is a 422 whose ``detail`` lists
``{loc, msg, type}`` (the first element of ``loc`` is ``body`` or
``query``), and a refusal or a missing resource is a 400 or 404 whose
``detail`` says why. Authentication, rate limiting, oversized bodies and
internal errors keep CoE's problem+json, as everywhere else.
"""
from __future__ import annotations

import json
from functools import wraps
from typing import Any, Callable, Iterable, TypeVar

from apiflask import APIBlueprint
from apiflask.exceptions import HTTPError
from apiflask.scaffold import _annotate
from flask import Response, current_app, g, request
from pydantic import BaseModel, ValidationError

from ..auth import LOCAL_USER, Principal
from ..auth import require as auth_require
from ..config import is_loopback_host
from ..problems import Problem

F = TypeVar("F", bound=Callable[..., Any])
#: Statuses answered in the original form; others stay problem+json.
ORIGINAL_STATUSES = frozenset({400, 404, 409, 422})


class LegacyError(Exception):
    """An error in the original form: ``{"detail": detail}`` with ``status``."""

    def __init__(self, status: int, detail: Any):
        super().__init__(status, detail)
        self.status = status
        self.detail = detail


def field_error(loc: Iterable[Any], msg: str, kind: str = "value_error") -> LegacyError:
    """A 422 naming one field, as the original services' validation did."""
    return LegacyError(422, [{"loc": list(loc), "msg": msg, "type": kind}])


def from_validation(exc: ValidationError, location: str) -> LegacyError:
    """Pydantic's errors in the original form."""
    return LegacyError(422, [{"loc": [location, *e["loc"]], "msg": e["msg"], "type": e["type"]} for e in exc.errors()])


def from_problem(problem: Problem) -> LegacyError:
    """A native 422 (``errors`` with dotted fields) in the original form."""
    errors = problem.extra.get("errors") or []
    if not errors:
        return LegacyError(problem.status_code, str(problem.message))
    detail = []
    for error in errors:
        loc: list[Any] = ["body"]
        loc.extend(int(part) if part.isdigit() else part for part in str(error.get("field") or "").split(".") if part)
        detail.append({"loc": loc, "msg": str(error.get("message")), "type": "value_error"})
    return LegacyError(422, detail)


def _response(status: int, detail: Any) -> Response:
    g.problem_detail = detail if isinstance(detail, str) else json.dumps(detail)[:500]
    return Response(json.dumps({"detail": detail}), status=status, mimetype="application/json")


def install(bp: APIBlueprint) -> None:
    """Answer this blueprint's errors in the original form."""

    @bp.errorhandler(LegacyError)
    def _legacy(error: LegacyError) -> Response:
        return _response(error.status, error.detail)

    @bp.errorhandler(HTTPError)
    def _http(error: HTTPError) -> Any:
        status = int(error.status_code)
        if status in ORIGINAL_STATUSES:
            message = error.message if isinstance(error.message, str) else "Bad request"
            if isinstance(error, Problem) and status == 422:
                return _legacy(from_problem(error))
            return _response(status, message)
        return current_app.error_callback(error)  # type: ignore[attr-defined]


def read_json() -> Any:
    """The request's JSON body; a missing or malformed body is a 422 in the original form."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise field_error(["body"], "Field required", "missing")
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        position = getattr(exc, "pos", 0)
        raise field_error(["body", position], "JSON decode error", "json_invalid") from None


def body(model: type[BaseModel]) -> Callable[[F], F]:
    """Validate the JSON body with ``model`` (errors in the original form); the view gets ``body`` and ``raw``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            raw = read_json()
            try:
                parsed = model.model_validate(raw)
            except ValidationError as exc:
                raise from_validation(exc, "body") from None
            return view(*args, body=parsed, raw=raw, **kwargs)

        return documents_body(model)(wrapper)  # type: ignore[return-value]

    return decorator


def documents_body(model: type[BaseModel], *, optional: bool = False) -> Callable[[F], F]:
    """Describe ``model`` as the JSON body in the OpenAPI document, leaving validation to the view.

    ``optional``: a request without a body is the view's to read (from its query string).
    """

    def decorator(view: F) -> F:
        view._spec = dict(getattr(view, "_spec", {}))  # type: ignore[attr-defined]
        _annotate(view, body=model, body_example=None, body_examples=None, content_type="application/json")
        if optional:
            view._spec["body_optional"] = True  # type: ignore[attr-defined]
        return view

    return decorator


def query(model: type[BaseModel]) -> Callable[[F], F]:
    """Validate the query string with ``model`` (errors in the original form); the view gets ``query``."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                parsed = model.model_validate(request.args.to_dict())
            except ValidationError as exc:
                raise from_validation(exc, "query") from None
            return view(*args, query=parsed, **kwargs)

        spec = dict(getattr(view, "_spec", {}))
        spec["args"] = list(spec.get("args") or []) + [(model, "query")]
        wrapper._spec = spec  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def _loopback_without_token() -> Principal | None:
    """With ``COE_LEGACY_LOOPBACK_WITHOUT_TOKEN``, a loopback client that sends no token acts as the local user."""
    settings = current_app.extensions["coe"].settings
    if settings.legacy_loopback_without_token and "Authorization" not in request.headers and is_loopback_host(request.remote_addr or ""):
        return LOCAL_USER
    return None


def require(scope: str) -> Callable[[F], F]:
    """CoE's bearer-token check, with the loopback exception of :func:`_loopback_without_token`."""
    return auth_require(scope, tokenless=_loopback_without_token)


#: The original error bodies, for the OpenAPI document.
DETAIL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {"detail": {"oneOf": [{"type": "string"}, {"type": "object"}]}},
}
VALIDATION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"oneOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        }
    },
}
_DESCRIPTIONS = {"400": "Refused; `detail` says why", "404": "Not found; `detail` says what", "409": "Conflict; `detail` says what",
                 "422": "Validation failed; `detail` lists `{loc, msg, type}`"}


TAG = "Original API"


def original_error_responses(spec: dict[str, Any]) -> dict[str, Any]:
    """Document the original error forms on the original routes (after the problem+json defaults)."""
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    components["LegacyDetail"] = DETAIL_SCHEMA
    components["LegacyValidationError"] = VALIDATION_SCHEMA
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or TAG not in (operation.get("tags") or []):
                continue
            for code in list(operation["responses"]):
                if code in _DESCRIPTIONS:
                    schema = "LegacyValidationError" if code == "422" else "LegacyDetail"
                    operation["responses"][code] = {
                        "description": _DESCRIPTIONS[code],
                        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
                    }
    return spec
