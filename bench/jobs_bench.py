"""Benchmark of analysis jobs: throughput with 1, 2 and 4 workers, threads executor and Celery.

Run by hand (never as a test)::

    .venv/bin/python bench/jobs_bench.py [--jobs 200] [--workers 1,2,4] [--modes threads,celery-redis,celery-amqp]
        [--database URL]

Every run analyses ``--jobs`` distinct tiny repositories (three files each)
with one small analyzer (``benchlines``, defined in this file and loaded by
every worker through ``COE_PLUGIN_MODULES``: it reads every file and counts
lines) in a fresh, migrated database, so no result is ever a cache hit.

Part 1, the cost of the job machinery itself: ``--overhead`` analyses,
alternating one by one (so load drift hits both alike) between a direct call
of ``service.run_stored_request`` and the same request claimed and run by
the ``inline`` executor (claim, heartbeat, lease-guarded writes, settle).

Part 2, scaling. The floor is the same kind of analysis called one after another through
``service.run_stored_request`` in this process: no queue, no lease, no
executor. The machine is shared and its load drifts, so the floor is probed
(``--probe`` analyses) right before and right after every configuration,
and each configuration is compared with the mean of its two probes. Each
configuration is timed from the first submit to the last finished job:

* ``threads``: the embedded executor with N threads in this process;
* ``celery-redis`` / ``celery-amqp``: one ``coe worker --concurrency N``
  process (prefork) against the broker from ``COE_TEST_REDIS_URL`` /
  ``COE_TEST_BROKER_URL`` (modes whose variable is unset are skipped); the
  worker is started and ready before the clock starts.

Reported per configuration: jobs per second, the ratio to its floor probes,
the speed-up over the same mode with one worker (each divided by its own
floor first, so load drift cancels), mean time a job held its lease
(started to finished), and the machine's CPU use during the run (all cores;
100% means every core was busy).

The database is ``--database`` or ``COE_TEST_DATABASE_URL`` (PostgreSQL, a
fresh schema per run, dropped afterwards), else a SQLite file per run.
"""
from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from pydantic import BaseModel

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.hookspecs import hookimpl

THIS_FILE = Path(__file__).resolve()


# --- the analyzer every worker loads (this module doubles as a plugin module) ----------


class LinesResult(BaseModel):
    files: int
    lines: int
    bytes: int


class BenchLines(Analyzer):
    """Reads every regular file and counts lines: small, real I/O through the context."""

    name = "benchlines"
    version = "1"
    Result = LinesResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        files = ctx.regular_files()
        lines = size = 0
        for _entry, data in ctx.iter_contents(files):
            if data is not None:
                lines += data.count(b"\n")
                size += len(data)
        return {"files": len(files), "lines": lines, "bytes": size}


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(BenchLines())


# --- set-up ---------------------------------------------------------------------------


def make_repositories(root: Path, count: int) -> list[Path]:
    from coe_framework.testing.gitrepo import init_repo

    paths = []
    for index in range(count):
        repo = init_repo(root / f"repo{index:04d}", files={
            "README.md": f"# project {index}\n\nSmall.\n",
            "src/main.py": "".join(f"def f{i}():\n    return {i * index}\n\n" for i in range(20)),
            "data.txt": f"{index}\n" * 50,
        })
        paths.append(repo.path)
    return paths


@dataclass
class Database:
    url: str
    cleanup: Callable[[], None]


def fresh_database(base: str | None, workdir: Path) -> Database:
    """A new empty database: a schema of its own on PostgreSQL, else a SQLite file."""
    if not base:
        path = workdir / f"bench-{uuid.uuid4().hex[:8]}.sqlite3"
        return Database(f"sqlite:///{path}", lambda: [p.unlink(missing_ok=True) for p in path.parent.glob(path.name + "*")])
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    schema = f"coe_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return Database(url, drop)


def queue_requests(store: Any, repos: list[Path]) -> list[int]:
    from coe_framework.db.models import PRIORITY_BULK

    ids = []
    for path in repos:
        request, _ = store.create_request([{"url": str(path), "name": path.name}], analyzers=["benchlines"],
                                          priority=PRIORITY_BULK, source="cli")
        ids.append(int(request["id"]))
    return ids


