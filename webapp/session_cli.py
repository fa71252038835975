"""``coe session list`` and ``coe session revoke``, beside ``coe session create``.

The command line holds the database itself, so it sees and may revoke every
session (as an admin token would). A revocation is seen at once by new
server processes and within ``COE_AUTH_CACHE_TTL`` seconds by running ones
(each trusts a verified token that long).
"""
from __future__ import annotations

import json

import click
from sqlalchemy import select

from coe_framework.outputs.browse import short_time, table
from coe_framework.cli.common import UserError
from coe_framework.cli.progress import note

from .commands import _ready_database, session_group


@session_group.command("list")
@click.option("--active", is_flag=True, help="Leave out revoked and expired sessions.")
@click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="Rows per page.")
@click.option("--cursor", default=None, help="Continue after the page that printed this cursor.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
def session_list_command(active: bool, limit: int, cursor: str | None, fmt: str) -> None:
    """List API tokens (sessions), newest first; tokens themselves are never shown."""
    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.models import UserSession, utcnow
    from coe_framework.db.pagination import paginate

    from .tokens import session_dict

    query = select(UserSession)
    if active:
        now = utcnow()
        query = query.where(UserSession.revoked.is_(False), (UserSession.expires_at.is_(None)) | (UserSession.expires_at > now))
    engine = _ready_database()
    with unit_of_work(engine) as session:  # type: ignore[arg-type]
        page = paginate(session, query, UserSession.id, limit=limit, cursor=cursor, serialize=session_dict)
    if fmt == "json":
        click.echo(json.dumps(page.to_dict(), indent=2, ensure_ascii=False))
        return
    rows = [[s["id"], s["label"], s["token_prefix"] + "…", ",".join(s["scopes"]), short_time(s["created_at"]),
             short_time(s["expires_at"]) if s["expires_at"] else "never", short_time(s["last_activity_at"]),
             "revoked " + short_time(s["revoked_at"]) if s["revoked"] else "active"] for s in page.items]
    for line in table(rows, ["ID", "LABEL", "TOKEN", "SCOPES", "CREATED", "EXPIRES", "LAST USED", "STATE"]):
        click.echo(line)
    if page.next_cursor:
        note(f"more: --cursor {page.next_cursor}")


@session_group.command("revoke")
@click.argument("session_id", type=click.IntRange(min=1), metavar="SESSION")
def session_revoke_command(session_id: int) -> None:
    """Revoke SESSION (its id from `coe session list`); revoking twice keeps the first time."""
    from coe_framework.db.engine import unit_of_work

    from .tokens import revoke

    engine = _ready_database()
    with unit_of_work(engine, write=True) as session:  # type: ignore[arg-type]
        row = revoke(session, session_id)
        if row is None:
            raise UserError(f"session {session_id} does not exist")
        label = row.label
    note(f"revoked session {session_id} '{label}'")
