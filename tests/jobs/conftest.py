"""Fixtures for job tests: a plugin manager with the job test analyzers, queued requests, runtimes."""
from __future__ import annotations

import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from coe_framework.jobs.executors import JobRuntime
from coe_framework.queue.leases import JobQueue
from coe_framework.queue.settings import JobSettings
from coe_framework.plugin.manager import PluginManager
from tests import mariadb
from tests.conftest import LEDGER_TABLES
from tests.postgres import NO_SERVER, empty_tables

PLUGIN_FILE = Path(__file__).with_name("job_plugin.py")


# --- databases: migrated once per session, emptied per test --------------------------
# Job tests need many databases, so every one of them starts from the session's
# migrated database (tests/conftest.py's templates), emptied but for the ledger.


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                 _migrated_sqlite_template: Path) -> Iterator[str]:
    """An empty, migrated database: SQLite, PostgreSQL when COE_TEST_DATABASE_URL is set,
    MariaDB when COE_TEST_MARIADB_URL is set."""
    from coe_framework.db.engine import dispose_engines

    if request.param == "sqlite":
        path = tmp_path / "jobs.sqlite3"
        shutil.copyfile(_migrated_sqlite_template, path)
        url = f"sqlite:///{path}"
    elif request.param == "mariadb":
        url = request.getfixturevalue("_migrated_mariadb_database")
        if url is None:
            pytest.skip(mariadb.NO_SERVER)
        mariadb.empty_tables(url, keep=LEDGER_TABLES)
    else:
        url = request.getfixturevalue("_migrated_postgres_schema")
        if url is None:
            pytest.skip(NO_SERVER)
        empty_tables(url, keep=LEDGER_TABLES)
    monkeypatch.setenv("COE_DATABASE_URL", url)
    yield url
    dispose_engines()


@pytest.fixture
def store(database_url: str) -> Any:
    """A store on the test database with a memory-only cache."""
    from coe_framework.analysis.cache import MemoryCache, TieredCache
    from coe_framework.db.store import Store

    return Store.open(database_url, cache=TieredCache(MemoryCache(10_000)))


#: Apply to tests whose subject does not depend on the database engine.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


class FakeClock:
    """A clock tests move by hand, so lease expiry needs no sleeping."""

    def __init__(self) -> None:
        self.now = datetime(2030, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def job_manager() -> PluginManager:
    """Only the job test analyzers (jobcount, jobslow)."""
    manager = PluginManager({})
    manager.load_module_file(PLUGIN_FILE)
    assert not manager.load_errors, manager.load_errors
    return manager


@pytest.fixture
def make_request(store: Any, make_repo: Callable[..., Any]) -> Callable[..., int]:
    """Queue an analysis of a fresh tiny repository; returns the request id."""

    def factory(*, analyzers: tuple[str, ...] = ("jobcount",), files: int = 2, priority: int = 100,
                options: dict[str, Any] | None = None, max_attempts: int = 3, url: str | None = None) -> int:
        if url is None:
            repo = make_repo(files={f"f{i}.txt": f"line {i}\n" for i in range(files)})
            url = str(repo.path)
        request, _ = store.create_request(
            [{"url": url, "name": Path(url).name}], analyzers=list(analyzers), options=options or {},
            priority=priority, source="cli", max_attempts=max_attempts,
        )
        return int(request["id"])

    return factory


@pytest.fixture
def make_job(store: Any) -> Callable[..., int]:
    """Queue a request that is never run (lease tests need no repository); returns its id."""
    counter = iter(range(1, 1_000_000))

    def factory(*, priority: int = 100, max_attempts: int = 3) -> int:
        name = f"job{next(counter)}"
        request, _ = store.create_request([{"url": f"/nowhere/{name}", "name": name}], analyzers=["jobcount"],
                                          priority=priority, source="cli", max_attempts=max_attempts)
        return int(request["id"])

    return factory


@pytest.fixture
def settings() -> JobSettings:
    """Fast settings: short heartbeat and polling so tests do not wait."""
    return JobSettings(executor="threads", threads=2, lease_seconds=30.0, heartbeat_seconds=0.2,
                       reap_seconds=0.2, poll_seconds=0.1, cancel_check_seconds=0.1)


@pytest.fixture
def runtime(settings: JobSettings, store: Any, job_manager: PluginManager) -> JobRuntime:
    return JobRuntime(settings, store, job_manager)


@pytest.fixture
def queue(store: Any, clock: FakeClock) -> JobQueue:
    """A queue on the test database with a hand-moved clock and a 60 s lease."""
    return JobQueue(store.engine, lease_seconds=60.0, clock=clock)


def request_row(store: Any, request_id: int) -> dict[str, Any]:
    """The request as stored now (bypassing the store's cache of finished analyses)."""
    store.cache.delete_many([f"analysis:{request_id}", f"results:{request_id}"])
    found = store.get_analysis(request_id)
    assert found is not None
    return found