def finished_stats(store: Any, ids: list[int]) -> tuple[int, dict[str, int], float]:
    """(finished count, statuses, mean seconds from start to finish)."""
    from sqlalchemy import select

    from coe_framework.db.models import FINISHED_STATUSES, AnalysisRequest

    with store.engine.connect() as conn:
        rows = conn.execute(select(AnalysisRequest.status, AnalysisRequest.started_at, AnalysisRequest.finished_at)
                            .where(AnalysisRequest.id.in_(ids))).all()
    statuses: dict[str, int] = {}
    held = []
    for row in rows:
        statuses[row.status] = statuses.get(row.status, 0) + 1
        if row.started_at and row.finished_at:
            held.append((row.finished_at - row.started_at).total_seconds())
    done = sum(n for s, n in statuses.items() if s in FINISHED_STATUSES)
    return done, statuses, statistics.fmean(held) if held else 0.0


# --- measuring ------------------------------------------------------------------------


@dataclass
class Row:
    mode: str
    workers: int
    seconds: float
    jobs: int
    held: float
    cpu: float
    statuses: dict[str, int]
    #: Floor throughput measured around this run (jobs/s).
    floor: float = 0.0

    @property
    def rate(self) -> float:
        return self.jobs / self.seconds if self.seconds else 0.0

    @property
    def relative(self) -> float:
        """Throughput as a multiple of the floor measured around it."""
        return self.rate / self.floor if self.floor else 0.0


class CpuMeter:
    """Whole-machine CPU use between start and stop, from /proc/stat (Linux)."""

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float]:
        with open("/proc/stat") as handle:
            values = [float(v) for v in handle.readline().split()[1:]]
        idle = values[3] + (values[4] if len(values) > 4 else 0.0)
        return sum(values) - idle, sum(values)

    def stop(self) -> float:
        busy0, total0 = self.start
        busy1, total1 = self._sample()
        return 100.0 * (busy1 - busy0) / max(1e-9, total1 - total0)


def report_failures(store: Any, ids: list[int], log: Path) -> None:
    """Print why jobs did not succeed: their recorded errors and the worker log's end."""
    from sqlalchemy import select

    from coe_framework.db.models import AnalysisRequest

    with store.engine.connect() as conn:
        rows = conn.execute(select(AnalysisRequest.id, AnalysisRequest.status, AnalysisRequest.error)
                            .where(AnalysisRequest.id.in_(ids), AnalysisRequest.status != "succeeded").limit(5)).all()
    for row in rows:
        print(f"  job {row.id} {row.status}: {row.error}")
    print("  worker log (end):\n" + log.read_text(errors="replace")[-4000:])


def finished_count(store: Any, ids: list[int]) -> int:
    from sqlalchemy import func, select

    from coe_framework.db.models import FINISHED_STATUSES, AnalysisRequest

    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(
            AnalysisRequest.id.in_(ids), AnalysisRequest.status.in_(list(FINISHED_STATUSES)))).scalar() or 0)


def wait_all(store: Any, ids: list[int], timeout: float, alive: Callable[[], bool] = lambda: True) -> None:
    """Wait for every job to finish; one cheap COUNT every 0.2 s, so watching costs little CPU."""
    deadline = time.monotonic() + timeout
    while finished_count(store, ids) < len(ids):
        if not alive():
            raise RuntimeError("the worker exited early")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not finished after {timeout:g}s")
        time.sleep(0.2)


