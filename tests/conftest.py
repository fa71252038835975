"""Shared fixtures: deterministic repositories and isolated plugin managers."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.plugin.manager import PluginManager
from coe_framework.testing.gitrepo import GitRepo, init_repo

_counter = itertools.count()


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., GitRepo]:
    """Factory of deterministic repositories under the test's tmp_path."""

    def factory(name: str | None = None, **kwargs: Any) -> GitRepo:
        return init_repo(tmp_path / (name or f"repo{next(_counter)}"), **kwargs)

    return factory


@pytest.fixture
def manager_with() -> Callable[..., PluginManager]:
    """A plugin manager with no entry points, holding only the given analyzers."""

    def factory(*analyzers: Any, env: dict[str, str] | None = None) -> PluginManager:
        from coe_framework.plugin.hookspecs import hookimpl

        class _Plugin:
            @hookimpl
            def coe_register_analyzers(self, register: Callable[[Any], None]) -> None:
                for analyzer in analyzers:
                    register(analyzer)

        manager = PluginManager(env or {})
        manager.register(_Plugin(), "test-analyzers")
        return manager

    return factory


@pytest.fixture(autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every test away from the user's own database, caches and plugins."""
    home = tmp_path_factory.mktemp("coe-home")
    monkeypatch.setenv("COE_DATABASE_URL", f"sqlite:///{home / 'coe.sqlite3'}")
    monkeypatch.setenv("COE_WORKSPACE", str(home / "mirrors"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    for name in ("COE_PLUGINS", "COE_DISABLE_PLUGINS", "COE_PLUGIN_MODULES", "COE_STRICT_PLUGINS", "COE_TRACE_PLUGINS",
                 "COE_EMBEDDINGS_PROVIDER"):
        monkeypatch.delenv(name, raising=False)
    from coe_framework.plugin import manager as plugins

    plugins.reset_manager()
    yield
    plugins.reset_manager()


# --- persistence fixtures ---------------------------------------------------------


#: Tables that keep their rows when a shared migrated database is emptied: the migration ledger.
LEDGER_TABLES = ("schema_history", "alembic_version")


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file per test session; tests that want a migrated database get a copy."""
    from coe_framework.db.engine import make_engine
    from coe_migrate.migrate import ensure_current

    path = tmp_path_factory.mktemp("migrated-db") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    ensure_current(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _migrated_postgres_schema() -> Any:
    """One migrated PostgreSQL schema per test session (emptied before each test that uses it)."""
    from tests.postgres import base_url, postgres_schema

    if base_url() is None:
        yield None
        return
    with postgres_schema("coe_store", migrate=True) as url:
        yield url


@pytest.fixture(scope="session")
def _migrated_mariadb_database() -> Any:
    """One migrated MariaDB database per test session (emptied before each test that uses it)."""
    from tests import mariadb

    if mariadb.base_url() is None:
        yield None
        return
    with mariadb.mariadb_database("coe_store", migrate=True) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh, empty database URL: a SQLite file, PostgreSQL when COE_TEST_DATABASE_URL is set,
    MariaDB when COE_TEST_MARIADB_URL is set.

    Each PostgreSQL test gets a schema of its own, each MariaDB test a
    database of its own (dropped afterwards), so parallel runs never clash.
    ``COE_DATABASE_URL`` points at it too.

    A test that uses the ``store`` fixture (which migrates anyway) gets an
    already migrated, empty database instead: a copy of one migrated SQLite
    file, or the test session's migrated PostgreSQL schema (MariaDB database)
    with every table but the migration ledger emptied, so no test pays for
    running every migration again.
    """
    from coe_framework.db.engine import dispose_engines

    migrated = "store" in request.fixturenames
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        if migrated:
            import shutil

            shutil.copyfile(request.getfixturevalue("_migrated_sqlite_template"), path)
        url = f"sqlite:///{path}"
        monkeypatch.setenv("COE_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    if request.param == "mariadb":
        from tests import mariadb

        if mariadb.base_url() is None:
            pytest.skip(mariadb.NO_SERVER)
        if migrated:
            url = request.getfixturevalue("_migrated_mariadb_database")
            mariadb.empty_tables(url, keep=LEDGER_TABLES)
            monkeypatch.setenv("COE_DATABASE_URL", url)
            yield url
            dispose_engines()
            return
        with mariadb.mariadb_database("coe_test") as url:
            monkeypatch.setenv("COE_DATABASE_URL", url)
            yield url
        return
    from tests.postgres import NO_SERVER, base_url, empty_tables, postgres_schema

    if base_url() is None:
        pytest.skip(NO_SERVER)
    if migrated:
        url = request.getfixturevalue("_migrated_postgres_schema")
        empty_tables(url, keep=LEDGER_TABLES)
        monkeypatch.setenv("COE_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    with postgres_schema("coe_test") as url:
        monkeypatch.setenv("COE_DATABASE_URL", url)
        yield url


@pytest.fixture
def store(database_url: str) -> Any:
    """A migrated :class:`coe_framework.db.store.Store` on ``database_url`` with a memory-only cache."""
    from coe_framework.analysis.process_store import open_store
    from coe_framework.analysis.cache import MemoryCache, TieredCache

    return open_store(database_url, cache=TieredCache(MemoryCache(10_000)))
