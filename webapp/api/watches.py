"""``/api/v1/watches``: repositories kept analyzed (add, list, read, remove)."""
from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import current_app, url_for

from coe_framework.db.models import WatchedRepository
from coe_framework.db.store import iso
from coe_framework.errors import Conflict
from coe_framework.watch.intervals import parse_interval
from coe_framework.watch.registry import WatchError, WatchRegistry, WatchSpec, to_dict
from coe_framework.watch.secrets import generate_secret
from coe_framework.watch.settings import WatchSettings

from ..auth import require
from ..database import db
from ..pagination import page_response, paginate
from ..problems import Problem
from ..schemas import PageQuery
from ..watch_schemas import WatchCreate, WatchCreated, WatchOut, WatchPage
from .common import coe, not_found

bp = APIBlueprint("watches", __name__, tag="Watches")

_TIMES = ("next_due_at", "last_checked_at", "created_at")


def watch_settings() -> WatchSettings:
    """The watch settings of this app, read from the environment once."""
    settings = current_app.extensions.get("coe_watch")
    if settings is None:
        settings = current_app.extensions["coe_watch"] = WatchSettings.from_env()
    return settings


def watch_out(row: WatchedRepository) -> dict[str, Any]:
    data = to_dict(row)
    for key in _TIMES:
        data[key] = iso(data[key])
    return data


def _field_problem(exc: WatchError) -> Problem:
    if isinstance(exc, Conflict):
        return Problem(409, str(exc), kind="watch-conflict")
    field = exc.field or "url"
    return Problem(422, f"invalid fields: {field}", errors=[{"location": "json", "field": field, "message": str(exc)}])


@bp.post("/watches")
@require("write")
@bp.doc(
    summary="Watch a repository",
    description=(
        "The URL goes through the server's repository policy (https only, no private hosts, local paths only below "
        "allowed directories, no credentials). The watch is due at once; the scheduler queues an analysis whenever the "
        "ref's commit changes, and a signed webhook push does the same at once. 409 when the URL and ref are already "
        "watched, or a secret is given while COE_WEBHOOK_SECRET_KEY is not set."
    ),
    responses={409: "Already watched, or webhook secrets are not configured"},
)
@bp.input(WatchCreate, location="json", arg_name="body")
@bp.output(WatchCreated, status_code=201)
def create_watch(body: WatchCreate) -> Any:
    try:
        interval = parse_interval(body.interval)
    except ValueError as exc:
        raise _field_problem(WatchError(str(exc), "interval")) from None
    if body.generate_secret and body.secret is not None:
        raise _field_problem(WatchError("give secret or generate_secret, not both", "generate_secret"))
    secret = generate_secret() if body.generate_secret else body.secret
    spec = WatchSpec(body.url, body.ref, interval, body.analyzers, body.options, secret)
    try:
        watch = WatchRegistry(coe().engine).add(spec, origin="api", analyzers_known=coe().manager.analyzers,
                                                secret_key=watch_settings().secret_key)
    except WatchError as exc:
        raise _field_problem(exc) from None
    for key in _TIMES:
        watch[key] = iso(watch[key])
    if body.generate_secret:
        watch["secret"] = secret
    return watch, 201, {"Location": url_for("watches.get_watch", watch_id=watch["id"])}


@bp.get("/watches")
@require("read")
@bp.doc(summary="List watches", description="Newest first, with what each one's last check found.")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(WatchPage)
def list_watches(query: PageQuery) -> Any:
    statement = WatchRegistry(coe().engine).query()
    page = paginate(db.session, statement, WatchedRepository.id, limit=query.limit, cursor=query.cursor, serialize=watch_out)
    return page_response(page, query.limit)


@bp.get("/watches/<int:watch_id>")
@require("read")
@bp.doc(summary="One watch")
@bp.output(WatchOut)
def get_watch(watch_id: int) -> Any:
    row = db.session.get(WatchedRepository, watch_id)
    if row is None:
        raise not_found(f"watch {watch_id}")
    return watch_out(row)


@bp.delete("/watches/<int:watch_id>")
@require("write")
@bp.doc(summary="Stop watching", description="The watch's analyses stay.")
@bp.output({}, status_code=204)
def delete_watch(watch_id: int) -> Any:
    if not WatchRegistry(coe().engine).remove(watch_id):
        raise not_found(f"watch {watch_id}")
    return "", 204