def run_overhead(repos: list[Path], workdir: Path, manager: Any, base: str | None) -> tuple[float, float]:
    """Seconds per job: (direct call, inline executor), measured alternately."""
    from coe_framework.analysis.process_store import open_store
    from coe_framework.jobs.executors import InlineExecutor, JobRuntime
    from coe_framework.queue.settings import JobSettings
    from coe_framework.repository.sources import SourcePolicy
    from coe_framework.analysis.service import run_stored_request

    direct_db, inline_db = fresh_database(base, workdir), fresh_database(base, workdir)
    try:
        direct_store, inline_store = open_store(direct_db.url), open_store(inline_db.url)
        direct_ids, inline_ids = queue_requests(direct_store, repos), queue_requests(inline_store, repos)
        executor = InlineExecutor(JobRuntime(JobSettings(executor="inline"), inline_store, manager))
        direct = inline = 0.0
        for direct_id, inline_id in zip(direct_ids, inline_ids):
            started = time.perf_counter()
            run_stored_request(manager, direct_store, direct_id, policy=SourcePolicy(), workers=1)
            direct += time.perf_counter() - started
            started = time.perf_counter()
            executor.submit(inline_id)
            inline += time.perf_counter() - started
        return direct / len(repos), inline / len(repos)
    finally:
        from coe_framework.db.engine import dispose_engines

        dispose_engines()
        direct_db.cleanup()
        inline_db.cleanup()


def run_floor(repos: list[Path], workdir: Path, manager: Any, base: str | None) -> Row:
    from coe_framework.analysis.process_store import open_store
    from coe_framework.repository.sources import SourcePolicy
    from coe_framework.analysis.service import run_stored_request

    db = fresh_database(base, workdir)
    try:
        store = open_store(db.url)
        ids = queue_requests(store, repos)
        meter = CpuMeter()
        started = time.perf_counter()
        for request_id in ids:
            run_stored_request(manager, store, request_id, policy=SourcePolicy(), workers=1)
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        _done, statuses, held = finished_stats(store, ids)
        return Row("direct loop (floor)", 1, seconds, len(ids), held, cpu, statuses)
    finally:
        from coe_framework.db.engine import dispose_engines

        dispose_engines()
        db.cleanup()


def run_threads(workers: int, repos: list[Path], workdir: Path, manager: Any, base: str | None) -> Row:
    from coe_framework.analysis.process_store import open_store
    from coe_framework.jobs.executors import JobRuntime, ThreadExecutor
    from coe_framework.queue.settings import JobSettings

    db = fresh_database(base, workdir)
    try:
        store = open_store(db.url)
        ids = queue_requests(store, repos)
        settings = JobSettings(executor="threads", threads=workers, poll_seconds=0.05)
        executor = ThreadExecutor(JobRuntime(settings, store, manager))
        meter = CpuMeter()
        started = time.perf_counter()
        for request_id in ids:
            executor.submit(request_id)
        wait_all(store, ids, 1800)
        seconds = time.perf_counter() - started
        cpu = meter.stop()
        executor.close()
        _done, statuses, held = finished_stats(store, ids)
        return Row("threads", workers, seconds, len(ids), held, cpu, statuses)
    finally:
        from coe_framework.db.engine import dispose_engines

        dispose_engines()
        db.cleanup()


@dataclass
class WorkerProcess:
    proc: subprocess.Popen[bytes]
    log: Path

    def ready(self) -> bool:
        return "ready." in self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def start_worker(workers: int, env: dict[str, str], log: Path) -> Iterator[WorkerProcess]:
    coe = str(Path(sys.executable).with_name("coe"))
    with open(log, "wb") as handle:
        proc = subprocess.Popen([coe, "worker", "--concurrency", str(workers), "--loglevel", "info"],
                                stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    worker = WorkerProcess(proc, log)
    try:
        deadline = time.monotonic() + 120
        while not worker.ready():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.1)
        yield worker
    finally:
        worker.stop()


