"""The original flows routes: ``/flows/save``, ``/flows/list``, ``/flows/{name}`` and the upsert form ``/flows``.

Both forms are the same ``langflows`` rows as ``/api/v1/flows``: a flow's
LangFlow graph is its ``data``, LangFlow's own id its ``flow_id``, and every
change is mirrored to the flows directory through the native flows service.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from coe_framework.db.models import LangFlow, utcnow
from coe_framework.db.store import iso, usable_flow_id

from ..api.flows import _commit_and_mirror, _name_taken
from ..database import db
from .blueprint import bp
from .errors import LegacyError, body, require
from .schemas import FlowDeleted, FlowDocument, FlowList, FlowRead, FlowSave, FlowSaved, FlowUpsert


def langflow_document(flow: LangFlow) -> dict[str, Any]:
    """The flow as LangFlow exports it."""
    return {"name": flow.name, "id": flow.flow_id, "description": flow.description, "data": flow.data or {}, "is_component": bool(flow.is_component)}


def _filename(flow: LangFlow) -> str:
    return f"{flow.name}.json"


def _find(ref: str, *, by_flow_id: bool = False) -> LangFlow | None:
    """A live flow by name, by numeric id, or (upsert form) by its ``flow_id``."""
    conditions = [LangFlow.name == ref]
    if ref.isascii() and ref.isdigit() and int(ref) < 2**31:
        conditions.append(LangFlow.id == int(ref))
    if by_flow_id:
        conditions.append(LangFlow.flow_id == ref)
    found = db.session.scalars(select(LangFlow).where(LangFlow.deleted_at.is_(None), or_(*conditions)).order_by(LangFlow.id)).all()
    # A name wins over another flow's number: names are what the original form addresses.
    return next((f for f in found if f.name == ref), found[0] if found else None)


def _read(flow: LangFlow) -> dict[str, Any]:
    return {
        "id": flow.id,
        "endpoint": flow.name,
        "description": flow.description,
        "flow_body": langflow_document(flow),
        "flow_id": flow.flow_id,
        "context": flow.context,
        "is_active": bool(flow.is_active),
        "created_at": iso(flow.created_at),
        "updated_at": iso(flow.updated_at),
    }


@bp.post("/flows/save")
@require("write")
@bp.doc(summary="Save a flow (original form)", description="Creates a flow from a LangFlow export and mirrors it as `<name>.json`; a live flow of the same name is a 400.")
@body(FlowSave)
@bp.output(FlowSaved)
def save_flow(body: FlowSave, raw: dict[str, Any]) -> Any:
    if _name_taken(body.name):
        raise LegacyError(400, f"Flow '{body.name}' already exists")
    exported = raw["flow_data"]
    flow = LangFlow(
        flow_id=usable_flow_id(db.session, body.flow_data.id),
        name=body.name,
        description=body.description if body.description is not None else body.flow_data.description,
        data=exported["data"],
        is_component=body.flow_data.is_component,
    )
    db.session.add(flow)
    _commit_and_mirror(flow)
    return {"message": f"Flow '{flow.name}' saved successfully", "id": flow.id, "filename": _filename(flow), "created_at": iso(flow.created_at)}


@bp.get("/flows/list")
@require("read")
@bp.doc(summary="List flows (original form)", description="Every live flow, oldest first.")
@bp.output(FlowList)
def list_flows() -> Any:
    rows = db.session.execute(
        select(LangFlow.id, LangFlow.name, LangFlow.description, LangFlow.created_at, LangFlow.updated_at)
        .where(LangFlow.deleted_at.is_(None)).order_by(LangFlow.id)
    ).all()
    return {"flows": [
        {"name": name, "id": flow_id, "description": description, "filename": f"{name}.json", "created_at": iso(created), "updated_at": iso(updated)}
        for flow_id, name, description, created, updated in rows
    ]}


@bp.get("/flows/<string:flow_name>")
@require("read")
@bp.doc(summary="One flow (original form)", description="By name or numeric id: the LangFlow JSON with `id`, `saved_name`, `description`, `created_at`, `updated_at` and `is_active` added.")
@bp.output(FlowDocument)
def get_flow(flow_name: str) -> Any:
    flow = _find(flow_name)
    if flow is None:
        raise LegacyError(404, f"Flow '{flow_name[:100]}' not found")
    return {
        **langflow_document(flow),
        "id": flow.id,
        "saved_name": flow.name,
        "description": flow.description,
        "created_at": iso(flow.created_at),
        "updated_at": iso(flow.updated_at),
        "is_active": bool(flow.is_active),
    }


@bp.delete("/flows/<string:flow_name>")
@require("write")
@bp.doc(
    summary="Delete a flow (both forms)",
    description="By name, numeric id or `flow_id`. Soft delete: the mirror file goes, and the name can be saved again.",
)
@bp.output(FlowDeleted)
def delete_flow(flow_name: str) -> Any:
    flow = _find(flow_name, by_flow_id=True)
    if flow is None:
        raise LegacyError(404, f"Flow '{flow_name[:100]}' not found")
    flow.deleted_at = utcnow()
    flow.is_active = False
    _commit_and_mirror(flow)
    return {**_read(flow), "message": f"Flow '{flow.name}' deleted successfully"}


@bp.post("/flows")
@require("write")
@bp.doc(
    summary="Create or update a flow (upsert form)",
    description="Updates the live flow with this `flow_id`, else the live flow named `endpoint`, else creates one.",
)
@body(FlowUpsert)
@bp.output(FlowRead, status_code=201)
def upsert_flow(body: FlowUpsert, raw: dict[str, Any]) -> Any:
    flow = None
    if body.flow_id is not None:
        flow = db.session.scalar(select(LangFlow).where(LangFlow.flow_id == body.flow_id))
        if flow is not None and flow.deleted_at is not None:
            flow.deleted_at = None  # the same flow saved again: it comes back under its id
    if flow is None:
        flow = db.session.scalar(select(LangFlow).where(LangFlow.name == body.endpoint, LangFlow.deleted_at.is_(None)))
    old_name = flow.name if flow is not None else None
    with db.session.no_autoflush:  # a revived flow is checked before it is written
        taken = _name_taken(body.endpoint, except_id=flow.id if flow is not None else None)
    if taken:
        db.session.rollback()
        raise LegacyError(400, f"Endpoint '{body.endpoint}' already registered")
    if flow is None:
        flow = LangFlow(flow_id=body.flow_id or usable_flow_id(db.session, body.flow_body.id), name=body.endpoint)
        db.session.add(flow)
    flow.name = body.endpoint
    flow.description = body.description
    flow.data = raw["flow_body"]["data"]
    flow.is_component = body.flow_body.is_component
    flow.context = body.context
    flow.is_active = True
    flow.updated_at = utcnow()
    _commit_and_mirror(flow, old_name)
    return _read(flow), 201


@bp.get("/flows")
@require("read")
@bp.doc(summary="List flows (upsert form)", description="Every live flow, oldest first.")
@bp.output(list[FlowRead])
def read_flows() -> Any:
    return [_read(flow) for flow in db.session.scalars(select(LangFlow).where(LangFlow.deleted_at.is_(None)).order_by(LangFlow.id))]
