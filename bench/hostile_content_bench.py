"""Before/after figures for the hostile cases of docs/reliability.md.

Run by hand (never as a test)::

    .venv/bin/python bench/hostile_content_bench.py [--before REV] [--cap BYTES]

Three cases, each in a fresh process under an address-space cap (default
3 GB: the code before the fixes took 12 GB on the first case), timed and
measured by ``RUSAGE_CHILDREN`` of a wrapper process (the peak RSS of the
largest process of the run):

* ``nested-js``: a 700 KB JavaScript file of 50,000 nested ``function f(){``
  through the file worker's own function (``analyze_file_batch``, 10 s file
  timeout), plus the whole ``coe analyze -a ast`` afterwards;
* ``crash``: a file analyzer that segfaults on one of seven files, through
  the runner with two workers;
* ``git-bomb``: a commit of 10 levels x 10 entries of the same tree, through
  repository preparation (``repos.prepare``: ref, tree check, commit data),
  and the whole ``coe analyze`` afterwards.

"before" is the code at ``--before`` (exported with ``git archive`` into a
temporary directory and put first on ``sys.path``); "after" is this tree.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.hostile import content_builders as build  # noqa: E402
from tests.hostile.measure import run_measured  # noqa: E402

INNER = r"""
import json, os, sys, time
tree, case, repo = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, tree)
started = time.monotonic()
def done(outcome):
    print(json.dumps({"outcome": outcome, "seconds": round(time.monotonic() - started, 2)}))
try:
    if case == "nested-js":
        import inspect
        from plugins.ast.analyzer import AstAnalyzer
        from plugins.ast.models import AstOptions
        from coe_framework.analysis import runner
        from coe_framework.plugin.context import list_files
        entry = [e for e in list_files(repo, "HEAD") if e.path == "deep.js"][0]
        items = [(entry.path, entry.sha)]
        if "before_file" in inspect.signature(runner.analyze_file_batch).parameters:
            out = runner.analyze_file_batch(AstAnalyzer(), AstOptions(), repo, items, file_timeout=10.0)
        else:
            out = runner.analyze_file_batch(AstAnalyzer(), AstOptions(), repo, items, 10.0)
        result = out[0][1]
        done(result.get("error") or result.get("warning") or "analyzed")
    elif case == "crash":
        from coe_framework.plugin.context import RepositoryInfo
        from coe_framework.plugin.hookspecs import hookimpl
        from coe_framework.plugin.manager import PluginManager
        from coe_framework.analysis.runner import Runner
        sys.path.insert(1, os.environ["HOSTILE_DIR"])
        import faulty_plugin
        class Plugin:
            @hookimpl
            def coe_register_analyzers(self, register):
                register(faulty_plugin.Faulty())
        manager = PluginManager({})
        manager.register(Plugin(), "faulty")
        commit = __import__("subprocess").run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
        with Runner(manager, workers=2) as r:
            outcome = r.run(repo, commit, RepositoryInfo(repo, "crash", repo), ["faulty"]).outcomes["faulty"]
        if outcome.status != "succeeded":
            done(f"analyzer {outcome.status}: {outcome.error}")
        else:
            files = outcome.data["files"]
            failed = {p: f["error"] for p, f in files.items() if "error" in f}
            done(f"{len(files) - len(failed)} of {len(files)} files analyzed; {failed}")
    elif case == "git-bomb":
        from coe_framework.repository.sources import SourceError, SourcePolicy, parse_source, prepare
        try:
            prepared = prepare(parse_source(repo, SourcePolicy()), None)
            done(f"prepared {prepared.commit[:12]}")
        except SourceError as exc:
            done(f"refused: {exc}")
except BaseException as exc:
    done(f"{type(exc).__name__}: {str(exc)[:200]}")
"""


def make_repos(base: Path) -> dict[str, Path]:
    def commit(path: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        subprocess.run(["git", "add", "-A"], cwd=path, check=True, env=env)
        subprocess.run(["git", "-c", "user.name=B", "-c", "user.email=b@example.com", "commit", "-qm", "case"], cwd=path, check=True, env=env)

    repos = {}
    for name in ("nested-js", "crash", "git-bomb"):
        path = base / name
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
        repos[name] = path
    (repos["nested-js"] / "deep.js").write_bytes(build.nested_functions_js(50_000))
    commit(repos["nested-js"])
    for i in range(6):
        (repos["crash"] / f"fine{i}.txt").write_text("x\n" * i)
    (repos["crash"] / "crash.txt").write_text("boom\n")
    commit(repos["crash"])
    build.git_bomb(repos["git-bomb"])
    return repos


def export_tree(rev: str, target: Path) -> None:
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--before", default="1eb9c76", help="revision of the code before the fixes")
    parser.add_argument("--cap", type=int, default=3_000_000_000, help="address-space cap of every run (bytes)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        before = base / "before"
        before.mkdir()
        export_tree(args.before, before)
        repos = make_repos(base / "repos")
        env = dict(os.environ, HOSTILE_DIR=str(ROOT / "tests" / "hostile"), COE_DATABASE_URL=f"sqlite:///{base / 'coe.sqlite3'}")
        print("| case | code | outcome | time (s) | peak RSS (MiB) |\n| --- | --- | --- | --- | --- |")
        for case, repo in repos.items():
            for label, tree in (("before", before), ("after", ROOT)):
                measured = run_measured([sys.executable, "-c", INNER, str(tree), case, str(repo)], env=env, cap=args.cap, timeout=600)
                lines = [ln for ln in measured.stdout.splitlines() if ln.startswith("{")]
                outcome = json.loads(lines[-1])["outcome"] if lines else f"died (exit {measured.returncode}): {measured.stderr.strip()[-200:]}"
                print(f"| {case} | {label} | {outcome} | {measured.seconds:.2f} | {measured.peak_mib:.0f} |", flush=True)
            if case != "crash":
                command = [sys.executable, "-m", "coe_framework", "analyze", str(repo), "--format", "json", "--workers", "2"]
                if case == "nested-js":
                    command += ["-a", "ast"]
                measured = run_measured(command, env=env, cap=args.cap, timeout=600)
                if measured.returncode:
                    tail = measured.stderr.strip().splitlines()[-1]
                else:
                    result = json.loads(measured.stdout)["repositories"][0]["results"]["ast"]
                    tail = f"ast {result['status']} in {result['duration']:.2f} s"
                print(f"| {case} | after, `coe analyze` | exit {measured.returncode}: {tail} | {measured.seconds:.2f} | {measured.peak_mib:.0f} |", flush=True)


if __name__ == "__main__":
    main()