def run_celery(mode: str, broker: str, workers: int, repos: list[Path], workdir: Path, base: str | None) -> Row:
    from coe_framework.analysis.process_store import open_store
    from coe_framework.jobs.executors import CeleryExecutor, JobRuntime
    from coe_framework.queue.settings import JobSettings

    db = fresh_database(base, workdir)
    queue_name = f"coe.bench.{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "COE_DATABASE_URL": db.url, "COE_EXECUTOR": "celery", "COE_BROKER_URL": broker,
           "COE_JOB_QUEUE": queue_name, "COE_PLUGIN_MODULES": str(THIS_FILE), "COE_DISABLE_PLUGINS": "git,ast,techspec"}
    try:
        store = open_store(db.url)
        ids = queue_requests(store, repos)
        settings = JobSettings(executor="celery", broker_url=broker, queue=queue_name)
        for worker in start_worker(workers, env, workdir / f"{mode}-{workers}.log"):
            executor = CeleryExecutor(JobRuntime(settings, store))
            meter = CpuMeter()
            started = time.perf_counter()
            for request_id in ids:
                executor.submit(request_id)
            wait_all(store, ids, 1800, lambda: worker.proc.poll() is None)
            seconds = time.perf_counter() - started
            cpu = meter.stop()
            executor.close()
        _done, statuses, held = finished_stats(store, ids)
        if set(statuses) != {"succeeded"}:
            report_failures(store, ids, workdir / f"{mode}-{workers}.log")
        return Row(mode, workers, seconds, len(ids), held, cpu, statuses)
    finally:
        from coe_framework.db.engine import dispose_engines

        dispose_engines()
        db.cleanup()
        from coe_framework.jobs.celery_app import delete_queue

        delete_queue(broker, queue_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--probe", type=int, default=30, help="analyses in each floor probe")
    parser.add_argument("--overhead", type=int, default=40, help="analyses in part 1 (0: skip)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--modes", default="threads,celery-redis,celery-amqp")
    parser.add_argument("--database", default=os.environ.get("COE_TEST_DATABASE_URL", "").strip() or None)
    parser.add_argument("--keep", action="store_true", help="keep the work folder (repositories, worker logs)")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    brokers = {"celery-redis": os.environ.get("COE_TEST_REDIS_URL", "").strip(),
               "celery-amqp": os.environ.get("COE_TEST_BROKER_URL", "").strip()}

    from coe_framework.plugin.manager import PluginManager

    manager = PluginManager({})
    manager.load_module_file(THIS_FILE)
    workdir = Path(tempfile.mkdtemp(prefix="coe-jobs-bench-"))
    os.environ.setdefault("COE_WORKSPACE", str(workdir / "mirrors"))
    try:
        print(f"{args.jobs} analyses, database {'PostgreSQL' if args.database else 'SQLite'}, "
              f"{os.cpu_count()} cores; floor probes of {args.probe}; creating repositories...", flush=True)
        repos = make_repositories(workdir / "repos", args.jobs)
        if args.overhead:
            direct, inline = run_overhead(repos[:args.overhead], workdir, manager, args.database)
            print(f"overhead: direct call {direct * 1000:.0f} ms/job, inline executor {inline * 1000:.0f} ms/job, "
                  f"x{direct / inline:.2f} of the direct rate ({(inline - direct) * 1000:+.0f} ms per job)", flush=True)
        if not modes:
            return
        probe = lambda: run_floor(repos[:args.probe], workdir, manager, args.database).rate  # noqa: E731
        floor_after = probe()
        for mode in modes:
            if mode.startswith("celery") and not brokers.get(mode):
                print(f"{mode}: skipped (set {'COE_TEST_REDIS_URL' if mode == 'celery-redis' else 'COE_TEST_BROKER_URL'})")
                continue
            first: Row | None = None
            for workers in counts:
                floor_before = floor_after
                if mode == "threads":
                    row = run_threads(workers, repos, workdir, manager, args.database)
                else:
                    row = run_celery(mode, brokers[mode], workers, repos, workdir, args.database)
                floor_after = probe()
                row.floor = (floor_before + floor_after) / 2
                first = first or row
                print(format_row(row, first), flush=True)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def format_row(row: Row, first: Row) -> str:
    bad = {s: n for s, n in row.statuses.items() if s != "succeeded"}
    return (f"{row.mode:<13} workers={row.workers}  {row.seconds:6.1f}s  {row.rate:5.2f} jobs/s  "
            f"floor {row.floor:5.2f} jobs/s  x{row.relative:4.2f} floor  x{row.relative / first.relative:4.2f} vs 1 worker  "
            f"lease held {row.held:5.2f}s  cpu {row.cpu:3.0f}%" + (f"  NOT SUCCEEDED: {bad}" if bad else ""))


if __name__ == "__main__":
    main()
