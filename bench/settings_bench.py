"""What reading settings through the settings object costs, and what counting files on a cached run costs.

    .venv/bin/python bench/settings_bench.py [--rounds 2000] [--files 2000] [--commands 5]

In one process, side by side:
- per call: ``dict(os.environ)`` (the floor: what a reader of the environment
  copies anyway), ``settings.environ()`` with no settings file, with a
  ``coe.toml`` of every setting (parsed once, then only stat'ed), and the
  settings object rebuilt because a variable changed; next to one
  ``git --version`` process, the hot path that reads its caps per process;
- a run served wholly from the result cache, whose file count comes from the
  blob cache (keyed by the commit), against the ``git ls-tree`` it costs when
  the count is not cached yet, and the sized listing a fresh run makes;
- whole commands (CPU time of the child): ``coe analyses list`` without and
  with a ``coe.toml``, and ``coe config show``.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from coe_framework import settings  # noqa: E402
from coe_framework.plugin.contract import FileAnalyzer  # noqa: E402
from coe_framework.plugin.context import RepositoryInfo, count_entries, list_files  # noqa: E402
from coe_framework.repository.gitutil import run_git  # noqa: E402
from coe_framework.plugin.hookspecs import hookimpl  # noqa: E402
from coe_framework.plugin.manager import PluginManager  # noqa: E402
from coe_framework.analysis.runner import Runner  # noqa: E402
from coe_framework.testing.gitrepo import init_repo  # noqa: E402


def per_call(fn: Callable[[], Any], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds


class ByteCount(FileAnalyzer):
    name = "bytes"
    version = "1"

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        return {"n": len(data)}


def full_file(folder: Path) -> Path:
    path = folder / "coe.toml"
    lines = []  # every setting whose documented default is one plain value, at that value
    for setting in settings.SETTINGS:
        plain = setting.default not in ("-", "all") and " " not in setting.default and "/" not in setting.default
        if setting.name != settings.CONFIG_VARIABLE and setting.name not in os.environ and plain:
            lines.append(f'{setting.key} = "{setting.default}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def child_cpu(args: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for _ in range(runs):
        subprocess.run([sys.executable, "-m", "coe_framework", *args], env=env, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) / runs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--commands", type=int, default=5)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        os.environ.pop(settings.CONFIG_VARIABLE, None)
        os.chdir(folder)
        floor = per_call(lambda: dict(os.environ), args.rounds)
        no_file = per_call(settings.environ, args.rounds)
        os.environ[settings.CONFIG_VARIABLE] = str(full_file(folder))
        with_file = per_call(settings.environ, args.rounds)
        counter = iter(range(10**9))
        rebuilt = per_call(lambda: (os.environ.__setitem__("COE_BENCH_CHANGE", str(next(counter))), settings.environ()), args.rounds // 10)
        os.environ.pop("COE_BENCH_CHANGE")
        os.environ.pop(settings.CONFIG_VARIABLE)
        git = per_call(lambda: run_git(["--version"]), 50)
        print("\n| what | per call | vs dict(os.environ) |\n| --- | --- | --- |")
        for label, value in (("dict(os.environ) (floor)", floor), ("settings.environ(), no settings file", no_file),
                             ("settings.environ(), coe.toml of every setting", with_file),
                             ("the same after a COE_* variable changed (object rebuilt)", rebuilt),
                             ("one `git --version` process, for scale", git)):
            print(f"| {label} | {value * 1e6:.1f} µs | {value / floor:.1f}x |")

        repo = init_repo(folder / "repo", files={f"d{i % 20}/f{i}.txt": f"{i}\n" for i in range(args.files)})

        class Plugin:
            @hookimpl
            def coe_register_analyzers(self, register: Any) -> None:
                register(ByteCount())

        manager = PluginManager({})
        manager.register(Plugin(), "bench")
        info = RepositoryInfo(url=str(repo.path), name="repo", path=str(repo.path / ".git"))
        with Runner(manager, workers=1) as runner:
            runner.run(str(repo.path / ".git"), repo.head, info, ["bytes"])
            cached = per_call(lambda: runner.run(str(repo.path / ".git"), repo.head, info, ["bytes"]), 20)
            outcome = runner.run(str(repo.path / ".git"), repo.head, info, ["bytes"])
        ls_tree = per_call(lambda: count_entries(str(repo.path / ".git"), repo.head), 20)
        sized = per_call(lambda: list_files(str(repo.path / ".git"), repo.head), 20)
        assert outcome.outcomes["bytes"].cached and outcome.file_count == args.files
        print(f"\n| {args.files} files | time |\n| --- | --- |")
        print(f"| run served from the result cache, file count from the blob cache (file_count {outcome.file_count}) | {cached * 1e3:.2f} ms |")
        print(f"| `git ls-tree -r --name-only`: counting when the cache has no count yet | {ls_tree * 1e3:.1f} ms |")
        print(f"| `git ls-tree -r -l` (what a fresh run lists), for comparison | {sized * 1e3:.1f} ms |")

        env = {**os.environ, "PYTHONPATH": str(ROOT), "COE_DATABASE_URL": f"sqlite:///{folder / 'coe.sqlite3'}"}
        env.pop(settings.CONFIG_VARIABLE, None)
        subprocess.run([sys.executable, "-m", "coe_framework", "db", "upgrade"], env=env, cwd=folder, check=True, capture_output=True)
        plain = folder / "plain"
        plain.mkdir()
        without = child_cpu(["analyses", "list"], env, plain, args.commands)
        configured = folder / "configured"
        configured.mkdir()
        (configured / "coe.toml").write_text((folder / "coe.toml").read_text())
        with_toml = child_cpu(["analyses", "list"], env, configured, args.commands)
        show = child_cpu(["config", "show"], env, configured, args.commands)
        print("\n| whole command (CPU time of the process) | time | ratio |\n| --- | --- | --- |")
        print(f"| `coe analyses list`, no coe.toml | {without * 1e3:.0f} ms | 1.00x |")
        print(f"| `coe analyses list`, coe.toml of every setting | {with_toml * 1e3:.0f} ms | {with_toml / without:.2f}x |")
        print(f"| `coe config show`, same file | {show * 1e3:.0f} ms | {show / without:.2f}x |")


if __name__ == "__main__":
    main()
