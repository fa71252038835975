"""Load benchmark of the web API: a real gunicorn server and a load generator on loopback.

Runs ``coe serve`` (gunicorn, gthread workers, api_logs on) against a seeded
database, then drives it with keep-alive connections from a bounded load
generator (threads in a few processes, http.client) for a fixed time: a mix
of finished-result reads and analysis listings. Reports requests per second,
p50/p95/p99 latency and errors, side by side with a floor: the smallest WSGI
app under the same gunicorn settings and load (bench/web_floor_app.py).

In the same server run, the original services' routes are measured against
the native routes they map to: a legacy mix (``/api/v1/results/{id}`` by
string id, ``/flows/list``) and its native counterpart
(``/api/v1/analyses/{id}/results``, ``/api/v1/flows``), each for
``--legacy-seconds``, alternating in halves so drift hits both alike.

With ``--results-of PATH`` the same server run also analyzes the Git
repository at PATH with every analyzer (``coe analyze``, as a user runs it)
and measures its full-results document (``/api/v1/analyses/{id}/results``,
about a megabyte of JSON for flask) for ``--results-seconds``, requested as
a browser does (``Accept-Encoding: gzip, deflate, br, zstd``).

    .venv/bin/python bench/web_bench.py                       # 30 connections, 60 s, floor 20 s, legacy 2 x 20 s
    .venv/bin/python bench/web_bench.py --duration 10 --floor-seconds 5 --legacy-seconds 10 --json out.json
    .venv/bin/python bench/web_bench.py --duration 20 --legacy-seconds 0 --results-of /tmp/flask --results-seconds 30

Never run as a test.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- data --------------------------------------------------------------------


def git_like_result(n: int) -> dict[str, Any]:
    """A result payload of realistic size (a few KB), different per analysis."""
    rng = random.Random(n)
    return {
        "commits": 500 + n,
        "authors": [{"name": f"dev{i}", "email": f"dev{i}@example.org", "commits": rng.randint(1, 200)} for i in range(12)],
        "hotspots": [{"path": f"src/module_{i}.py", "changes": rng.randint(1, 90), "churn": rng.randint(10, 4000)} for i in range(25)],
        "bus_factor": rng.randint(1, 5),
    }


#: Flows seeded for the flow listings.
FLOWS = 20


def legacy_key(n: int) -> str:
    """The original API's string id of seeded analysis ``n`` (UUID-shaped, as the original made them)."""
    return f"00000000-0000-4000-8000-{n:012x}"


def seed(url: str, analyses: int) -> str:
    """Migrate, store ``analyses`` finished analyses (each with a string id) and some flows; return a read token."""
    from coe_framework.db.engine import get_engine, unit_of_work
    from coe_framework.db.models import AnalysisKey, AnalysisRequest, AnalysisResult, LangFlow, Repository, RepositoryAnalysis, utcnow
    from coe_migrate.migrate import upgrade
    from coe_webapp.tokens import issue_token

    engine = get_engine(url)
    upgrade(engine)
    with unit_of_work(engine) as session:
        repos = [Repository(url=f"https://example.org/team/service-{i}.git", name=f"service-{i}") for i in range(10)]
        session.add_all(repos)
        session.flush()
        for n in range(analyses):
            repo = repos[n % len(repos)]
            request = AnalysisRequest(repositories=[{"url": repo.url, "name": repo.name, "ref": "main"}], status="succeeded",
                                      source="api", progress=1.0, started_at=utcnow(), finished_at=utcnow())
            session.add(request)
            session.flush()
            ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha=f"{n:040x}", status="succeeded", ref="main")
            session.add(ra)
            session.flush()
            session.add(AnalysisResult(repository_analysis_id=ra.id, analyzer="git", analyzer_version="1", options_hash="bench",
                                       status="succeeded", data=git_like_result(n), cache_key=f"bench-{n}", duration=1.0))
            session.add(AnalysisKey(request_id=request.id, key=legacy_key(request.id), include_correlation=True))
        for n in range(FLOWS):
            session.add(LangFlow(flow_id=f"flow-{n}", name=f"flow-{n}", description=f"bench flow {n}",
                                 data={"nodes": [{"id": f"n{i}", "type": "genericNode", "position": {"x": i, "y": i}, "data": {}} for i in range(8)],
                                       "edges": []}))
        issued = issue_token(session, label="web bench", scopes=["read"])
        token = issued.token
    engine.dispose()
    return token


