"""A ``coe analyze`` process that dies is ended by the reaper; a running one can be cancelled.

Each test runs a real ``coe analyze`` subprocess with a slow analyzer, on
SQLite and on PostgreSQL (a schema of its own on the shared server).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from coe_framework.queue.leases import DIRECT_RUN_STOPPED
from coe_framework.testing.gitrepo import GitRepo
from tests.postgres import NO_SERVER, base_url, postgres_schema

from .cli_runs import coe, coe_env, end_group, kill_running, request_row, start_slow_analysis, wait_for_lease, wait_until_expired

pytestmark = pytest.mark.hostile


@pytest.fixture(params=["sqlite", "postgresql"])
def cli_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database for a CLI process: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        from coe_framework.db.engine import make_engine
        from coe_migrate.migrate import ensure_current

        url = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
        engine = make_engine(url)
        ensure_current(engine)
        engine.dispose()
        yield url
        return
    if base_url() is None:
        pytest.skip(NO_SERVER)
    with postgres_schema("coe_cli_runs", migrate=True) as url:
        yield url


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> Path:
    return make_repo(files={"a.py": "x = 1\n"}).path


def test_a_cli_run_killed_with_sigkill_is_failed_by_the_reaper(cli_database: str, repo: Path, tmp_path: Path) -> None:
    env = coe_env(cli_database)
    proc = start_slow_analysis(repo, env)
    try:
        live = wait_for_lease(cli_database, proc)
        assert ":direct:" in live.lease_owner and live.max_attempts == 1
        assert coe("jobs", "reap", env=env).stdout.strip() == "requeued 0, failed 0, cancelled 0"  # a live run is left alone
        row = kill_running(cli_database, proc)
        wait_until_expired(cli_database, row.id)
        reaped = coe("jobs", "reap", env=env)
        assert reaped.returncode == 0 and reaped.stdout.strip() == "requeued 0, failed 1, cancelled 0", reaped.stderr
    finally:
        end_group(proc)
    after = request_row(cli_database, row.id)
    assert after.status == "failed" and after.error == DIRECT_RUN_STOPPED
    assert after.lease_owner is None and after.finished_at is not None
    _delete_through_the_api(cli_database, tmp_path, row.id)


def _delete_through_the_api(url: str, tmp_path: Path, request_id: int) -> None:
    from tests.webapp.conftest import build_web

    web = build_web(url, tmp_path)
    try:
        response = web.as_("write").delete(f"/api/v1/analyses/{request_id}")
        assert response.status_code == 204, response.get_data(as_text=True)
        assert web.as_("read").get(f"/api/v1/analyses/{request_id}").status_code == 404
    finally:
        web.coe.shutdown()
        web.engine.dispose()


def test_coe_cancel_stops_a_running_cli_run(cli_database: str, repo: Path) -> None:
    env = coe_env(cli_database)
    proc = start_slow_analysis(repo, env)
    try:
        row = wait_for_lease(cli_database, proc)
        cancel = coe("cancel", str(row.id), env=env)
        assert cancel.returncode == 0 and "cancellation requested" in cancel.stdout
        out, err = proc.communicate(timeout=60)  # the running CLI notices and stops
    finally:
        end_group(proc)
    assert proc.returncode == 1, err
    assert "cancelled" in out and "Traceback" not in err
    after = request_row(cli_database, row.id)
    assert after.status == "cancelled" and after.lease_owner is None


def test_a_dead_cli_run_that_was_cancelled_ends_cancelled(cli_database: str, repo: Path) -> None:
    env = coe_env(cli_database)
    proc = start_slow_analysis(repo, env)
    try:
        row = kill_running(cli_database, proc)
        assert "cancellation requested" in coe("cancel", str(row.id), env=env).stdout
        wait_until_expired(cli_database, row.id)
        assert coe("jobs", "reap", env=env).stdout.strip() == "requeued 0, failed 0, cancelled 1"
    finally:
        end_group(proc)
    assert request_row(cli_database, row.id).status == "cancelled"


def test_a_worker_never_takes_over_a_dead_cli_run(cli_database: str, repo: Path) -> None:
    """Claiming a dead direct run by id (``coe jobs run ID``) settles it instead of running it again."""
    env = coe_env(cli_database)
    proc = start_slow_analysis(repo, env)
    try:
        row = kill_running(cli_database, proc)
        wait_until_expired(cli_database, row.id)
        ran = coe("jobs", "run", str(row.id), env=env)
    finally:
        end_group(proc)
    assert ran.returncode == 0 and ran.stdout.startswith(f"analysis {row.id}: failed"), ran.stdout + ran.stderr
    after: Any = request_row(cli_database, row.id)
    assert after.status == "failed" and after.error == DIRECT_RUN_STOPPED


def test_hold_takes_only_a_running_row_without_a_lease(cli_database: str) -> None:
    from coe_framework.db.engine import make_engine
    from coe_framework.analysis.process_store import store_for
    from coe_framework.queue.leases import JobQueue, new_owner

    engine = make_engine(cli_database)
    try:
        store = store_for(engine)
        queued, _ = store.create_request([{"url": "https://example.org/a.git", "name": "a"}], status="queued")
        running, _ = store.create_request([{"url": "https://example.org/b.git", "name": "b"}], status="running")
        queue = JobQueue(engine, lease_seconds=30)
        assert queue.hold(queued["id"], new_owner("direct")) is None  # queued rows belong to workers
        lease = queue.hold(running["id"], new_owner("direct"))
        assert lease is not None and lease.max_attempts == 1
        assert queue.hold(running["id"], new_owner("direct")) is None  # already held
        assert queue.reap().failed == []  # the lease is live
    finally:
        engine.dispose()
