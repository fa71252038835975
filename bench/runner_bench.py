"""What the runner's isolation and process pool cost, against calling analyzers directly.

    .venv/bin/python bench/runner_bench.py [--files 2000] [--rounds 20]

Builds a repository of small files, then in one process measures, side by side:
- a trivial repository analyzer called directly, in a thread (isolation="thread")
  and in a forked child (isolation="process"): the per-analyzer isolation cost;
- a trivial file analyzer over every file: a direct loop reading blobs through
  one cat-file process (the floor), the runner with 1 worker, with 2 workers,
  and a re-run served from the blob cache.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from coe_framework.plugin.contract import Analyzer, FileAnalyzer  # noqa: E402
from coe_framework.plugin.context import AnalysisContext, BlobReader, RepositoryInfo, list_files  # noqa: E402
from coe_framework.plugin.hookspecs import hookimpl  # noqa: E402
from coe_framework.plugin.manager import PluginManager  # noqa: E402
from coe_framework.analysis.runner import Runner  # noqa: E402
from coe_framework.testing.gitrepo import init_repo  # noqa: E402


class Trivial(Analyzer):
    name = "trivial"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"ok": True}


class ByteCount(FileAnalyzer):
    name = "bytes"
    version = "1"

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        return {"n": len(data), "lines": data.count(b"\n")}


def manager_for(*analyzers: Analyzer) -> PluginManager:
    class Plugin:
        @hookimpl
        def coe_register_analyzers(self, register: Any) -> None:
            for analyzer in analyzers:
                register(analyzer)

    manager = PluginManager({})
    manager.register(Plugin(), "bench")
    return manager


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = {f"pkg{i % 40}/mod{i}.py": ("x = 1\n" * (i % 50 + 1)) for i in range(args.files)}
        repo = init_repo(Path(tmp) / "repo", files=files)
        git_dir, commit = str(repo.path / ".git"), repo.head
        info = RepositoryInfo("bench", "bench", git_dir)

        print(f"repository: {args.files} files, commit {commit[:12]}")
        print("\n# per-analyzer isolation cost (median of %d)" % args.rounds)
        ctx = AnalysisContext(git_dir, commit, info)
        direct = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            Trivial().analyze(ctx)
            direct.append(time.perf_counter() - t0)
        rows = [("direct call", statistics.median(direct))]
        for isolation in ("thread", "process"):
            runner = Runner(manager_for(Trivial()), workers=1, isolation=isolation)
            times = []
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                runner.run(git_dir, commit, info, ["trivial"], use_cache=False)
                times.append(time.perf_counter() - t0)
            rows.append((f"runner, isolation={isolation}", statistics.median(times)))
        for label, seconds in rows:
            print(f"{label:<28} {seconds * 1000:8.2f} ms")

        print("\n# file analyzer over every file")
        t0 = time.perf_counter()
        reader = BlobReader(git_dir)
        for entry in list_files(git_dir, commit):
            ByteCount().analyze_file(entry.path, reader.read(entry.sha), None)
        floor = time.perf_counter() - t0
        reader.close()
        print(f"{'direct loop (floor)':<28} {floor:8.3f} s  1.00x")
        for workers in (1, 2):
            with Runner(manager_for(ByteCount()), workers=workers) as runner:
                t0 = time.perf_counter()
                runner.run(git_dir, commit, info, ["bytes"], use_cache=False)
                first = time.perf_counter() - t0
                t0 = time.perf_counter()
                rerun = runner.run(git_dir, commit, info, ["bytes"], use_cache=False)
                again = time.perf_counter() - t0
            assert rerun.outcomes["bytes"].stats["cached"] == args.files
            print(f"{f'runner, {workers} worker(s)':<28} {first:8.3f} s  {first / floor:.2f}x")
            print(f"{f'  re-run from blob cache':<28} {again:8.3f} s  {again / first:.1%} of first run")


if __name__ == "__main__":
    main()
