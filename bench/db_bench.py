"""Persistence benchmark: connection checkout, single-row CRUD and cached result reads.

Runs the same workload on SQLite (a temporary file) and, when reachable,
PostgreSQL (a temporary schema) and MariaDB (a temporary database), in one process, and prints p50/p95 per
operation next to the replaced system's claims (connect under 100 ms, CRUD
under 50 ms, cache hit rate over 90 %) and this project's targets (CRUD p95
under 5 ms on SQLite and 10 ms on PostgreSQL and MariaDB, hit ratio over 99 %).

    .venv/bin/python bench/db_bench.py [--postgres URL] [--mariadb URL] [--ops 500] [--reads 5000]

Not a test: figures depend on the machine; run it by hand.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import create_engine, delete, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from coe_framework.plugin.contract import AnalyzerOutcome
from coe_framework.analysis.cache import MemoryCache, TieredCache
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.db.engine import make_engine
from coe_framework.db.models import Repository
from coe_framework.analysis.process_store import open_store
from coe_framework.analysis.normalize import save_outcome
from coe_framework.db.store import Store
from coe_framework.repository.sources import PreparedRepository, RepositorySource
from coe_framework.analysis.runner import RepositoryOutcome

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MARIADB = "mysql+pymysql://root@127.0.0.1:3306/test"
OLD_CLAIMS = {"connect": 100.0, "crud": 50.0, "hit_ratio": 0.90}
TARGETS = {"sqlite": 5.0, "postgresql": 10.0, "mariadb": 10.0, "hit_ratio": 0.99}


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def timed(fn: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def bench_connections(store: Store, url: str, runs: int) -> dict[str, list[float]]:
    def checkout() -> None:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    fresh_engine = create_engine(make_url(url), poolclass=NullPool)

    def fresh() -> None:
        with fresh_engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")

    checkout()
    result = {"pool checkout + SELECT 1": timed(checkout, runs), "new connection + SELECT 1": timed(fresh, max(20, runs // 10))}
    fresh_engine.dispose()
    return result


class RawDriver:
    """The floor: the same single-row statements through the bare DB-API driver, one transaction each."""

    def __init__(self, url: str):
        parsed = make_url(url)
        self.sqlite = parsed.get_backend_name() == "sqlite"
        self.mysql = parsed.get_backend_name() == "mysql"
        if self.sqlite:
            import sqlite3

            self.conn = sqlite3.connect(parsed.database, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.execute("PRAGMA busy_timeout=30000")
            self.mark = "?"
        elif self.mysql:
            import pymysql

            self.conn = pymysql.connect(host=parsed.host, port=parsed.port or 3306, user=parsed.username,
                                        password=parsed.password or "", database=parsed.database, charset="utf8mb4")
            self.mark = "%s"
        else:
            import psycopg

            options = parsed.query.get("options")
            self.conn = psycopg.connect(
                host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                dbname=parsed.database, options=options if isinstance(options, str) else None,
            )
            self.mark = "%s"

    def run(self, sql: str, params: tuple[Any, ...]) -> Any:
        sql = sql.replace("?", self.mark)
        if self.sqlite:
            self.conn.execute("BEGIN")
            row = self.conn.execute(sql, params).fetchone()
            self.conn.execute("COMMIT")
            return row
        returning = self.mysql and sql.endswith(" RETURNING id")
        with self.conn.cursor() as cur:
            # MySQL has no RETURNING: the new id is the cursor's lastrowid.
            cur.execute(sql.removesuffix(" RETURNING id") if returning else sql, params)
            row = (cur.lastrowid,) if returning else cur.fetchone() if cur.description else None
        self.conn.commit()
        return row

    def close(self) -> None:
        self.conn.close()


def bench_crud(store: Store, url: str, runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """Each operation through the store's unit of work and through the raw driver, interleaved."""
    raw = RawDriver(url)
    ours_ids: list[int] = []
    raw_ids: list[int] = []
    now = time.time

    def create() -> None:
        with store.session() as s:
            repo = Repository(url=f"https://bench.example/{uuid.uuid4().hex}.git", name="r")
            s.add(repo)
            s.flush()
            ours_ids.append(repo.id)

    def raw_create() -> None:
        from datetime import datetime, timezone

        stamp = datetime.fromtimestamp(now(), timezone.utc)
        value = stamp.replace(tzinfo=None) if raw.sqlite or raw.mysql else stamp
        row = raw.run("INSERT INTO repositories (url, name, created_at, updated_at) VALUES (?, ?, ?, ?) RETURNING id",
                      (f"https://raw.example/{uuid.uuid4().hex}.git", "r", value, value))
        raw_ids.append(row[0])

    def read() -> None:
        with store.session() as s:
            s.execute(select(Repository).where(Repository.id == ours_ids[len(ours_ids) // 2])).scalar_one()

    def raw_read() -> None:
        raw.run("SELECT id, url, name, default_branch, last_commit_sha, last_analyzed_at, created_at, updated_at "
                "FROM repositories WHERE id = ?", (raw_ids[len(raw_ids) // 2],))

    def update_one() -> None:
        with store.session() as s:
            s.get(Repository, ours_ids[-1]).default_branch = uuid.uuid4().hex[:8]

    def raw_update() -> None:
        raw.run("UPDATE repositories SET default_branch = ? WHERE id = ?", (uuid.uuid4().hex[:8], raw_ids[-1]))

    def delete_one() -> None:
        with store.session() as s:
            s.execute(delete(Repository).where(Repository.id == ours_ids.pop()))

    def raw_delete() -> None:
        raw.run("DELETE FROM repositories WHERE id = ?", (raw_ids.pop(),))

    out: dict[str, tuple[list[float], list[float]]] = {}
    try:
        for name, ours, floor in (("create", create, raw_create), ("read", read, raw_read),
                                  ("update", update_one, raw_update), ("delete", delete_one, raw_delete)):
            pairs = [(timed(ours, 1)[0], timed(floor, 1)[0]) for _ in range(runs)]
            out[name] = ([p[0] for p in pairs], [p[1] for p in pairs])
    finally:
        raw.close()
    return out


def _stored_analysis(store: Store, n: int) -> int:
    url = f"https://bench.example/cache/{n}.git"
    request, _ = store.create_request([{"url": url, "name": f"c{n}"}], status="running")
    source = RepositorySource("remote", url, f"c{n}")
    prepared = PreparedRepository(source, Path("/nonexistent"), "main", f"{n:040x}", "main", "2024-01-01T00:00:00+00:00", "A <a@x>", "m")
    ra = store.start_repository_analysis(request["id"], prepared)
    payload = {"files": {f"src/m{i}.py": {"lines": i, "complexity": i % 7} for i in range(200)}}
    outcomes = {
        name: AnalyzerOutcome(name, "1", "o", "succeeded", data=payload, cache_key=f"{n}-{name}")
        for name in ("git", "ast", "techspec")
    }
    save_outcome(store, ra, RepositoryOutcome(RepositoryInfo(url, f"c{n}", "/x"), prepared.commit, "succeeded", outcomes, 1.0, 200))
    store.update_request(request["id"], status="succeeded", progress=1.0)
    return int(request["id"])


def bench_cached_reads(store: Store, reads: int, analyses: int = 10) -> dict[str, Any]:
    ids = [_stored_analysis(store, n) for n in range(analyses)]
    uncached_store = Store(store.engine, TieredCache(MemoryCache(1)))

    def uncached() -> None:
        uncached_store.cache.first.clear()
        uncached_store.get_results(ids[0])

    floor = timed(uncached, 200)
    cache = TieredCache(MemoryCache(10_000))
    cached_store = Store(store.engine, cache)
    samples = []
    for i in range(reads):
        t0 = time.perf_counter()
        cached_store.get_results(ids[i % len(ids)])
        samples.append((time.perf_counter() - t0) * 1000)
    return {"database read (cache off)": floor, "repeated reads (cache on)": samples, "hit_ratio": cache.hit_ratio,
            "hits": cache.hits, "misses": cache.misses}


def run_backend(name: str, url: str, ops: int, reads: int) -> dict[str, Any]:
    store = open_store(url, cache=TieredCache(MemoryCache(10_000)))
    try:
        return {
            "connections": bench_connections(store, url, ops),
            "crud": bench_crud(store, url, ops),
            "cache": bench_cached_reads(store, reads),
        }
    finally:
        store.engine.dispose()


def report(results: dict[str, dict[str, Any]]) -> None:
    print("| backend | operation | p50 ms | p95 ms | old claim | target | verdict |")
    print("|---|---|---|---|---|---|---|")
    for backend, figures in results.items():
        for op, samples in figures["connections"].items():
            p50, p95 = percentiles(samples)
            print(f"| {backend} | {op} | {p50:.3f} | {p95:.3f} | < {OLD_CLAIMS['connect']:.0f} | - | {'ok' if p95 < OLD_CLAIMS['connect'] else 'over'} |")
        for op, (samples, floor) in figures["crud"].items():
            p50, p95 = percentiles(samples)
            f50, f95 = percentiles(floor)
            target = TARGETS[backend]
            print(f"| {backend} | {op} (one row, own transaction) | {p50:.3f} | {p95:.3f} | < {OLD_CLAIMS['crud']:.0f} | p95 < {target:.0f} | {'ok' if p95 < target else 'over'} |")
            print(f"| {backend} | {op}, raw driver floor (x{p50 / f50:.1f} at p50) | {f50:.3f} | {f95:.3f} | | | |")
        cache = figures["cache"]
        for op in ("database read (cache off)", "repeated reads (cache on)"):
            p50, p95 = percentiles(cache[op])
            print(f"| {backend} | result read, {op} | {p50:.3f} | {p95:.3f} | - | - | - |")
        ratio = cache["hit_ratio"]
        print(f"| {backend} | hit ratio ({cache['hits']} hits, {cache['misses']} misses) | {ratio:.2%} | | > {OLD_CLAIMS['hit_ratio']:.0%} | > {TARGETS['hit_ratio']:.0%} | {'ok' if ratio > TARGETS['hit_ratio'] else 'under'} |")


def run_on_server(backend: str, base: str, create: str, drop: str, url: str, ops: int, reads: int) -> dict[str, Any] | None:
    """:func:`run_backend` in a scratch schema or database made by ``create`` and removed by ``drop``; None without a server."""
    admin = create_engine(base, poolclass=NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(create))
    except Exception as exc:  # noqa: BLE001 - no server: report the others only
        print(f"{backend} skipped: {type(exc).__name__}", file=sys.stderr)
        return None
    try:
        return run_backend(backend, url, ops, reads)
    finally:
        with admin.begin() as conn:
            conn.execute(text(drop))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="PostgreSQL URL ('' to skip)")
    parser.add_argument("--mariadb", default=DEFAULT_MARIADB, help="MariaDB/MySQL URL ('' to skip)")
    parser.add_argument("--ops", type=int, default=500, help="samples per CRUD operation")
    parser.add_argument("--reads", type=int, default=5000, help="reads in the repeated-read workload")
    args = parser.parse_args(argv)
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder:
        results["sqlite"] = run_backend("sqlite", f"sqlite:///{folder}/bench.sqlite3", args.ops, args.reads)
    name = f"coe_bench_{uuid.uuid4().hex[:8]}"
    servers = [
        ("postgresql", args.postgres, f'CREATE SCHEMA "{name}"', f'DROP SCHEMA "{name}" CASCADE',
         lambda base: make_url(base).update_query_dict({"options": f"-csearch_path={name}"})),
        ("mariadb", args.mariadb, f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin",
         f"DROP DATABASE `{name}`", lambda base: make_url(base).set(database=name)),
    ]
    for backend, base, create, drop, scratch_url in servers:
        if base:
            figures = run_on_server(backend, base, create, drop, scratch_url(base).render_as_string(hide_password=False),
                                    args.ops, args.reads)
            if figures is not None:
                results[backend] = figures
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
