"""A scratch namespace (PostgreSQL schema, MariaDB database) on a shared test server, made and dropped per use."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator


@contextmanager
def scratch_namespace(base: str, create: str, drop: str, url: str, *, migrate: bool = False) -> Iterator[str]:
    """Run ``create`` on the server at ``base``, yield ``url`` (migrated if asked), run ``drop`` afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    from coe_framework.db.engine import dispose_engines, make_engine

    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(create))
    try:
        if migrate:
            from coe_migrate.migrate import ensure_current

            engine = make_engine(url)
            ensure_current(engine)
            engine.dispose()
        yield url
    finally:
        dispose_engines()
        with admin.begin() as conn:
            conn.execute(text(drop))
        admin.dispose()
