"""MariaDB/MySQL test databases: each test session or test gets a database of its own,
so parallel runs against the one shared server never clash."""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

#: Set by .ci/run when a MariaDB server runs on this machine.
BASE_URL_ENV = "COE_TEST_MARIADB_URL"
NO_SERVER = f"{BASE_URL_ENV} is not set: no MariaDB server to test against"


def base_url() -> str | None:
    """The server URL from the environment, or None."""
    return os.environ.get(BASE_URL_ENV, "").strip() or None


@contextmanager
def mariadb_database(prefix: str, *, migrate: bool = False) -> Iterator[str]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    from sqlalchemy.engine import make_url

    from coe_framework.db.mysql import CHARSET, COLLATION
    from tests.servers import scratch_namespace

    base = base_url()
    if base is None:
        raise RuntimeError(NO_SERVER)
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    with scratch_namespace(base, f"CREATE DATABASE `{name}` CHARACTER SET {CHARSET} COLLATE {COLLATION}",
                           f"DROP DATABASE IF EXISTS `{name}`", url, migrate=migrate) as scratch:
        yield scratch


def empty_tables(url: str, keep: tuple[str, ...] = ("schema_history",)) -> None:
    """Empty every model table (the migration ledger kept, ids restarting at 1) so a reused database starts empty.

    Only tables that hold rows or whose AUTO_INCREMENT counter has moved are
    truncated (one query finds them): truncating every table for every test
    costs more than the tests themselves.
    """
    from coe_framework.db.engine import make_engine
    from coe_framework.db.models import Base

    engine = make_engine(url)
    names = [t.name for t in Base.metadata.sorted_tables if t.name not in keep]
    with_rows = " UNION ALL ".join(f"SELECT '{n}' FROM DUAL WHERE EXISTS (SELECT 1 FROM `{n}`)" for n in names)
    moved_counters = ("SELECT TABLE_NAME FROM information_schema.TABLES"
                      " WHERE TABLE_SCHEMA = DATABASE() AND AUTO_INCREMENT > 1")
    with engine.connect() as conn:
        dirty = {row[0] for row in conn.exec_driver_sql(f"{with_rows} UNION {moved_counters}")} & set(names)
        # TRUNCATE refuses tables that foreign keys refer to unless the checks are off (this session only).
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
        for name in names:
            if name in dirty:
                conn.exec_driver_sql(f"TRUNCATE TABLE `{name}`")
        conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")
        conn.commit()
    engine.dispose()
