"""Benchmark of watched repositories: a scheduling pass with nothing new, and webhook to queued analysis.

Run by hand (never as a test)::

    .venv/bin/python bench/watch_bench.py [--repos 1000] [--passes 3] [--concurrency 8] [--hooks 300]
        [--database URL]

Part 1, the scheduling pass. ``--repos`` bare repositories (one commit
each, copies of one generated repository, so each is a distinct local
path) are watched in a fresh, migrated database. A first pass queues one
analysis each; those are marked succeeded, and then ``--passes`` passes run
with every watch due and nothing new, so each checks every repository and
queues nothing. Side by side, alternating with the passes so load drift hits
both alike, the floor: the same ``git ls-remote --symref PATH
refs/heads/main refs/tags/main`` per repository on a plain thread pool of the
same size, with nothing else. Reported per pass (median): the CPU of this
process (the scheduler's own cost: reading due watches, validating each
URL, spawning, parsing, writing results back in bulk), the CPU of the git
children, and the wall time, for the pass and for the floor.

Part 2, webhook to queued analysis. ``--hooks`` watches of public https URLs
(IP literals, so no DNS) with a webhook secret; one signed GitHub push
delivery each goes through the whole app in process (Flask test client:
request hooks, rate limit, signature, replay row, queueing, API log), and
the time from the call to the queued request row and the executor hand-off
(a no-op here) is recorded; p50, p95 and max are reported.

``--spawn-only`` measures why checks are spawned without a ``preexec_fn``:
the CPU of a spawn in a large process with ``vfork`` and with a full ``fork``.

The database is ``--database`` (a migrated, empty one) or a SQLite file per run.
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _cpu() -> tuple[float, float]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime


def measure(fn: Callable[[], Any]) -> tuple[float, float, float, Any]:
    """(own CPU s, children CPU s, wall s, result) of ``fn()``."""
    own0, kids0 = _cpu()
    wall0 = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - wall0
    own1, kids1 = _cpu()
    return own1 - own0, kids1 - kids0, wall, result


def make_repositories(root: Path, count: int) -> list[Path]:
    from coe_framework.testing.gitrepo import init_repo

    work = init_repo(root / "work", files={"a.py": "x = 1\n"})
    template = root / "template.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(work.path), str(template)], check=True)
    paths = []
    for index in range(count):
        target = root / "repos" / f"r{index:05d}.git"
        shutil.copytree(template, target, symlinks=True)
        paths.append(target)
    return paths


def floor_pass(paths: list[Path], concurrency: int) -> int:
    """The bare ls-remote per repository, nothing else."""
    from coe_framework.repository.gitutil import git_environment

    env = git_environment()
    env["GIT_ALLOW_PROTOCOL"] = "file"

    def one(path: Path) -> bool:
        proc = subprocess.run(["git", "ls-remote", "--symref", str(path), "refs/heads/main", "refs/tags/main"],
                              env=env, capture_output=True, check=False)
        return proc.returncode == 0

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return sum(pool.map(one, paths))


def bench_scheduler(url: str, tmp: Path, repos: int, passes: int, concurrency: int) -> None:
    from sqlalchemy import update

    from coe_framework.db.engine import get_engine
    from coe_framework.db.models import AnalysisRequest, utcnow
    from coe_framework.watch.registry import WatchRegistry, WatchSpec
    from coe_framework.watch.scheduler import WatchScheduler
    from coe_framework.watch.settings import WatchSettings

    started = time.perf_counter()
    paths = make_repositories(tmp, repos)
    engine = get_engine(url)
    registry = WatchRegistry(engine)
    now = utcnow()
    for path in paths:
        registry.add(WatchSpec(str(path), "main", 3600, ["git"]), origin="cli", now=now)
    print(f"setup: {repos} repositories and watches in {time.perf_counter() - started:.1f}s")

    clock = {"now": now}
    settings = WatchSettings(concurrency=concurrency, batch_size=200)
    scheduler = WatchScheduler(engine, settings, submit=None, clock=lambda: clock["now"], owner="bench")
    own, kids, wall, first = measure(scheduler.run_once)
    print(f"first pass: {len(first.queued)} queued, {len(first.failed)} failed; own CPU {own:.2f}s, git CPU {kids:.2f}s, wall {wall:.2f}s")
    with engine.begin() as conn:
        conn.execute(update(AnalysisRequest).values(status="succeeded"))

    rows: dict[str, list[tuple[float, float, float]]] = {"pass": [], "floor": []}
    for index in range(passes):
        clock["now"] += timedelta(hours=2)
        own, kids, wall, report = measure(scheduler.run_once)
        assert report is not None and report.checked == repos and not report.queued and not report.failed, report
        rows["pass"].append((own, kids, wall))
        own_f, kids_f, wall_f, ok = measure(lambda: floor_pass(paths, concurrency))
        assert ok == repos
        rows["floor"].append((own_f, kids_f, wall_f))
        print(f"  pass {index + 1}: own CPU {own:.3f}s git CPU {kids:.2f}s wall {wall:.2f}s | "
              f"floor: own CPU {own_f:.3f}s git CPU {kids_f:.2f}s wall {wall_f:.2f}s")
    med = {k: [statistics.median(v[i] for v in rows[k]) for i in range(3)] for k in rows}
    print(f"\nscheduling pass, {repos} watches, nothing new (median of {passes}, concurrency {concurrency}):")
    print(f"  {'':8} {'own CPU s':>10} {'git CPU s':>10} {'wall s':>8}")
    for key in ("pass", "floor"):
        print(f"  {key:8} {med[key][0]:10.3f} {med[key][1]:10.2f} {med[key][2]:8.2f}")
    print(f"  pass/floor: own CPU x{med['pass'][0] / max(med['floor'][0], 1e-9):.2f}, "
          f"git CPU x{med['pass'][1] / max(med['floor'][1], 1e-9):.2f}, wall x{med['pass'][2] / max(med['floor'][2], 1e-9):.2f}")
    print(f"  own CPU per watch: {med['pass'][0] / repos * 1000:.3f} ms (target: the pass under 1 s)")
    engine.dispose()


def bench_webhooks(url: str, tmp: Path, hooks: int) -> None:
    from cryptography.fernet import Fernet

    os.environ["COE_WEBHOOK_SECRET_KEY"] = Fernet.generate_key().decode()
    from coe_framework.db.engine import get_engine
    from coe_framework.watch.registry import WatchRegistry, WatchSpec
    from coe_webapp import WebSettings, create_app

    secret = "bench-webhook-secret-0123456789"
    registry = WatchRegistry(get_engine(url))
    urls = [f"https://93.184.216.34/bench/hook{i:05d}.git" for i in range(hooks)]
    for repo_url in urls:
        registry.add(WatchSpec(repo_url, "main", 3600, ["git"], secret=secret), origin="api",
                     secret_key=os.environ["COE_WEBHOOK_SECRET_KEY"])
    app = create_app(WebSettings.from_env(database_url=url, check_migrations=False, flows_dir=str(tmp / "flows")))
    handed: list[int] = []
    app.extensions["coe"].submit = handed.append
    client = app.test_client()
    times, cpu = [], []
    for index, repo_url in enumerate(urls):
        body = json.dumps({"ref": "refs/heads/main", "before": "0" * 40, "after": f"{index + 1:040x}",
                           "repository": {"clone_url": repo_url, "default_branch": "main"}}).encode()
        headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
                   "X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()}
        c0, t0 = time.thread_time(), time.perf_counter()
        response = client.post("/api/v1/hooks/github", data=body, headers=headers, content_type="application/json")
        times.append(time.perf_counter() - t0)
        cpu.append(time.thread_time() - c0)
        assert response.status_code == 202, response.get_json()
    assert len(handed) == hooks
    print(f"\nwebhook to queued analysis, {hooks} signed GitHub pushes in process (first 10 left out):")
    for label, values in (("wall", times), ("CPU of the request's thread", cpu)):
        warm = sorted(values[10:])  # the first requests build caches (plugins, spec, pools)
        p95 = warm[int(0.95 * (len(warm) - 1))]
        print(f"  {label}: p50 {statistics.median(warm) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {warm[-1] * 1000:.1f} ms")
    print("  (target: p95 under 50 ms)")
    app.extensions["coe"].shutdown()


def spawn_costs(count: int = 100, grow_mb: int = 300) -> None:
    """CPU per spawn of ``true`` with and without a ``preexec_fn``, in a process grown to ``grow_mb``."""
    ballast = bytearray(grow_mb * 1024 * 1024)
    for offset in range(0, len(ballast), 4096):  # touch every page, as a long-running server has
        ballast[offset] = 1
    env = dict(os.environ)

    def run(**options: Any) -> float:
        started = time.process_time()
        for _ in range(count):
            proc = subprocess.Popen(["true"], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, close_fds=True, **options)
            proc.communicate()
        return (time.process_time() - started) / count * 1000

    plain = run(process_group=0)
    hooked = run(process_group=0, preexec_fn=lambda: None)
    print(f"spawn CPU in a {grow_mb} MB process ({count} spawns): process_group only (vfork) {plain:.2f} ms, "
          f"with a preexec_fn (fork) {hooked:.2f} ms, x{hooked / max(plain, 1e-9):.0f}")
    del ballast


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repos", type=int, default=1000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--hooks", type=int, default=300)
    parser.add_argument("--spawn-only", action="store_true", help="Only compare spawning with and without a preexec_fn")
    parser.add_argument("--database", default=None, help="A migrated, empty database (default: a SQLite file per run)")
    args = parser.parse_args()
    if args.spawn_only:
        spawn_costs()
        return
    tmp = Path(tempfile.mkdtemp(prefix="coe-watch-bench-"))
    os.environ["COE_WORKSPACE"] = str(tmp / "mirrors")
    os.environ.setdefault("COE_API_LOG_INTERVAL", "3600")
    try:
        url = args.database or f"sqlite:///{tmp / 'bench.sqlite3'}"
        from coe_framework.db.engine import get_engine
        from coe_migrate.migrate import upgrade

        upgrade(get_engine(url))
        print(f"database {url.split('@')[-1]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        bench_scheduler(url, tmp, args.repos, args.passes, args.concurrency)
        bench_webhooks(url, tmp, args.hooks)
        print(f"\nload average at the end {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
