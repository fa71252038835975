"""Benchmark of the ``ast`` analyzer's Python metrics over the standard library.

Run by hand (never as a test)::

    .venv/bin/python bench/ast_bench.py [--every K] [--radon-cap SECONDS] [--skip-cli] [--skip-runner | --only-runner]

Part 1, per file and interleaved (so a noisy, shared machine slows every
contender alike), CPU time of:

* ``ast.parse`` of the decoded text: the floor;
* the analyzer's full Python metric set (``analyze_python`` on the bytes:
  decoding, cyclomatic and cognitive complexity, Halstead, raw counts,
  maintainability index, symbols, imports);
* radon's API doing the same job (``cc_visit`` + ``mi_visit`` + ``analyze``),
  each file capped at ``--radon-cap`` seconds (radon's raw pass is quadratic
  in statement length); capped files are listed and left out of every ratio
  that involves radon.

Part 2: ``radon cc -j`` over the same files (one subprocess; its CPU time
from ``RUSAGE_CHILDREN``), against the same floor.

Part 3: the analyzer through ``coe_framework.analysis.runner.Runner`` on a Git
repository holding the same files: 1 worker vs 2 workers (fresh caches), then
a re-run over the unchanged tree with 2 workers (every blob a cache hit).
"""
from __future__ import annotations

import argparse
import ast
import os
import resource
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from coe_framework.plugin.context import RepositoryInfo
from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.plugin.manager import PluginManager
from coe_framework.analysis.runner import Runner
from coe_framework.testing.gitrepo import init_repo
from coe_plugins.ast.analyzer import AstAnalyzer
from coe_plugins.ast.python_analysis import analyze_python
from coe_plugins.ast.python_source import decode_python_source


class _Capped(Exception):
    pass


def _raise_capped(_signum: int, _frame: Any) -> None:
    raise _Capped


def stdlib_files(every: int) -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.is_file() and not p.is_symlink())
    return files[::every]


def cpu(call: Callable[[], Any]) -> float:
    start = time.process_time()
    call()
    return time.process_time() - start


def radon_api(source: str) -> None:
    from radon.complexity import cc_visit
    from radon.metrics import mi_visit
    from radon.raw import analyze

    cc_visit(source)
    mi_visit(source, True)
    analyze(source)


def radon_capped(source: str, cap: float) -> float | None:
    """CPU seconds radon's API took, or None when it hit the wall-clock cap."""
    previous = signal.signal(signal.SIGALRM, _raise_capped)
    signal.setitimer(signal.ITIMER_REAL, cap)
    try:
        return cpu(lambda: radon_api(source))
    except _Capped:
        return None
    except (SyntaxError, ValueError):  # radon rejects what ast.parse accepts (tokenize errors)
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def per_file(files: list[Path], radon_cap: float) -> dict[str, Any]:
    floor = ours = radon = floor_r = ours_r = 0.0
    measured = 0
    capped: list[str] = []
    for index, path in enumerate(files, 1):
        data = path.read_bytes()
        try:
            source = decode_python_source(data)
            ast.parse(source)
        except (ValueError, SyntaxError):
            continue  # not Python 3 (test data); nobody can measure it
        t_floor = cpu(lambda: ast.parse(source))
        t_ours = cpu(lambda: analyze_python(data))
        t_radon = radon_capped(source, radon_cap)
        measured += 1
        floor += t_floor
        ours += t_ours
        if t_radon is None:
            capped.append(str(path))
        else:
            radon += t_radon
            floor_r += t_floor
            ours_r += t_ours
        if index % 200 == 0:
            print(f"  ... {index}/{len(files)} files", file=sys.stderr, flush=True)
    return {"files": measured, "floor": floor, "ours": ours, "radon": radon, "floor_r": floor_r, "ours_r": ours_r, "capped": capped}


