"""Real Celery worker processes against Redis and RabbitMQ: a worker killed mid-run loses nothing.

50 small analyses are submitted; the first worker is killed with SIGKILL
(with its pool processes, like a machine dying) while jobs run; a second
worker starts; every analysis must end succeeded, with exactly one result
per analyzer.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from sqlalchemy import func, select

from coe_framework.db.models import AnalysisRequest, AnalysisResult, RepositoryAnalysis

from .conftest import PLUGIN_FILE

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

JOBS = 50
ANALYZERS = ("jobcount", "jobslow")
COE = str(Path(sys.executable).with_name("coe"))


def _broker(kind: str) -> str:
    variable = {"redis": "COE_TEST_REDIS_URL", "amqp": "COE_TEST_BROKER_URL"}[kind]
    url = os.environ.get(variable, "").strip()
    if not url:
        pytest.skip(f"{variable} is not set: no {'Redis' if kind == 'redis' else 'RabbitMQ'} broker to run a worker against")
    return url


@pytest.fixture(params=["redis", "amqp"])
def broker_env(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """Environment for the test process and its workers: a private queue, short leases and limits."""
    url = _broker(request.param)
    queue = f"coe.test.{uuid.uuid4().hex[:10]}"
    values = {
        "COE_EXECUTOR": "celery",
        "COE_BROKER_URL": url,
        "COE_JOB_QUEUE": queue,
        "COE_JOB_LEASE_SECONDS": "3",
        "COE_JOB_HEARTBEAT_SECONDS": "1",
        "COE_JOB_REAP_SECONDS": "1",
        # Limits below the Redis visibility timeout, which brings back messages
        # a dead worker had received but not yet claimed.
        "COE_JOB_TIME_LIMIT": "8",
        "COE_JOB_SOFT_TIME_LIMIT": "6",
        "COE_BROKER_VISIBILITY_TIMEOUT": "10",
        "COE_PLUGIN_MODULES": str(PLUGIN_FILE),
        "COE_DISABLE_PLUGINS": "git,ast,techspec",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    yield values
    from coe_framework.jobs.celery_app import delete_queue

    delete_queue(url, queue)


class Worker:
    """A ``coe worker`` process in its own process group, so it can be killed with its pool."""

    def __init__(self, log: Path, name: str):
        self.log = log
        handle = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self._handle = handle
        self.proc = subprocess.Popen(
            [COE, "worker", "--concurrency", "2", "--loglevel", "info", "--hostname", f"{name}@%h"],
            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes at once: no chance to clean up."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._handle.close()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]


def _statuses(store: Any) -> dict[int, str]:
    with store.engine.connect() as conn:
        return {row.id: row.status for row in conn.execute(select(AnalysisRequest.id, AnalysisRequest.status))}


def _wait(predicate: Callable[[], bool], seconds: float, worker: Worker) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if worker.proc.poll() is not None:
            pytest.fail(f"worker exited with {worker.proc.returncode}:\n{worker.tail()}")
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting after {seconds:g}s; worker log:\n{worker.tail()}")
        time.sleep(0.2)


#: Workers on many machines share PostgreSQL or MariaDB; SQLite stands in when no server is configured.
SHARED_DATABASES = [
    name for name, variable in (("postgresql", "COE_TEST_DATABASE_URL"), ("mariadb", "COE_TEST_MARIADB_URL"))
    if os.environ.get(variable, "").strip()
] or ["sqlite"]


@pytest.mark.hostile  # part of the standing fault suite (pytest -m hostile)
@pytest.mark.parametrize("database_url", SHARED_DATABASES, indirect=True)
def test_a_killed_worker_loses_no_analysis(broker_env: dict[str, str], store: Any, make_repo: Callable[..., Any], tmp_path: Path) -> None:
    from coe_framework import jobs

    expected: dict[int, int] = {}
    for index in range(JOBS):
        files = 1 + index % 3
        repo = make_repo(f"repo{index}", files={f"f{i}.txt": f"{index}-{i}\n" for i in range(files)})
        request, _ = store.create_request(
            [{"url": str(repo.path), "name": repo.path.name}], analyzers=list(ANALYZERS),
            options={"jobslow": {"seconds": 0.1}}, source="cli",
        )
        expected[int(request["id"])] = files
    jobs.shutdown()
    try:
        for request_id in expected:
            jobs.submit(request_id)
    finally:
        jobs.shutdown()

    first = Worker(tmp_path / "worker1.log", "first")
    try:
        _wait(lambda: (s := list(_statuses(store).values())).count("succeeded") >= 8 and "running" in s, 90, first)
        first.kill()
    finally:
        first.stop()
    interrupted = [i for i, status in _statuses(store).items() if status == "running"]
    assert interrupted, "the worker was killed with no job running"

    second = Worker(tmp_path / "worker2.log", "second")
    try:
        _wait(lambda: all(status in ("succeeded", "partial", "failed", "cancelled") for status in _statuses(store).values()), 120, second)
    finally:
        second.stop()

    statuses = _statuses(store)
    assert set(statuses.values()) == {"succeeded"}, {i: s for i, s in statuses.items() if s != "succeeded"}
    with store.engine.connect() as conn:
        per_request = dict(conn.execute(
            select(RepositoryAnalysis.request_id, func.count(AnalysisResult.id))
            .join(AnalysisResult, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
            .group_by(RepositoryAnalysis.request_id)
        ).all())
        repository_rows = conn.execute(select(func.count(RepositoryAnalysis.id))).scalar()
        attempts = dict(conn.execute(select(AnalysisRequest.id, AnalysisRequest.attempts)).all())
    assert repository_rows == JOBS
    assert per_request == {request_id: len(ANALYZERS) for request_id in expected}
    for request_id in interrupted:
        assert attempts[request_id] >= 2
    for request_id, files in expected.items():
        data = {r["analyzer"]: r["data"] for r in store.get_results(request_id)}
        assert data["jobcount"]["files"] == files and data["jobslow"] == {"slept": 0.1}


@pytest.mark.parametrize("database_url", SHARED_DATABASES, indirect=True)
def test_jobs_whose_messages_were_lost_are_sent_again(broker_env: dict[str, str], store: Any, make_repo: Callable[..., Any],
                                                      tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Requests stored while the broker was down (or whose messages a broker restart dropped) still run."""
    from coe_framework.jobs.celery_app import create_app, queue_depth
    from coe_framework.queue.settings import JobSettings

    monkeypatch.setenv("COE_JOB_RESEND_SECONDS", "1")
    repo = make_repo("lost", files={"a.txt": "a\n"})
    ids = [
        int(store.create_request([{"url": str(repo.path), "name": "lost"}], analyzers=["jobcount"], source="cli")[0]["id"])
        for _ in range(3)
    ]  # queued, never published
    settings = JobSettings.from_env()
    assert queue_depth(create_app(settings), settings) in (0, None)  # nothing in the broker for them
    worker = Worker(tmp_path / "worker.log", "resender")
    try:
        _wait(lambda: all(_statuses(store)[i] == "succeeded" for i in ids), 90, worker)
    finally:
        worker.stop()
    assert "job(s) again: the broker's queue is empty" in worker.log.read_text(errors="replace")


def test_queue_depth_counts_waiting_messages(broker_env: dict[str, str]) -> None:
    """While messages wait (a backlog), lost-message resending stays off: it needs an empty queue."""
    from coe_framework.jobs.celery_app import create_app, publish, queue_depth
    from coe_framework.queue.settings import JobSettings

    settings = JobSettings.from_env()
    app = create_app(settings)
    try:
        for request_id in (101, 102):
            publish(app, settings, request_id, 100)
        assert queue_depth(app, settings) == 2
    finally:
        app.close()
