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
    """Truncate every model table (the migration ledger kept) so a reused schema starts empty."""
    from sqlalchemy import text

    from coe_framework.db.engine import make_engine
    from coe_framework.db.models import Base

    engine = make_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name not in keep)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
