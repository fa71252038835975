"""Benchmark of the git analyzer against its floor and a peer, side by side.

In one run, interleaved round by round so machine noise hits all alike:

* **floor**: ``git log --numstat -M`` to /dev/null, the least work any miner
  of per-commit line counts has to wait for;
* **analyzer (full)**: the git analyzer through the framework's runner
  (``isolation="thread"``, no cache, no saved state), i.e. the same git walk
  plus parsing and every metric;
* **analyzer (incremental)**: the analyzer's update from the commit that
  leaves out the newest 1% of commits to the head, after a full run there;
* **PyDriller** reading the same per-commit line counts
  (``commit.insertions`` / ``commit.deletions``). PyDriller runs git once per
  commit, so it reads only the oldest ``--pydriller-commits`` commits; the
  analyzer and the floor run on that same prefix too and rates are compared
  per commit.

Each measured program runs in its own child process; wall time is taken
inside the child around the measured call (interpreter start and imports
excluded), and so is CPU time (the child plus the git processes it waited
for, from ``getrusage``); the floor's CPU time and every peak RSS come from
``os.wait4``. On a loaded machine the full run, a pipeline of two processes,
gets more CPU share than a one-process incremental run, so both wall and CPU
ratios are printed. The Python heap peak of one full analyzer run comes
from ``tracemalloc`` in a separate run.

Usage::

    .venv/bin/python bench/git_bench.py                  # builds a 20,000-commit repository
    .venv/bin/python bench/git_bench.py --repo PATH      # any repository (work tree or bare)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from coe_framework.repository.gitutil import git_environment, run_git

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def git(repo: str, *args: str) -> str:
    return run_git(args, cwd=repo, timeout=None).stdout.decode().strip()


# -- workers (run in child processes) ----------------------------------------


def _runner() -> Any:
    """A runner with the git plugin loaded through its entry point, as users get it."""
    from coe_framework.analysis.runner import Runner
    from coe_framework.testing.environment import build_manager

    return Runner(build_manager(builtins=("git",)), workers=1, isolation="thread")


def _analyze(runner: Any, repo: str, commit: str) -> dict[str, Any]:
    from coe_framework.plugin.context import RepositoryInfo

    outcome = runner.run(repo, commit, RepositoryInfo("bench://repo", "bench", repo), ["git"], use_cache=False).outcomes["git"]
    if outcome.status != "succeeded":
        raise SystemExit(f"analyzer {outcome.status}: {outcome.error}")
    return outcome.data


def _digest(data: dict[str, Any]) -> str:
    body = {k: v for k, v in data.items() if k != "mining"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def cpu_seconds() -> float:
    """CPU used so far by this process and the git processes it has waited for."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def worker(kind: str, repo: str, commit: str, base: str | None) -> dict[str, Any]:
    """One measured run; returns what the parent prints."""
    if kind == "pydriller":
        from pydriller import Repository

        start, cpu = time.perf_counter(), cpu_seconds()
        commits = added = removed = 0
        for c in Repository(repo, to_commit=commit).traverse_commits():
            commits += 1
            if not c.merge:  # the analyzer books no lines on merges either
                added += c.insertions
                removed += c.deletions
        return {"seconds": time.perf_counter() - start, "cpu": cpu_seconds() - cpu, "commits": commits, "added": added, "removed": removed}
    runner = _runner()
    if kind == "tracemalloc":
        import tracemalloc

        tracemalloc.start()
        data = _analyze(runner, repo, commit)
        return {"peak_heap": tracemalloc.get_traced_memory()[1], "commits": data["commits"]}
    if kind == "incremental":
        _analyze(runner, repo, base)
    start, cpu = time.perf_counter(), cpu_seconds()
    data = _analyze(runner, repo, commit)
    seconds, cpu = time.perf_counter() - start, cpu_seconds() - cpu
    return {
        "seconds": seconds, "cpu": cpu, "commits": data["commits"], "mined": data["mining"]["commits_mined"],
        "mode": data["mining"]["mode"], "added": data["lines_added"], "removed": data["lines_removed"],
        "digest": _digest(data),
    }


# -- parent ------------------------------------------------------------------


def measure_child(argv: list[str], stdout: Any = subprocess.PIPE, cwd: str | None = None) -> tuple[dict[str, Any], float, int, float]:
    """Run ``argv``; return (its JSON output or {}, wall seconds, peak RSS KiB, CPU seconds)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=stdout, cwd=cwd, env=git_environment() if argv[0] == "git" else None)
    out = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:4])} failed with {proc.returncode}")
    data = json.loads(out) if out.strip() else {}
    return data, wall, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def run_worker(kind: str, repo: str, commit: str, base: str | None = None) -> tuple[dict[str, Any], int, float]:
    """Run one measured worker; CPU is the worker's own figure around the measured call."""
    argv = [sys.executable, __file__, "--worker", kind, "--repo", repo, "--commit", commit]
    if base:
        argv += ["--base", base]
    data, _, rss, _ = measure_child(argv)
    return data, rss, data.get("cpu", 0.0)


def floor(repo: str, commit: str) -> tuple[float, int, float]:
    with open(os.devnull, "wb") as sink:
        _, wall, rss, cpu = measure_child(["git", "log", "--numstat", "-M", commit], stdout=sink, cwd=repo)
    return wall, rss, cpu


