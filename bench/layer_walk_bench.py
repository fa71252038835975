"""How an analysis travels through the code's layers: one API submission and one `coe analyze`, traced.

    .venv/bin/python bench/layer_walk_bench.py [--files 20] [--show]

Runs, in this process and on a scratch SQLite database, one
`POST /api/v1/analyses` (the embedded executor set to inline, so the job runs
in the request) and one `coe analyze` through the command's own entry point,
with a profiler that sees every Python call. Each call whose caller and callee
sit in different layers is a crossing:

    web (coe_webapp), jobs, analysis (the main job, runner,
    sources, the plugin system), store (coe_framework/db and the job queue's leases), plugin (coe_plugins),
    outputs (documents, search, vulnerabilities, measures after the results),
    cli; errors and settings are the foundation every layer calls, and calls
    into them cross nothing. A call counts when one CoE frame calls another
    directly or through pluggy's dispatch; a library calling back into CoE (an
    SQLAlchemy event listener) is not one layer calling another

It prints, per path: the distinct crossing call sites executed (caller
function -> callee function across layers), how many of them go back up
(store -> analysis or plugin, analysis -> jobs or web, plugin called from the
store), the layer pairs those call sites join, and how many times the request row is read
(`SELECT ... FROM analysis_requests`). Analyzers run in forked children, which
the profiler does not follow; what the parent does with their results is seen.
Nothing leaves the machine: the repository is a local directory.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from request_path_bench import build_repository  # noqa: E402

#: Layer order, bottom to top: a crossing from a lower layer into a higher one goes back up.
ORDER = ("store", "plugin", "outputs", "analysis", "jobs", "web", "cli")


def layer(module: str) -> str | None:
    """The layer a module belongs to (None: not CoE's code, or the foundation every layer uses)."""
    if module.startswith("coe_webapp"):
        return "web"
    if module.startswith("coe_plugins"):
        return "plugin"
    if not module.startswith("coe_framework"):
        return None
    part = module.split(".")[1] if "." in module else ""
    if part in ("errors", "settings", "jsonfiles", "plugin_api", "__init__", ""):
        return None  # the foundation every layer uses: calls into it cross nothing
    if part in ("db", "queue") or module in ("coe_framework.jobs.leases", "coe_framework.jobs.direct", "coe_framework.jobs.guard"):
        return "store"  # the queue is SQL on request rows: claims, heartbeats, guarded writes
    if part == "jobs":
        return "jobs"
    if part == "cli" or part.endswith("_cli") or module.endswith(".commands") or part in ("logsetup", "progress", "analyze_options"):
        return "cli"
    if part in ("analysis", "repository", "plugin", "service", "runner", "repos", "addresses", "gitutil", "tree_guard",
                "child_limits", "file_pool", "repo_config", "cache", "context", "plugins", "analyzer", "hookspecs"):
        return "analysis"
    return "outputs"


#: Libraries whose frames may stand between two CoE frames of one call: pluggy's hook
#: dispatch (a plugin called by the core). Other library frames in between (SQLAlchemy
#: event listeners, Flask's dispatch) are callbacks, not one layer calling another.
PASS_THROUGH = ("pluggy",)


class Tracer:
    """Counts cross-layer call sites and the first entry into each layer."""

    def __init__(self) -> None:
        self.sites: Counter[tuple[str, str]] = Counter()
        self.calls: list[tuple[str, str]] = []

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if event != "call":
            return
        caller = frame.f_back
        if caller is None:
            return
        callee_layer = layer(frame.f_globals.get("__name__", ""))
        if callee_layer is None:
            return
        # The caller is the CoE frame right above, or above pluggy's dispatch; a call that a
        # library makes back into CoE (an event listener) crosses nothing.
        while caller is not None and layer(caller.f_globals.get("__name__", "")) is None:
            name = caller.f_globals.get("__name__", "")
            if not name.startswith(PASS_THROUGH) and not name.startswith("coe_"):
                return
            caller = caller.f_back
        if caller is None:
            return
        caller_layer = layer(caller.f_globals.get("__name__", ""))
        if caller_layer == callee_layer:
            return
        site = (f"{caller_layer}:{caller.f_globals['__name__']}.{caller.f_code.co_name}",
                f"{callee_layer}:{frame.f_globals['__name__']}.{frame.f_code.co_name}")
        if site not in self.sites:
            self.calls.append(site)
        self.sites[site] += 1

    def summary(self) -> dict[str, Any]:
        back_up = [s for s in self.sites if ORDER.index(s[1].split(":")[0]) > ORDER.index(s[0].split(":")[0])
                   and not s[0].startswith(("cli:", "web:"))]
        pairs = Counter((a.split(":")[0], b.split(":")[0]) for a, b in self.sites)
        return {
            "crossing_call_sites": len(self.sites),
            "layer_pairs": {f"{a}->{b}": n for (a, b), n in sorted(pairs.items())},
            "call_sites_back_up": len(back_up),
        }


def traced(fn: Any) -> tuple[Tracer, Any]:
    tracer = Tracer()
    threading.setprofile(tracer)
    sys.setprofile(tracer)
    try:
        value = fn()
    finally:
        sys.setprofile(None)
        threading.setprofile(None)  # type: ignore[arg-type]
    return tracer, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--show", action="store_true", help="print every crossing call site")
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="coe-walk-"))
    os.environ.update({"COE_DATABASE_URL": f"sqlite:///{work / 'coe.sqlite3'}", "COE_ALLOWED_DIRS": str(work),
                       "COE_EXECUTOR": "inline", "COE_DATA_DIR": str(work / "data")})
    subprocess.run([str(ROOT / ".venv" / "bin" / "coe"), "db", "upgrade"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    build_repository(work / "api-repo", args.files)
    build_repository(work / "cli-repo", args.files)

    from click.testing import CliRunner
    from sqlalchemy import Engine, event

    from coe_webapp import WebSettings, create_app
    from coe_webapp.tokens import issue_token

    reads = {"n": 0}

    def count(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
        text = statement.lstrip().upper().replace('"', "").replace("`", "")
        if text.startswith("SELECT") and "FROM ANALYSIS_REQUESTS" in text:
            reads["n"] += 1

    event.listen(Engine, "before_cursor_execute", count)
    app = create_app(WebSettings.from_env(database_url=os.environ["COE_DATABASE_URL"], check_migrations=False,
                                          flows_dir=str(work / "flows")))
    coe = app.extensions["coe"]
    from coe_framework.db.engine import unit_of_work

    with unit_of_work(coe.engine) as session:
        token = issue_token(session, label="walk", scopes=["write", "read"]).token
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get("/api/v1/analyses", headers=headers)  # warm: the app's first request builds its caches

    reads["n"] = 0
    tracer, response = traced(lambda: client.post("/api/v1/analyses", json={"repositories": [{"url": str(work / "api-repo")}]},
                                                  headers=headers))
    api = {**tracer.summary(), "status": response.status_code, "request_row_reads": reads["n"]}
    api_sites = tracer.calls

    import importlib

    try:
        cli = importlib.import_module("coe_framework.cli.main").cli
    except ImportError:  # the layout before the core's subpackages: the root group in coe_framework/cli.py
        cli = importlib.import_module("coe_framework.cli").cli
    reads["n"] = 0
    tracer, result = traced(lambda: CliRunner().invoke(cli, ["--quiet", "analyze", str(work / "cli-repo")], catch_exceptions=False))
    command = {**tracer.summary(), "exit_code": result.exit_code, "request_row_reads": reads["n"]}
    print(json.dumps({"api_submission": api, "coe_analyze": command}, indent=2))
    if args.show:
        for title, sites in (("API", api_sites), ("coe analyze", tracer.calls)):
            print(f"\n{title}:")
            for caller, callee in sites:
                print(f"  {caller} -> {callee}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