# --- server ------------------------------------------------------------------


def start(command: list[str], env: dict[str, str], port: int, probe: str, timeout: float = 90.0) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited early: {proc.stderr.read().decode(errors='replace')[-2000:] if proc.stderr else ''}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", probe)
            if conn.getresponse().status == 200:
                conn.close()
                return proc
        except OSError:
            time.sleep(0.3)
    stop(proc)
    raise SystemExit("server did not become ready in time")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# --- load generator ----------------------------------------------------------


def _client_thread(port: int, paths: list[tuple[str, str]], headers: dict[str, str], start_at: float, end_at: float,
                   seed_value: int, out: list[tuple[str, float, int]]) -> None:
    rng = random.Random(seed_value)
    conn: http.client.HTTPConnection | None = None
    while time.time() < start_at:
        time.sleep(0.001)
    while True:
        now = time.perf_counter()
        if time.time() >= end_at:
            break
        kind, path = paths[rng.randrange(len(paths))]
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            if conn is not None:
                conn.close()
            conn = None
        out.append((kind, time.perf_counter() - now, status))
    if conn is not None:
        conn.close()


def _client_process(port: int, paths: list[tuple[str, str]], headers: dict[str, str], threads: int, start_at: float,
                    end_at: float, seed_value: int, queue: Any) -> None:
    import threading

    results: list[list[tuple[str, float, int]]] = [[] for _ in range(threads)]
    workers = [threading.Thread(target=_client_thread, args=(port, paths, headers, start_at, end_at, seed_value * 1000 + i, results[i]))
               for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    queue.put([row for rows in results for row in rows])


def drive(port: int, paths: list[tuple[str, str]], headers: dict[str, str], connections: int, processes: int, seconds: float) -> list[tuple[str, float, int]]:
    """``connections`` keep-alive connections for ``seconds``; every request's (kind, latency, status)."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    start_at = time.time() + 0.5
    per = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    procs = [ctx.Process(target=_client_process, args=(port, paths, headers, n, start_at, start_at + seconds, i, queue)) for i, n in enumerate(per) if n]
    for p in procs:
        p.start()
    rows: list[tuple[str, float, int]] = []
    for _ in procs:
        rows.extend(queue.get(timeout=seconds + 120))
    for p in procs:
        p.join(timeout=30)
    return rows


def process_cpu(proc: subprocess.Popen[bytes]) -> float:
    """CPU seconds used so far by a server and its worker processes."""
    import psutil

    try:
        parent = psutil.Process(proc.pid)
        members = [parent, *parent.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0.0
    for member in members:
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


def measured(proc: subprocess.Popen[bytes], *args: Any) -> dict[str, Any]:
    """Drive the server and summarize, with the server's CPU time per request."""
    before = process_cpu(proc)
    rows = drive(*args)
    used = process_cpu(proc) - before
    summary = summarize(rows, args[-1])
    summary["server_cpu_ms_per_request"] = round(used * 1000 / max(len(rows), 1), 3)
    return summary


def summarize(rows: list[tuple[str, float, int]], seconds: float) -> dict[str, Any]:
    def pct(values: list[float], q: float) -> float:
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    latencies = sorted(r[1] for r in rows)
    errors = sum(1 for r in rows if r[2] not in (200, 304))
    by_kind = {}
    for kind in sorted({r[0] for r in rows}):
        values = sorted(r[1] for r in rows if r[0] == kind)
        by_kind[kind] = {"requests": len(values), "p50_ms": round(pct(values, 0.50), 2), "p95_ms": round(pct(values, 0.95), 2)}
    return {
        "requests": len(rows),
        "rps": round(len(rows) / seconds, 1),
        "p50_ms": round(pct(latencies, 0.50), 2),
        "p95_ms": round(pct(latencies, 0.95), 2),
        "p99_ms": round(pct(latencies, 0.99), 2),
        "errors": errors,
        "statuses": {str(s): sum(1 for r in rows if r[2] == s) for s in sorted({r[2] for r in rows})},
        "by_kind": by_kind,
    }


def workload(analyses: int) -> list[tuple[str, str]]:
    """70% finished-result reads, 30% analysis listings (with and without filters)."""
    paths: list[tuple[str, str]] = []
    for n in range(1, analyses + 1):
        paths += [("results", f"/api/v1/analyses/{n}/results")] * 4 + [("results", f"/api/v1/analyses/{n}/results/git")] * 3
        paths += [("listing", "/api/v1/analyses?limit=20")] * 2 + [("listing", "/api/v1/analyses?status=succeeded&limit=10")]
    return paths


def legacy_workloads(analyses: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The original routes' mix and the native routes it maps to, in the same proportions (70% results, 30% flows)."""
    legacy: list[tuple[str, str]] = []
    native: list[tuple[str, str]] = []
    for n in range(1, analyses + 1):
        legacy += [("legacy_results", f"/api/v1/results/{legacy_key(n)}")] * 7 + [("legacy_flows", "/flows/list")] * 3
        native += [("native_results", f"/api/v1/analyses/{n}/results")] * 7 + [("native_flows", "/api/v1/flows")] * 3
    return legacy, native


def compare_legacy(server: subprocess.Popen[bytes], port: int, headers: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Both mixes on the running server, alternating halves; the legacy figures as ratios of the native ones."""
    legacy_paths, native_paths = legacy_workloads(args.analyses)
    drive(port, legacy_paths, headers, args.connections, args.client_processes, 2.0)  # warm-up of the legacy documents
    halves: dict[str, list[dict[str, Any]]] = {"native": [], "legacy": []}
    for _round in range(2):
        for name, paths in (("native", native_paths), ("legacy", legacy_paths)):
            halves[name].append(measured(server, port, paths, headers, args.connections, args.client_processes, args.legacy_seconds / 2))
    out: dict[str, Any] = {}
    for name, parts in halves.items():
        requests = sum(p["requests"] for p in parts)
        out[name] = {
            "requests": requests,
            "rps": round(requests / args.legacy_seconds, 1),
            "p50_ms": round(sum(p["p50_ms"] for p in parts) / len(parts), 2),
            "p95_ms": round(sum(p["p95_ms"] for p in parts) / len(parts), 2),
            "errors": sum(p["errors"] for p in parts),
            "server_cpu_ms_per_request": round(sum(p["server_cpu_ms_per_request"] * p["requests"] for p in parts) / max(requests, 1), 3),
            "by_kind": {
                kind: {
                    "requests": sum(p["by_kind"][kind]["requests"] for p in parts if kind in p["by_kind"]),
                    "p50_ms": round(sum(p["by_kind"][kind]["p50_ms"] for p in parts if kind in p["by_kind"]) / len(parts), 2),
                    "p95_ms": round(sum(p["by_kind"][kind]["p95_ms"] for p in parts if kind in p["by_kind"]) / len(parts), 2),
                }
                for kind in sorted({k for p in parts for k in p["by_kind"]})
            },
        }
    native, legacy = out["native"], out["legacy"]
    out["cost_ratio"] = {
        "rps": round(native["rps"] / max(legacy["rps"], 1e-9), 3),
        "p95": round(legacy["p95_ms"] / max(native["p95_ms"], 1e-9), 3),
        "server_cpu": round(legacy["server_cpu_ms_per_request"] / max(native["server_cpu_ms_per_request"], 1e-9), 3),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="Seconds of measured load on CoE (default 60).")
    parser.add_argument("--floor-seconds", type=float, default=20.0, help="Seconds of load on the floor app (0 to skip).")
    parser.add_argument("--connections", type=int, default=30)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--legacy-seconds", type=float, default=40.0,
                        help="Seconds for each of the legacy mix and its native counterpart (0 to skip).")
    parser.add_argument("--analyses", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="Default: a new SQLite file.")
    parser.add_argument("--no-api-log", action="store_true", help="Turn api_logs off (to see what logging costs).")
    parser.add_argument("--json", dest="json_path", default=None, help="Also write the figures here.")
    parser.add_argument("--results-of", default=None, help="A Git repository to analyze and serve the full results of.")
    parser.add_argument("--results-seconds", type=float, default=30.0, help="Seconds of load on that full-results document.")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="coe-web-bench-"))
    url = args.database_url or f"sqlite:///{work / 'bench.sqlite3'}"
    env = {**os.environ, "COE_DATABASE_URL": url, "COE_FLOWS_DIR": str(work / "flows"), "XDG_DATA_HOME": str(work / "data"),
           "XDG_CACHE_HOME": str(work / "cache"), "COE_API_LOG": "off" if args.no_api_log else "on", "COE_EXECUTOR": "threads",
           # One client token at ~1,000 requests/s: the limiter is on but not binding.
           "COE_RATE_LIMIT": "100000000 per hour"}
    os.environ.update({k: env[k] for k in ("COE_DATABASE_URL", "XDG_DATA_HOME", "XDG_CACHE_HOME")})
    report: dict[str, Any] = {"api_logs": not args.no_api_log, "connections": args.connections, "workers": args.workers, "threads": args.threads,
                              "cores": os.cpu_count(), "database": url.split(":", 1)[0]}
    try:
        token = seed(url, args.analyses)
        headers = {"Authorization": f"Bearer {token}"}
        real = analyze_real(args.results_of, env) if args.results_of else None
        if args.floor_seconds > 0:
            port = free_port()
            floor = start([str(BIN / "gunicorn"), "--chdir", str(ROOT / "bench"), "-k", "gthread", "-w", str(args.workers),
                           "--threads", str(args.threads), "-b", f"127.0.0.1:{port}", "web_floor_app:app"], env, port, "/")
            try:
                drive(port, [("floor", "/")], {}, args.connections, args.client_processes, 2.0)  # warm-up
                report["floor"] = measured(floor, port, [("floor", "/")], {}, args.connections, args.client_processes, args.floor_seconds)
            finally:
                stop(floor)
        port = free_port()
        server = start([str(BIN / "coe"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(args.workers),
                        "--threads", str(args.threads)], env, port, "/ready")
        try:
            paths = workload(args.analyses)
            drive(port, paths, headers, args.connections, args.client_processes, 3.0)  # warm-up: fills the result caches
            report["coe"] = measured(server, port, paths, headers, args.connections, args.client_processes, args.duration)
            if args.legacy_seconds > 0:
                report["legacy"] = compare_legacy(server, port, headers, args)
            if real is not None:
                report["full_results"] = measure_full_results(server, port, headers, real, args)
        finally:
            stop(server)
        report["api_logs_rows"] = _count_logs(url)
        if "floor" in report:
            report["ratio_to_floor"] = round(report["coe"]["rps"] / max(report["floor"]["rps"], 1e-9), 3)
            if "full_results" in report:
                report["full_results"]["ratio_to_floor"] = round(report["full_results"]["rps"] / max(report["floor"]["rps"], 1e-9), 3)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(report, indent=2))
    coe = report["coe"]
    print(f"\nCoE: {coe['rps']} req/s, p50 {coe['p50_ms']} ms, p95 {coe['p95_ms']} ms, p99 {coe['p99_ms']} ms, errors {coe['errors']}, "
          f"server CPU {coe['server_cpu_ms_per_request']} ms/request"
          + (f"; floor {report['floor']['rps']} req/s (ratio {report['ratio_to_floor']})" if "floor" in report else ""))
    if "legacy" in report:
        legacy, native, ratio = report["legacy"]["legacy"], report["legacy"]["native"], report["legacy"]["cost_ratio"]
        print(f"original routes: {legacy['rps']} req/s, p95 {legacy['p95_ms']} ms, CPU {legacy['server_cpu_ms_per_request']} ms/request; "
              f"native counterpart: {native['rps']} req/s, p95 {native['p95_ms']} ms, CPU {native['server_cpu_ms_per_request']} ms/request; "
              f"cost ratios (legacy / native): rps {ratio['rps']}x, p95 {ratio['p95']}x, CPU {ratio['server_cpu']}x (target <= 1.2)")
    if "full_results" in report:
        full = report["full_results"]
        print(f"full results of {full['repository']} ({full['raw_bytes']:,} bytes, {full['encoding']} {full['sent_bytes']:,}): "
              f"{full['rps']} req/s, p50 {full['p50_ms']} ms, p95 {full['p95_ms']} ms, p99 {full['p99_ms']} ms, errors {full['errors']}, "
              f"server CPU {full['server_cpu_ms_per_request']} ms/request"
              + (f"; {full['ratio_to_floor']}x the floor (target >= 0.3, p99 < 50 ms)" if "ratio_to_floor" in full else ""))
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(report, indent=2) + "\n")
    legacy_errors = sum(report["legacy"][k]["errors"] for k in ("legacy", "native")) if "legacy" in report else 0
    full_errors = report["full_results"]["errors"] if "full_results" in report else 0
    return 0 if coe["errors"] == 0 and legacy_errors == 0 and full_errors == 0 else 1


BROWSER_ENCODINGS = "gzip, deflate, br, zstd"


def analyze_real(path: str, env: dict[str, str]) -> int:
    """Analyze the repository at ``path`` with every analyzer, as a user would; the analysis id."""
    from sqlalchemy import func, select

    from coe_framework.db.engine import get_engine
    from coe_framework.db.models import AnalysisRequest

    subprocess.run([str(BIN / "coe"), "analyze", path, "--format", "json"], env=env, check=True, stdout=subprocess.DEVNULL)
    engine = get_engine(env["COE_DATABASE_URL"])
    with engine.connect() as conn:
        analysis_id = int(conn.execute(select(func.max(AnalysisRequest.id))).scalar_one())
    engine.dispose()
    return analysis_id


def measure_full_results(server: subprocess.Popen[bytes], port: int, headers: dict[str, str], analysis_id: int,
                         args: argparse.Namespace) -> dict[str, Any]:
    """Load on one real full-results document, compressed as browsers ask for it."""
    path = f"/api/v1/analyses/{analysis_id}/results"
    asked = {**headers, "Accept-Encoding": BROWSER_ENCODINGS}
    sizes = {}
    for label, extra in (("raw", {"Accept-Encoding": "identity"}), ("sent", {"Accept-Encoding": BROWSER_ENCODINGS})):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", path, headers={**headers, **extra})
        response = conn.getresponse()
        sizes[label] = (len(response.read()), response.getheader("Content-Encoding") or "identity")
        conn.close()
    paths = [("full_results", path)]
    drive(port, paths, asked, args.connections, args.client_processes, 3.0)  # warm-up: the document and its compressed body kept
    figures = measured(server, port, paths, asked, args.connections, args.client_processes, args.results_seconds)
    return {**figures, "repository": args.results_of, "raw_bytes": sizes["raw"][0], "sent_bytes": sizes["sent"][0], "encoding": sizes["sent"][1]}


def _count_logs(url: str) -> int:
    from sqlalchemy import func, select

    from coe_framework.db.engine import get_engine
    from coe_framework.db.models import ApiLog

    with get_engine(url).connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ApiLog)).scalar_one())


if __name__ == "__main__":
    sys.exit(main())