def radon_cli(files: list[Path]) -> float | None:
    radon = shutil.which("radon", path=str(Path(sys.executable).parent))
    if radon is None:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([radon, "cc", "-j", *map(str, files)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _cpu_with_children() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


class _AstOnly:
    @hookimpl
    def coe_register_analyzers(self, register: Callable[[Any], None]) -> None:
        register(AstAnalyzer())


def runner_runs(files: list[Path]) -> dict[str, Any]:
    root = Path(sysconfig.get_paths()["stdlib"])
    workdir = Path(tempfile.mkdtemp(prefix="coe-ast-bench-"))
    try:
        repo = init_repo(workdir / "stdlib", files={str(p.relative_to(root)): p.read_bytes() for p in files})
        info = RepositoryInfo("bench://stdlib", "stdlib", str(repo.path))
        manager = PluginManager({})
        manager.register(_AstOnly(), "ast-bench")
        out: dict[str, Any] = {}
        for workers in (1, 2):
            cpu_before = _cpu_with_children()
            with Runner(manager, workers=workers) as runner:
                start = time.perf_counter()
                outcome = runner.run(str(repo.path / ".git"), repo.head, info, ["ast"]).outcomes["ast"]
                out[f"wall_{workers}"] = time.perf_counter() - start
                out[f"status_{workers}"] = outcome.status
                out[f"stats_{workers}"] = outcome.stats
                if workers == 2:
                    start = time.perf_counter()
                    again = runner.run(str(repo.path / ".git"), repo.head, info, ["ast"], use_cache=False).outcomes["ast"]
                    out["wall_rerun"] = time.perf_counter() - start
                    out["stats_rerun"] = again.stats
                    out["errors"] = outcome.data["totals"]["errors"] if outcome.data else None
            # pool workers are reaped on close, so their CPU time counts from here
            out[f"cpu_{workers}"] = _cpu_with_children() - cpu_before
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def per_file_report(files: list[Path], radon_cap: float) -> dict[str, Any]:
    part = per_file(files, radon_cap)
    n = part["files"]
    print(f"\n1. per file, CPU time, {n} files that parse (interleaved)")
    print(f"   ast.parse (floor)        {part['floor']:8.2f} s  {n / part['floor']:8.1f} files/s  1.00x")
    print(f"   ast analyzer, full set   {part['ours']:8.2f} s  {n / part['ours']:8.1f} files/s  {part['ours'] / part['floor']:.2f}x floor")
    nr = n - len(part["capped"])
    if part["radon"]:
        print(f"   radon API cc+mi+raw      {part['radon']:8.2f} s  {nr / part['radon']:8.1f} files/s  "
              f"{part['radon'] / part['floor_r']:.2f}x floor  ({nr} files; ours on them {part['ours_r'] / part['floor_r']:.2f}x floor, "
              f"radon/ours {part['radon'] / part['ours_r']:.1f}x)")
    print(f"   radon API capped at {radon_cap:g}s: {len(part['capped'])} file(s) {[Path(c).name for c in part['capped']]}")
    return part


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="measure every K-th file (1: all)")
    parser.add_argument("--radon-cap", type=float, default=10.0, help="seconds radon's API may spend on one file")
    parser.add_argument("--skip-cli", action="store_true", help="do not run `radon cc -j`")
    parser.add_argument("--skip-runner", action="store_true", help="do not run the Runner comparisons")
    parser.add_argument("--only-runner", action="store_true", help="run only the Runner comparisons")
    args = parser.parse_args()
    files = stdlib_files(max(1, args.every))
    print(f"Python {sys.version.split()[0]}, {len(files)} standard-library files, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")

    if not args.only_runner:
        part = per_file_report(files, args.radon_cap)
        cli = None if args.skip_cli else radon_cli(files)
        if cli is not None:
            print(f"\n2. `radon cc -j` over the same {len(files)} files: {cli:.2f} s CPU, "
                  f"{cli / part['floor']:.2f}x the floor, {cli / part['ours']:.2f}x the full ast set (radon: cc only)")

    if args.only_runner or not args.skip_runner:
        run = runner_runs(files)
        print(f"\n3. Runner, wall time over {run['stats_1']['files']} files: 1 worker {run['wall_1']:.2f} s, "
              f"2 workers {run['wall_2']:.2f} s, speed-up {run['wall_1'] / run['wall_2']:.2f}x; "
              f"re-run (blob cache) {run['wall_rerun']:.2f} s = {100 * run['wall_rerun'] / run['wall_2']:.1f}% of the first run "
              f"(stats {run['stats_rerun']}); status {run['status_1']}/{run['status_2']}, {run['errors']} file errors")
        print(f"   CPU time (parent + workers + git): 1 worker {run['cpu_1']:.2f} s, 2 workers {run['cpu_2']:.2f} s "
              f"(the 2-worker figure includes its re-run)")


if __name__ == "__main__":
    main()
