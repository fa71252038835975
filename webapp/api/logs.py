"""``/api/v1/logs``: the API call log (admin scope)."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from apiflask import APIBlueprint
from sqlalchemy import select

from coe_framework.db.models import ApiLog
from coe_framework.db.store import iso

from ..auth import require
from ..database import db
from ..pagination import invalid_query, page_response, paginate
from ..schemas import ApiLogPage, ApiLogQuery

bp = APIBlueprint("logs", __name__, tag="Logs")


def log_out(row: ApiLog) -> dict[str, Any]:
    return {
        "id": row.id,
        "request_id": row.request_id,
        "session_id": row.session_id,
        "method": row.method,
        "route": row.route,
        "path": row.path,
        "status_code": row.status_code,
        "duration_ms": row.duration_ms,
        "client_ip": row.client_ip,
        "user_agent": row.user_agent,
        "error": row.error,
        "created_at": iso(row.created_at),
    }


def _moment(field: str, text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise invalid_query(field, "expected an ISO 8601 time such as 2026-01-31T12:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@bp.get("/logs")
@require("admin")
@bp.doc(
    summary="List API calls",
    description="Newest first; filter by method, status code, route template, session and time. Rows arrive within about a second.",
)
@bp.input(ApiLogQuery, location="query", arg_name="query")
@bp.output(ApiLogPage)
def list_logs(query: ApiLogQuery) -> Any:
    statement = select(ApiLog)
    if query.method:
        statement = statement.where(ApiLog.method == query.method)
    if query.status_code is not None:
        statement = statement.where(ApiLog.status_code == query.status_code)
    if query.route:
        statement = statement.where(ApiLog.route == query.route)
    if query.session_id is not None:
        statement = statement.where(ApiLog.session_id == query.session_id)
    if query.since:
        statement = statement.where(ApiLog.created_at >= _moment("since", query.since))
    if query.until:
        statement = statement.where(ApiLog.created_at < _moment("until", query.until))
    page = paginate(db.session, statement, ApiLog.id, limit=query.limit, cursor=query.cursor, serialize=log_out)
    return page_response(page, query.limit)
