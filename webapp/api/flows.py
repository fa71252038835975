"""``/api/v1/flows``: LangFlow flow definitions, mirrored to the flows directory.

Deleting is soft (``deleted_at``) and frees the name for a new flow. A flow is
addressed by its id or by its name.
"""
from __future__ import annotations

import logging
import uuid
from pathlib import Path
from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from coe_framework.db.models import LangFlow, utcnow
from coe_framework.db.store import iso

from ..auth import require
from ..database import db
from ..flowfiles import remove_flow, write_flow
from ..pagination import page_response, paginate
from ..problems import Problem
from ..schemas import FlowCreate, FlowListQuery, FlowOut, FlowPage, FlowPatch
from .common import coe, not_found

log = logging.getLogger(__name__)
bp = APIBlueprint("flows", __name__, tag="Flows")


def flow_out(flow: LangFlow) -> dict[str, Any]:
    return {
        "id": flow.flow_id,
        "name": flow.name,
        "description": flow.description,
        "data": flow.data or {},
        "is_active": bool(flow.is_active),
        "created_at": iso(flow.created_at),
        "updated_at": iso(flow.updated_at),
    }


def _flows_dir() -> Path:
    return Path(coe().settings.flows_dir)


def _live(ref: str) -> LangFlow:
    flow = db.session.execute(
        select(LangFlow).where(LangFlow.deleted_at.is_(None), or_(LangFlow.flow_id == ref, LangFlow.name == ref))
    ).scalars().first()
    if flow is None:
        raise not_found(f"flow '{ref[:100]}'")
    return flow


def _name_taken(name: str, except_id: int | None = None) -> bool:
    statement = select(LangFlow.id).where(LangFlow.name == name, LangFlow.deleted_at.is_(None))
    if except_id is not None:
        statement = statement.where(LangFlow.id != except_id)
    return db.session.scalar(statement) is not None


def _commit_and_mirror(flow: LangFlow, old_name: str | None = None) -> None:
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise Problem(409, f"a flow named '{flow.name}' already exists") from None
    directory = _flows_dir()
    try:
        if flow.deleted_at is not None:
            remove_flow(directory, flow.name)
            return
        if old_name and old_name != flow.name:
            remove_flow(directory, old_name)
        write_flow(directory, flow)
    except OSError as exc:  # the database is the source of truth; the mirror catches up on the next change
        log.warning("could not mirror flow '%s' to the flows directory: %s", flow.name, exc.strerror or type(exc).__name__)


@bp.post("/flows")
@require("write")
@bp.doc(summary="Create a flow", responses={409: "A live flow has this name"})
@bp.input(FlowCreate, location="json", arg_name="body")
@bp.output(FlowOut, status_code=201)
def create_flow(body: FlowCreate) -> Any:
    if _name_taken(body.name):
        raise Problem(409, f"a flow named '{body.name}' already exists")
    flow = LangFlow(flow_id=str(uuid.uuid4()), name=body.name, description=body.description, data=body.data, is_active=body.is_active)
    db.session.add(flow)
    _commit_and_mirror(flow)
    return flow_out(flow), 201, {"Location": f"/api/v1/flows/{flow.flow_id}"}


@bp.get("/flows")
@require("read")
@bp.doc(summary="List flows", description="Live flows, newest first; filter by name (substring) and active flag.")
@bp.input(FlowListQuery, location="query", arg_name="query")
@bp.output(FlowPage)
def list_flows(query: FlowListQuery) -> Any:
    statement = select(LangFlow).where(LangFlow.deleted_at.is_(None))
    if query.name:
        escaped = query.name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        statement = statement.where(LangFlow.name.like(f"%{escaped}%", escape="\\"))
    if query.is_active is not None:
        statement = statement.where(LangFlow.is_active.is_(query.is_active))
    page = paginate(db.session, statement, LangFlow.id, limit=query.limit, cursor=query.cursor, serialize=flow_out)
    return page_response(page, query.limit)


@bp.get("/flows/<string:ref>")
@require("read")
@bp.doc(summary="One flow", description="By id or by name.")
@bp.output(FlowOut)
def get_flow(ref: str) -> Any:
    return flow_out(_live(ref))


@bp.put("/flows/<string:ref>")
@require("write")
@bp.doc(summary="Replace a flow", description="Every field is replaced; omitted optional fields take their defaults.", responses={409: "Another live flow has this name"})
@bp.input(FlowCreate, location="json", arg_name="body")
@bp.output(FlowOut)
def replace_flow(ref: str, body: FlowCreate) -> Any:
    flow = _live(ref)
    if _name_taken(body.name, except_id=flow.id):
        raise Problem(409, f"a flow named '{body.name}' already exists")
    old_name = flow.name
    flow.name, flow.description, flow.data, flow.is_active = body.name, body.description, body.data, body.is_active
    flow.updated_at = utcnow()
    _commit_and_mirror(flow, old_name)
    return flow_out(flow)


@bp.patch("/flows/<string:ref>")
@require("write")
@bp.doc(summary="Update part of a flow", description="Only the fields given change.", responses={409: "Another live flow has this name"})
@bp.input(FlowPatch, location="json", arg_name="body")
@bp.output(FlowOut)
def patch_flow(ref: str, body: FlowPatch) -> Any:
    flow = _live(ref)
    changes = body.model_dump(exclude_unset=True)
    if changes.get("name") is not None and _name_taken(changes["name"], except_id=flow.id):
        raise Problem(409, f"a flow named '{changes['name']}' already exists")
    old_name = flow.name
    for key in ("name", "data", "is_active"):
        if changes.get(key) is not None:
            setattr(flow, key, changes[key])
    if "description" in changes:
        flow.description = changes["description"]
    flow.updated_at = utcnow()
    _commit_and_mirror(flow, old_name)
    return flow_out(flow)


@bp.delete("/flows/<string:ref>")
@require("write")
@bp.doc(summary="Delete a flow", description="Soft delete: the flow disappears from the API and the flows directory, and its name can be reused.")
@bp.output({}, status_code=204)
def delete_flow(ref: str) -> Any:
    flow = _live(ref)
    flow.deleted_at = utcnow()
    flow.is_active = False
    _commit_and_mirror(flow)
    return ""
