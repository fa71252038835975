"""Utilities for tests that run a real ``coe analyze`` process and watch its request row."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from coe_framework.db.engine import make_engine
from coe_framework.db.models import AnalysisRequest

JOB_PLUGIN = Path(__file__).resolve().parent.parent / "jobs" / "job_plugin.py"
#: Short enough that a test waits a few seconds for a lease to expire.
LEASE_SECONDS = 2


def coe_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a ``coe`` child: this database, the slow test analyzer, a short lease."""
    env = {k: v for k, v in os.environ.items() if k != "COE_DEBUG"}
    env.update(COE_DATABASE_URL=database_url, COE_PLUGIN_MODULES=str(JOB_PLUGIN), COE_JOB_LEASE_SECONDS=str(LEASE_SECONDS))
    env.update(extra)
    return env


def coe(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``coe ARGS`` to its end."""
    return subprocess.run([sys.executable, "-m", "coe_framework", *args], capture_output=True, text=True, env=env, timeout=timeout)


def start_slow_analysis(repo: Path, env: dict[str, str], seconds: float = 120) -> subprocess.Popen[str]:
    """Start ``coe analyze`` with the slow analyzer in a process group of its own (so the test can clean up)."""
    return subprocess.Popen(
        [sys.executable, "-m", "coe_framework", "analyze", str(repo), "-a", "jobslow", "--set", f"jobslow.seconds={seconds}"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )


def end_group(proc: subprocess.Popen[str]) -> None:
    """Kill what is left of the process group the test started."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait(30)


def request_row(database_url: str, request_id: int | None = None) -> Any:
    """The newest (or the named) analysis request, read on a fresh connection."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            query = select(AnalysisRequest.__table__)
            query = query.where(AnalysisRequest.id == request_id) if request_id else query.order_by(AnalysisRequest.id.desc())
            return conn.execute(query.limit(1)).first()
    finally:
        engine.dispose()


def wait_for_lease(database_url: str, proc: subprocess.Popen[str], deadline: float = 90) -> Any:
    """Poll until the CLI's request is running under a lease; the row."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"coe analyze ended early ({proc.returncode}): {proc.stderr.read() if proc.stderr else ''}")
        try:
            row = request_row(database_url)
        except Exception:  # noqa: BLE001 - the CLI may still be creating the schema
            row = None
        if row is not None and row.status == "running" and row.lease_owner and row.progress_message:
            return row
        time.sleep(0.1)
    raise AssertionError("the CLI run never showed a lease")


def kill_running(database_url: str, proc: subprocess.Popen[str]) -> Any:
    """Wait until the CLI run holds its lease, then SIGKILL the process; the row as it was."""
    row = wait_for_lease(database_url, proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    return row


def wait_until_expired(database_url: str, request_id: int) -> None:
    """Sleep until the stored lease of ``request_id`` is in the past."""
    from datetime import datetime, timezone

    row = request_row(database_url, request_id)
    expires = row.lease_expires_at
    if expires.tzinfo is None:
        expires = expires.replace(tzinfo=timezone.utc)
    remaining = (expires - datetime.now(timezone.utc)).total_seconds()
    if remaining > 0:
        time.sleep(remaining + 0.2)
