"""Outcome and time of three hostile cases: a shared-space address, a redirecting server, a CLI run killed with kill -9.

    .venv/bin/python bench/hostile_sources_bench.py              # the code in this tree
    .venv/bin/python bench/hostile_sources_bench.py --json out.json

To measure an older revision side by side, extract its ``coe_framework`` and
put it first on the path (the test utilities still come from this tree):

    mkdir -p /tmp/before && git archive REV coe_framework | tar -x -C /tmp/before
    PYTHONPATH=/tmp/before .venv/bin/python bench/hostile_sources_bench.py

Cases (every connection stays on loopback):

1. ``https://100.100.100.200/x.git`` under the server policy: refused, or
   accepted (a clone would start).
2. A loopback HTTPS Git server that answers ``/moved/...`` with a 302 to the
   real repository: whether a clone of the ``/moved/`` URL follows it.
3. ``coe analyze`` of a slow analyzer, killed with SIGKILL while running,
   with a reaper pass every 0.25 s (``coe jobs reap`` logic in-process): how
   long after the kill the request is failed, in seconds and in lease periods,
   and the processes left behind.

Never run as a test.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.append(str(ROOT))  # after any PYTHONPATH: the measured coe_framework wins, the test utilities come from here

LEASE = 4.0


def case_shared_address() -> dict[str, object]:
    from coe_framework.repository.sources import SourceError, SourcePolicy, parse_source

    started = time.perf_counter()
    try:
        parse_source("https://100.100.100.200/x.git", SourcePolicy.for_server({}))
        outcome = "accepted (a clone would start)"
    except SourceError as exc:
        outcome = f"refused: {exc}"
    return {"case": "shared address 100.100.100.200", "outcome": outcome, "seconds": round(time.perf_counter() - started, 4)}


def case_redirect(workdir: Path) -> dict[str, object]:
    from coe_framework.repository.sources import SourceError, SourcePolicy, open_repository
    from coe_framework.testing.gitrepo import init_repo
    from tests.core.git_https_server import GitHttpsServer, make_certificate

    cert, key = make_certificate(workdir)
    os.environ["COE_GIT_CA_BUNDLE"] = str(cert)
    root = workdir / "served"
    root.mkdir()
    repo = init_repo(workdir / "upstream", files={"a.txt": "1\n"})
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(root / "project.git")], check=True)
    with GitHttpsServer(root, cert, key) as server:
        server.redirects["/moved/"] = f"{server.url}/"
        started = time.perf_counter()
        try:
            open_repository(f"{server.url}/moved/project.git", policy=SourcePolicy(allow_local=False, allow_private_hosts=True),
                            workspace=workdir / "mirrors")
            outcome = "followed: cloned from the redirect target"
        except SourceError as exc:
            outcome = f"refused: {exc}"
        seconds = time.perf_counter() - started
        followed = any(not p.startswith("/moved/") for p in server.seen_paths)
    return {"case": "302 redirect to another location", "outcome": outcome, "redirect_followed": followed,
            "seconds": round(seconds, 3)}


def _row(engine: object, request_id: int | None = None) -> object:
    from sqlalchemy import select

    from coe_framework.db.models import AnalysisRequest

    with engine.connect() as conn:  # type: ignore[attr-defined]
        query = select(AnalysisRequest.__table__).order_by(AnalysisRequest.id.desc()).limit(1)
        return conn.execute(query).first()


def case_killed_cli(workdir: Path, timeout: float) -> dict[str, object]:
    from coe_framework.db.engine import make_engine
    from coe_framework.queue.leases import JobQueue
    from coe_framework.testing.gitrepo import init_repo
    from coe_migrate.migrate import ensure_current

    url = f"sqlite:///{workdir / 'cli.sqlite3'}"
    engine = make_engine(url)
    ensure_current(engine)
    repo = init_repo(workdir / "cli-repo", files={"a.py": "x = 1\n"})
    env = {**os.environ, "COE_DATABASE_URL": url, "COE_JOB_LEASE_SECONDS": str(LEASE),
           "COE_PLUGIN_MODULES": str(ROOT / "tests" / "jobs" / "job_plugin.py")}
    proc = subprocess.Popen([sys.executable, "-m", "coe_framework", "analyze", str(repo.path), "-a", "jobslow",
                             "-o", "jobslow.seconds=600"], env=env, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            row = _row(engine)
            if row is not None and row.status == "running" and row.progress_message:
                break
            time.sleep(0.1)
        else:
            raise SystemExit("the CLI run never started")
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = time.monotonic()
        queue = JobQueue(engine, lease_seconds=LEASE)
        status = "running"
        while time.monotonic() - killed < timeout:
            queue.reap()
            row = _row(engine)
            status = row.status
            if status != "running":
                break
            time.sleep(0.25)
        elapsed = time.monotonic() - killed
        left = subprocess.run(["pgrep", "-s", str(proc.pid)], capture_output=True, text=True).stdout.split()
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        engine.dispose()  # type: ignore[attr-defined]
    return {"case": f"coe analyze killed with SIGKILL (lease {LEASE:g} s)", "outcome": f"{status}: {row.error}",
            "seconds_after_kill": round(elapsed, 2), "lease_periods": round(elapsed / LEASE, 2),
            "processes_left_in_its_session": len(left)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="Also write the figures here.")
    parser.add_argument("--timeout", type=float, default=3 * LEASE, help="Longest wait for the reaper (seconds).")
    args = parser.parse_args()
    import coe_framework

    print(f"coe_framework from {Path(coe_framework.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="coe-hostile-bench-") as tmp:
        work = Path(tmp)
        (work / "redirect").mkdir()
        (work / "cli").mkdir()
        results = [case_shared_address(), case_redirect(work / "redirect"), case_killed_cli(work / "cli", args.timeout)]
    for result in results:
        print(json.dumps(result))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
