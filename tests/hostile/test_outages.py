"""The database goes away: cached reads go on for the promised time, a CLI run under it ends cleanly.

PostgreSQL runs as a server of the test's own (tests/hostile/own_postgres.py),
stopped by its PID; SQLite loses its file (moved away, a directory in its
place) or stays locked by another process.
"""
from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import time
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from coe_framework.queue.leases import DIRECT_RUN_STOPPED
from coe_framework.testing.gitrepo import GitRepo

from . import own_postgres
from .cli_runs import coe, coe_env, end_group, request_row, start_slow_analysis, wait_for_lease, wait_until_expired

pytestmark = pytest.mark.hostile

TTL = 0.2  # seconds a verified token is trusted without a query
GRACE = 120.0  # and this long more while the database is unreachable


class _ShiftedTime:
    """The ``time`` module as the caches see it, ``shift`` seconds in the future."""

    shift = 0.0

    @classmethod
    def monotonic(cls) -> float:
        return time.monotonic() + cls.shift


@pytest.fixture(scope="module")
def own_server() -> Iterator[own_postgres.OwnPostgres]:
    reason = own_postgres.available()
    if reason:
        pytest.skip(reason)
    server = own_postgres.OwnPostgres()
    try:
        yield server
    finally:
        server.close()


class Outage:
    """A database that can be taken away and brought back."""

    def __init__(self, url: str, down: Callable[[], None], up: Callable[[], None]):
        self.url, self.down, self.up = url, down, up


@pytest.fixture(params=["sqlite", "postgresql"])
def outage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Outage]:
    from coe_framework.db.engine import dispose_engines

    if request.param == "sqlite":
        path = tmp_path / "outage.sqlite3"
        away = tmp_path / "moved-away"
        away.mkdir()

        def down() -> None:
            for name in os.listdir(tmp_path):
                if name.startswith("outage.sqlite3"):
                    shutil.move(str(tmp_path / name), away / name)
            path.mkdir()  # a directory where the file was: no connection can open it

        def up() -> None:
            path.rmdir()
            for name in os.listdir(away):
                shutil.move(str(away / name), tmp_path / name)

        yield Outage(f"sqlite:///{path}", down, up)
        dispose_engines()
        return
    server: own_postgres.OwnPostgres = request.getfixturevalue("own_server")
    server.start()
    try:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        name = f"outage_{os.getpid()}_{int(time.monotonic() * 1000)}"
        admin = create_engine(server.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        yield Outage(server.url.rsplit("/", 1)[0] + f"/{name}", server.stop, server.start)
    finally:
        dispose_engines()
        server.stop()


def _web(url: str, tmp_path: Path, **overrides: Any) -> Any:
    from tests.webapp.conftest import build_web, migrate

    migrate(url)
    # re-checks due on every request: one that fails during the outage must not drop cached results
    return build_web(url, tmp_path, auth_cache_ttl=TTL, auth_outage_grace=GRACE, result_recheck_seconds=0.01, **overrides)


def _seed_finished(web: Any) -> int:
    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.models import AnalysisRequest, AnalysisResult, Repository, RepositoryAnalysis, utcnow

    with unit_of_work(web.engine) as session:
        repo = Repository(url="https://example.org/outage.git", name="outage")
        session.add(repo)
        session.flush()
        request = AnalysisRequest(repositories=[{"url": repo.url, "name": "outage", "ref": None}], status="succeeded",
                                  source="api", progress=1.0, finished_at=utcnow())
        session.add(request)
        session.flush()
        ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha="a" * 40, status="succeeded", ref="main")
        session.add(ra)
        session.flush()
        session.add(AnalysisResult(repository_analysis_id=ra.id, analyzer="git", analyzer_version="1", options_hash="x",
                                   status="succeeded", data={"commits": 7}, cache_key="git-outage", duration=0.1))
        return int(request.id)