def pick_commits(repo: str, prefix_size: int, share: float) -> tuple[str, str, str]:
    """Head, the commit ending the oldest ``prefix_size`` commits, and the incremental base."""
    head = git(repo, "rev-parse", "HEAD")
    oldest = git(repo, "rev-list", "--reverse", "HEAD").split()
    prefix = oldest[min(prefix_size, len(oldest)) - 1]
    first_parent = git(repo, "rev-list", "--first-parent", "HEAD").split()
    target = max(1, round(len(oldest) * share))
    step = max(1, round(target * len(first_parent) / len(oldest)))
    while step < len(first_parent) - 1 and int(git(repo, "rev-list", "--count", f"{first_parent[step]}..HEAD")) < target:
        step += 1
    return head, prefix, first_parent[min(step, len(first_parent) - 1)]


def resolve_repo(args: argparse.Namespace) -> str:
    if args.repo:
        path = Path(args.repo).resolve()
        return str(path / ".git") if (path / ".git").is_dir() else str(path)
    from git_fixture import build_repository

    path = Path(args.workdir) / f"history-{args.commits}-seed{args.seed}.git"
    if not (path / "HEAD").exists():
        start = time.perf_counter()
        build_repository(path, args.commits, args.seed)
        print(f"built {path} in {time.perf_counter() - start:.1f}s")
    return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="git analyzer benchmark")
    parser.add_argument("--repo", help="repository to measure (default: build one with git fast-import)")
    parser.add_argument("--commits", type=int, default=20_000, help="size of the built repository")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workdir", default="/tmp/coe-git-bench")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pydriller-commits", type=int, default=2000)
    parser.add_argument("--incremental-share", type=float, default=0.01)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--commit", help=argparse.SUPPRESS)
    parser.add_argument("--base", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.repo, args.commit, args.base)))
        return 0

    repo = resolve_repo(args)
    head, prefix, base = pick_commits(repo, args.pydriller_commits, args.incremental_share)
    total = int(git(repo, "rev-list", "--count", "HEAD"))
    prefix_count = int(git(repo, "rev-list", "--count", prefix))
    print(f"repository {repo}: {total} commits; PyDriller prefix {prefix_count} commits; "
          f"incremental base {base[:12]} ({int(git(repo, 'rev-list', '--count', f'{base}..HEAD'))} new commits)")

    rows: dict[str, list[tuple[float, int, float]]] = {}
    digests: set[str] = set()
    checks: dict[str, Any] = {}

    def add(name: str, seconds: float, rss: int, cpu: float) -> None:
        rows.setdefault(name, []).append((seconds, rss, cpu))

    for round_no in range(1, args.rounds + 1):
        add("floor", *floor(repo, head))
        full, rss, cpu = run_worker("full", repo, head)
        add("analyzer full", full["seconds"], rss, cpu)
        inc, rss, cpu = run_worker("incremental", repo, head, base)
        add("analyzer incremental", inc["seconds"], rss, cpu)
        digests.update((full["digest"], inc["digest"]))
        add("floor (prefix)", *floor(repo, prefix))
        pre, rss, cpu = run_worker("full", repo, prefix)
        add("analyzer (prefix)", pre["seconds"], rss, cpu)
        pyd, rss, cpu = run_worker("pydriller", repo, prefix)
        add("PyDriller (prefix)", pyd["seconds"], rss, cpu)
        checks.update(full=full, incremental=inc, prefix=pre, pydriller=pyd)
        print(f"round {round_no}: " + ", ".join(f"{name} {values[-1][0]:.2f}s" for name, values in rows.items()))
    heap, _, _ = run_worker("tracemalloc", repo, head)

    med = {name: (statistics.median(v[0] for v in values), max(v[1] for v in values), statistics.median(v[2] for v in values))
           for name, values in rows.items()}
    print(f"\n| measured | wall s (median of {args.rounds}) | CPU s | peak RSS MiB |")
    print("|---|---:|---:|---:|")
    for name, (seconds, rss, cpu) in med.items():
        print(f"| {name} | {seconds:.2f} | {cpu:.2f} | {rss / 1024:.0f} |")
    full_ratio = med["analyzer full"][0] / med["floor"][0]
    cpu_ratio = med["analyzer full"][2] / med["floor"][2]
    incremental_share = med["analyzer incremental"][0] / med["analyzer full"][0]
    incremental_cpu_share = med["analyzer incremental"][2] / med["analyzer full"][2]
    pyd = checks["pydriller"]
    pre = checks["prefix"]
    per_commit_speedup = (med["PyDriller (prefix)"][0] / pyd["commits"]) / (med["analyzer (prefix)"][0] / pre["commits"])
    full_rate_speedup = (med["PyDriller (prefix)"][0] / pyd["commits"]) / (med["analyzer full"][0] / checks["full"]["commits"])
    print()
    print(f"analyzer full / floor: {full_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.3x)")
    print(f"PyDriller / analyzer per commit, same {pre['commits']}-commit prefix: {per_commit_speedup:.1f}x "
          f"(vs the analyzer's full-history rate: {full_rate_speedup:.1f}x; target >= 15x)")
    print(f"incremental ({checks['incremental']['mined']} new commits) / full: {incremental_share:.1%} wall, "
          f"{incremental_cpu_share:.1%} CPU (target <= 10%)")
    print(f"analyzer Python heap peak (tracemalloc, full run): {heap['peak_heap'] / 2**20:.1f} MiB")
    same_lines = (pyd["added"], pyd["removed"]) == (pre["added"], pre["removed"])
    print(f"checks: incremental result == full result: {len(digests) == 1}; "
          f"PyDriller line totals == analyzer's on the prefix: {same_lines} "
          f"({pyd['added']}+/{pyd['removed']}- vs {pre['added']}+/{pre['removed']}-)")
    return 0 if len(digests) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
