"""PostgreSQL test schemas: each test session or test gets a schema of its own,
so parallel runs against the one shared server never clash."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

#: Set by .ci/run when a PostgreSQL server runs on this machine.
BASE_URL_ENV = "COE_TEST_DATABASE_URL"
NO_SERVER = f"{BASE_URL_ENV} is not set: no PostgreSQL server to test against"


def base_url() -> str | None:
    """The server URL from the environment, or None."""
    return os.environ.get(BASE_URL_ENV, "").strip() or None


@contextmanager
def postgres_schema(prefix: str, *, migrate: bool = False) -> Iterator[str]:
    """Create a fresh schema, yield a URL whose search_path is that schema, drop it afterwards."""
    from sqlalchemy.engine import make_url

    from tests.servers import scratch_namespace

    base = base_url()
    if base is None:
        raise RuntimeError(NO_SERVER)
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    with scratch_namespace(base, f'CREATE SCHEMA "{schema}"', f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', url,
                           migrate=migrate) as scratch:
        yield scratch


def empty_tables(url: str, keep: tuple[str, ...] = ("schema_history",)) -> None:
    """Truncate every model table (the migration ledger kept) so a reused schema starts empty.

    Only tables that hold rows or whose id sequence has been used are
    truncated (one query finds them): truncating every table for every test
    costs more than the tests themselves.
    """
    from sqlalchemy import text

    from coe_framework.db.engine import make_engine
    from coe_framework.db.models import Base

    engine = make_engine(url)
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in keep]
    with_rows = " UNION ALL ".join(f"""SELECT '{n}' WHERE EXISTS (SELECT 1 FROM "{n}")""" for n in names)
    used_sequences = (
        "SELECT t.relname FROM pg_sequences s"
        " JOIN pg_class c ON c.relname = s.sequencename AND c.relkind = 'S'"
        " AND c.relnamespace = current_schema()::regnamespace"
        " JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass"
        " JOIN pg_class t ON t.oid = d.refobjid"
        " WHERE s.schemaname = current_schema() AND s.last_value IS NOT NULL"
    )
    with engine.begin() as conn:
        dirty = {row[0] for row in conn.execute(text(f"{with_rows} UNION {used_sequences}"))} & set(names)
        if dirty:
            tables = ", ".join(f'"{n}"' for n in names if n in dirty)
            conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
