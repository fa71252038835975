"""Shared fixtures: deterministic repositories and isolated plugin managers."""
from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.plugins import PluginManager
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
        from coe_framework.hookspecs import hookimpl

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
    from coe_framework import plugins

    plugins.reset_manager()
    yield
    plugins.reset_manager()


# --- persistence fixtures ---------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh, empty database URL: a SQLite file, PostgreSQL when COE_TEST_DATABASE_URL is set,
    MariaDB when COE_TEST_MARIADB_URL is set.

    Each PostgreSQL test gets a schema of its own, each MariaDB test a
    database of its own (dropped afterwards), so parallel runs never clash.
    ``COE_DATABASE_URL`` points at it too.
    """
    from coe_framework.db.engine import dispose_engines

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        monkeypatch.setenv("COE_DATABASE_URL", url)
        yield url
        dispose_engines()
        return
    if request.param == "mariadb":
        from tests import mariadb

        if mariadb.base_url() is None:
            pytest.skip(mariadb.NO_SERVER)
        with mariadb.mariadb_database("coe_test") as url:
            monkeypatch.setenv("COE_DATABASE_URL", url)
            yield url
        return
    from tests.postgres import NO_SERVER, base_url, postgres_schema

    if base_url() is None:
        pytest.skip(NO_SERVER)
    with postgres_schema("coe_test") as url:
        monkeypatch.setenv("COE_DATABASE_URL", url)
        yield url


@pytest.fixture
def store(database_url: str) -> Any:
    """A migrated :class:`coe_framework.db.store.Store` on ``database_url`` with a memory-only cache."""
    from coe_framework.analysis.process_store import open_store
    from coe_framework.cache import MemoryCache, TieredCache

    return open_store(database_url, cache=TieredCache(MemoryCache(10_000)))