def test_cached_reads_outlive_the_database_for_ttl_plus_grace(outage: Outage, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import coe_framework.analysis.cache

    monkeypatch.setattr(coe_framework.analysis.cache, "time", _ShiftedTime)
    monkeypatch.setattr(_ShiftedTime, "shift", 0.0)
    web = _web(outage.url, tmp_path)
    try:
        client = web.as_("read")
        analysis = _seed_finished(web)
        first = client.get(f"/api/v1/analyses/{analysis}/results")
        assert first.status_code == 200
        outage.down()
        web.engine.dispose()  # no pooled connection survives the outage
        time.sleep(TTL * 2)  # past the token cache: the token would need the database now
        during = client.get(f"/api/v1/analyses/{analysis}/results")
        assert during.status_code == 200 and during.get_data() == first.get_data()
        assert during.headers["ETag"] == first.headers["ETag"]
        uncached = client.get("/api/v1/analyses")  # not cached: the database is needed
        assert uncached.status_code == 503 and uncached.mimetype == "application/problem+json"
        assert uncached.headers["Retry-After"]
        stranger = web.as_("write").get(f"/api/v1/analyses/{analysis}/results")  # a token never verified here
        assert stranger.status_code == 503 and stranger.mimetype == "application/problem+json"
        _ShiftedTime.shift = TTL + GRACE + 1  # the grace is over: tokens need the database again
        after_grace = client.get(f"/api/v1/analyses/{analysis}/results")
        assert after_grace.status_code == 503 and after_grace.mimetype == "application/problem+json"
        outage.up()
        recovered = client.get("/api/v1/analyses")
        assert recovered.status_code == 200 and recovered.get_json()["items"][0]["id"] == analysis
    finally:
        web.coe.shutdown()
        web.engine.dispose()


@pytest.mark.parametrize("outage", ["postgresql"], indirect=True)
def test_a_cli_run_whose_database_dies_ends_in_one_line_and_is_reaped(outage: Outage, make_repo: Callable[..., GitRepo]) -> None:
    """PostgreSQL stopped under a running ``coe analyze`` (SQLite: the locked-database test below).

    A SQLite file moved away mid-run is no outage: open connections keep
    writing to it, and the run finishes there.
    """
    from coe_framework.db.engine import make_engine
    from coe_migrate.migrate import ensure_current

    engine = make_engine(outage.url)
    ensure_current(engine)
    engine.dispose()
    repo = make_repo(files={"a.py": "x = 1\n"}).path
    env = coe_env(outage.url, COE_DB_POOL_TIMEOUT="2", COE_DB_BUSY_TIMEOUT_MS="500")
    proc = start_slow_analysis(repo, env, seconds=3)
    try:
        row = wait_for_lease(outage.url, proc)
        outage.down()
        out, err = proc.communicate(timeout=120)
        outage.up()
        wait_until_expired(outage.url, row.id)
        reaped = coe("jobs", "reap", env=env)
    finally:
        end_group(proc)
    assert proc.returncode == 1, out + err
    errors = [line for line in err.splitlines() if line.startswith("coe: ")]
    assert len(errors) == 1 and errors[0].startswith("coe: internal error: OperationalError: "), err
    assert "Traceback" not in err and "[SQL" not in err and "parameters" not in err
    assert reaped.stdout.strip() == "requeued 0, failed 1, cancelled 0", reaped.stdout + reaped.stderr
    after = request_row(outage.url, row.id)
    assert after.status == "failed" and after.error == DIRECT_RUN_STOPPED


def test_a_locked_sqlite_database_ends_a_cli_run_in_one_line(tmp_path: Path, make_repo: Callable[..., GitRepo]) -> None:
    """Another process holding SQLite's write lock past the busy timeout is an outage too."""
    from coe_framework.db.engine import make_engine
    from coe_migrate.migrate import ensure_current

    url = f"sqlite:///{tmp_path / 'locked.sqlite3'}"
    engine = make_engine(url)
    ensure_current(engine)
    engine.dispose()
    env = coe_env(url, COE_DB_BUSY_TIMEOUT_MS="300")
    proc = start_slow_analysis(make_repo(files={"a.py": "x = 1\n"}).path, env, seconds=2)
    locker = sqlite3.connect(tmp_path / "locked.sqlite3", timeout=30)
    try:
        row = wait_for_lease(url, proc)
        locker.execute("BEGIN EXCLUSIVE")
        out, err = proc.communicate(timeout=120)
        locker.rollback()
        wait_until_expired(url, row.id)
        reaped = coe("jobs", "reap", env=env)
    finally:
        locker.close()
        end_group(proc)
    assert proc.returncode == 1
    errors = [line for line in err.splitlines() if line.startswith("coe: ")]
    assert len(errors) == 1 and "database is locked" in errors[0] and "Traceback" not in err, err
    assert reaped.stdout.strip() == "requeued 0, failed 1, cancelled 0"
    assert request_row(url, row.id).status == "failed"


def test_the_own_server_is_stopped_by_its_pid(own_server: own_postgres.OwnPostgres) -> None:
    own_server.start()
    pid = own_server.pid
    assert pid is not None
    own_server.stop(signal.SIGQUIT)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
