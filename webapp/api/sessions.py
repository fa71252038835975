"""``/api/v1/sessions``: issue tokens (shown once), list your own, revoke."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from apiflask import APIBlueprint
from flask import request
from sqlalchemy import or_, select

from coe_framework.db.models import UserSession

from ..auth import Principal, current_principal, require
from ..database import db
from ..pagination import page_response, paginate
from ..problems import Problem
from ..schemas import PageQuery, SessionCreate, SessionCreated, SessionOut, SessionPage
from ..tokens import issue_token, revoke, session_dict
from .common import coe, not_found

bp = APIBlueprint("sessions", __name__, tag="Sessions")


def _owned_by(principal: Principal) -> Any:
    """Sessions a caller owns: itself and those it issued (the local user owns the root tokens)."""
    if principal.session_id is None:
        return UserSession.created_by_id.is_(None)
    return or_(UserSession.id == principal.session_id, UserSession.created_by_id == principal.session_id)


@bp.post("/sessions")
@require("read")
@bp.doc(summary="Issue a token", description="The token is in this response only; a caller can grant at most its own scopes.")
@bp.input(SessionCreate, location="json", arg_name="body")
@bp.output(SessionCreated, status_code=201)
def create_session(body: SessionCreate) -> Any:
    principal = current_principal()
    missing = sorted(set(body.scopes) - principal.scopes)
    if missing:
        raise Problem(403, f"you cannot grant the '{missing[0]}' scope you do not hold", kind="insufficient-scope")
    issued = issue_token(
        db.session,
        label=body.label,
        scopes=body.scopes,
        expires_in=timedelta(days=body.expires_in_days) if body.expires_in_days else None,
        created_by_id=principal.session_id,
        user_agent=request.user_agent.string,
        ip_address=request.remote_addr,
    )
    db.session.commit()
    return {**session_dict(issued.session), "token": issued.token}, 201


@bp.get("/sessions")
@require("read")
@bp.doc(summary="List your sessions", description="Your own token and the tokens it issued, newest first.")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(SessionPage)
def list_sessions(query: PageQuery) -> Any:
    statement = select(UserSession).where(_owned_by(current_principal()))
    page = paginate(db.session, statement, UserSession.id, limit=query.limit, cursor=query.cursor, serialize=session_dict)
    return page_response(page, query.limit)


@bp.get("/sessions/current")
@require("read")
@bp.doc(summary="The calling session")
@bp.output(SessionOut)
def current_session() -> Any:
    principal = current_principal()
    row = db.session.get(UserSession, principal.session_id) if principal.session_id is not None else None
    if row is None:
        raise not_found("a session for this caller (authentication is off)")
    return session_dict(row)


@bp.delete("/sessions/<int:session_id>")
@require("read")
@bp.doc(summary="Revoke a session", description="Your own session, one you issued, or any with the admin scope.")
@bp.output(SessionOut)
def revoke_session(session_id: int) -> Any:
    principal = current_principal()
    row = revoke(db.session, session_id, condition=None if principal.is_admin else _owned_by(principal))
    if row is None:
        raise not_found(f"session {session_id}")
    db.session.commit()
    coe().verifier.forget_session(session_id)
    return session_dict(row)
