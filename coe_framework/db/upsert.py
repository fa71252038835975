"""INSERT ... ON CONFLICT on every supported database, for idempotent writes."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, update: Sequence[str] = ()) -> None:
    """INSERT rows; a row whose primary key exists gets the ``update`` columns written, or is skipped.

    ``ON CONFLICT`` on SQLite and PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on
    MariaDB/MySQL (where "skip" assigns the key to itself: ``INSERT IGNORE``
    would also turn real errors into warnings).
    """
    if not rows:
        return
    name = session.get_bind().dialect.name
    if name in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        keys = [c.name for c in table.primary_key.columns]
        changes = {c: statement.inserted[c] for c in update} or {keys[0]: table.c[keys[0]]}
        session.execute(statement.on_duplicate_key_update(changes), list(rows))
        return
    statement = (sqlite if name == "sqlite" else postgresql).insert(table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns), set_={c: statement.excluded[c] for c in update}
        )
    else:
        statement = statement.on_conflict_do_nothing()
    session.execute(statement, list(rows))


def insert_ignoring_duplicates(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows, skipping any whose primary key already exists (concurrent writers agree on values)."""
    upsert(session, table, rows)
