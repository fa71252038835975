"""Fixtures for job tests: a plugin manager with the job test analyzers, queued requests, runtimes."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.jobs.executors import JobRuntime
from coe_framework.jobs.leases import JobQueue
from coe_framework.jobs.settings import JobSettings
from coe_framework.plugins import PluginManager

PLUGIN_FILE = Path(__file__).with_name("job_plugin.py")


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
