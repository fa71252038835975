"""What one analysis costs the database, seen from PostgreSQL: whole commands, as users run them.

    .venv/bin/python bench/request_path_bench.py [--server postgresql://postgres@127.0.0.1:5432/postgres]
                                                 [--files 40] [--coe .venv/bin/coe]

Creates a scratch database on the server (dropped at the end), migrates it with
`coe db upgrade`, builds a small generated repository, then measures two paths:

1. `coe analyze REPO` (the command line's path);
2. `coe serve --dev` on a loopback port, one `POST /api/v1/analyses`, polled until
   the analysis is finished (the API's path, run by the embedded job executor).

For each it prints, from `pg_stat_user_tables` (after the processes have exited, so
their statistics are flushed): rows read (`seq_tup_read + idx_tup_fetch`), index and
sequential scans, rows written, and the scans of `analysis_requests` (how often the
request row is looked up). For the server it also prints how many connections to the
database the serving process holds once the analysis is done (one pool per engine:
a process with two engines holds two idle connections or more).

Nothing leaves the machine: the database is on loopback and the repository a local
directory below `COE_ALLOWED_DIRS`.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]


def build_repository(path: Path, files: int) -> None:
    """A repository of Python, JavaScript and a manifest, in two commits."""
    path.mkdir(parents=True)
    env = {**os.environ, "GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.com",
           "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.com"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    (path / "requirements.txt").write_text("flask>=3.0\nrequests==2.32.3\n")
    (path / "LICENSE").write_text("MIT License\n\nPermission is hereby granted, free of charge, to any person\n")
    for i in range(files):
        body = "".join(f"def f{i}_{j}(x):\n    if x > {j}:\n        return x * {j}\n    return -x\n\n" for j in range(8))
        (path / f"pkg/mod{i}.py").parent.mkdir(exist_ok=True)
        (path / f"pkg/mod{i}.py").write_text(body)
        (path / f"web/part{i}.js").parent.mkdir(exist_ok=True)
        (path / f"web/part{i}.js").write_text(f"export function part{i}(a) {{ return a > {i} ? a : -a; }}\n")
    for message in ("first", "second"):
        (path / "CHANGES.md").write_text(f"{message}\n")
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True, env=env)
        subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", message], check=True, env=env)


def table_stats(url: str) -> dict[str, dict[str, int]]:
    """Cumulative per-table counters of the database, read fresh."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_clear_snapshot()")
        rows = conn.execute(
            "SELECT relname, coalesce(seq_tup_read,0) + coalesce(idx_tup_fetch,0), coalesce(seq_scan,0),"
            " coalesce(idx_scan,0), n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables"
        ).fetchall()
    return {r[0]: {"read": r[1], "seq_scans": r[2], "idx_scans": r[3], "written": r[4]} for r in rows}


def delta(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, Any]:
    """Totals of what changed between two readings, and the request table's scans."""
    keys = ("read", "seq_scans", "idx_scans", "written")
    totals = {k: sum(after[t][k] - before.get(t, {}).get(k, 0) for t in after) for k in keys}
    requests = {k: after.get("analysis_requests", {}).get(k, 0) - before.get("analysis_requests", {}).get(k, 0)
                for k in ("seq_scans", "idx_scans")}
    totals["request_row_scans"] = requests["seq_scans"] + requests["idx_scans"]
    return totals


def settle(url: str, seconds: float = 1.5) -> dict[str, dict[str, int]]:
    """Wait for exited backends to flush their statistics, then read them."""
    time.sleep(seconds)
    return table_stats(url)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(method: str, url: str, token: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as response:  # noqa: S310 - loopback only
        return json.loads(response.read())


def database_connections(pid: int, port: int) -> int:
    """TCP connections from the process (and its children) to the database port."""
    proc = psutil.Process(pid)
    procs = [proc, *proc.children(recursive=True)]
    return sum(1 for p in procs for c in p.net_connections(kind="tcp") if c.raddr and c.raddr.port == port)


def measure_cli(coe: str, env: dict[str, str], repo: Path, url: str) -> dict[str, Any]:
    before = table_stats(url)
    start = time.perf_counter()
    subprocess.run([coe, "--quiet", "analyze", str(repo)], check=True, env=env, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    return {**delta(before, settle(url)), "seconds": round(seconds, 2)}


def measure_api(coe: str, env: dict[str, str], repo: Path, url: str, db_port: int) -> dict[str, Any]:
    token = subprocess.run([coe, "session", "create", "--label", "bench", "--scope", "write", "--scope", "read"],
                           check=True, env=env, capture_output=True, text=True).stdout.strip()
    port = free_port()
    server = subprocess.Popen([coe, "serve", "--dev", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{base}/health/live", timeout=2).read()  # noqa: S310 - loopback only
                break
            except OSError:
                time.sleep(0.1)
        before = table_stats(url)
        start = time.perf_counter()
        created = request("POST", f"{base}/api/v1/analyses", token, {"repositories": [{"url": str(repo)}]})
        analysis_id = created["id"]
        while True:
            status = request("GET", f"{base}/api/v1/analyses/{analysis_id}", token)["status"]
            if status not in ("queued", "running"):
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - start
        connections = database_connections(server.pid, db_port)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    # The server's own reads (token checks, the status polls) are in these figures too.
    return {**delta(before, settle(url)), "seconds": round(seconds, 2), "status": status,
            "server_db_connections": connections}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--coe", default=str(ROOT / ".venv" / "bin" / "coe"))
    args = parser.parse_args(argv)

    name = f"coe_path_bench_{os.getpid()}"
    with psycopg.connect(args.server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    server_url = psycopg.conninfo.conninfo_to_dict(args.server)
    url = psycopg.conninfo.make_conninfo(args.server, dbname=name)
    db_port = int(server_url.get("port") or 5432)
    work = Path(tempfile.mkdtemp(prefix="coe-path-bench-"))
    try:
        repo_cli, repo_api = work / "cli-repo", work / "api-repo"
        build_repository(repo_cli, args.files)
        build_repository(repo_api, args.files)
        sqlalchemy_url = f"postgresql+psycopg://{server_url.get('user', 'postgres')}@{server_url.get('host', '127.0.0.1')}:{db_port}/{name}"
        env = {**os.environ, "COE_DATABASE_URL": sqlalchemy_url, "COE_ALLOWED_DIRS": str(work),
               "COE_EXECUTOR": "threads", "COE_JOB_POLL_SECONDS": "0.2", "COE_DATA_DIR": str(work / "data")}
        subprocess.run([args.coe, "db", "upgrade"], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        results = {"cli": measure_cli(args.coe, env, repo_cli, url),
                   "api": measure_api(args.coe, env, repo_api, url, db_port)}
        print(json.dumps({"files": args.files * 2 + 3, **results}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        with psycopg.connect(args.server, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
