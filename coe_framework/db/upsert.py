"""INSERT ... ON CONFLICT on every supported database, for idempotent writes."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Table
from sqlalchemy.orm import Session


def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, update: Sequence[str] = ()) -> None:
    """INSERT rows; a row whose primary key exists gets the ``update`` columns written, or is skipped.

    ``ON CONFLICT`` on SQLite and PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on
    MariaDB/MySQL (where "skip" assigns the key to itself: ``INSERT IGNORE``
    would also turn real errors into warnings).
    """
    if not rows:
        return
    # The dialect's own insert, imported here: importing every dialect would cost each command
    # that merely opens the store (the MariaDB dialect alone is twenty modules).
    name = session.get_bind().dialect.name
    if name in ("mysql", "mariadb"):
        from sqlalchemy.dialects import mysql

        duplicate = mysql.insert(table)
        keys = [c.name for c in table.primary_key.columns]
        changes = {c: duplicate.inserted[c] for c in update} or {keys[0]: table.c[keys[0]]}
        session.execute(duplicate.on_duplicate_key_update(changes), list(rows))
        return
    statement = _conflict_insert(name, table)
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


def _conflict_insert(dialect_name: str, table: Table) -> Any:
    """SQLite's or PostgreSQL's INSERT, which both take ``ON CONFLICT``."""
    if dialect_name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(table)
    from sqlalchemy.dialects.postgresql import insert as postgresql_insert

    return postgresql_insert(table)

