"""Two installations of `coe` running the same whole commands, alternated in one run.

    .venv/bin/python bench/command_pair_bench.py --before /tmp/coe-base/.venv/bin/coe \\
        [--after .venv/bin/coe] [--files 40] [--rounds 5]

For a change to the code's shape (where modules live, how a request travels),
what users feel is the whole command. This builds a small generated repository
(bench/request_path_bench.py's), gives each installation its own scratch SQLite
database, and runs, alternating before and after each round so both see the
same machine:

- `coe --help` (start-up: imports and plugin discovery);
- `coe analyze REPO` into an empty database (a first analysis);
- `coe analyze REPO` again (served from the database's caches);
- `coe analyses list --format json`.

It prints the median CPU time (user + system of the process and its children)
and wall time per command, and the ratio after/before. CPU time is the figure
to trust on a shared machine; wall time is printed for completeness.
Nothing leaves the machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from request_path_bench import build_repository  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds of the command and its children, wall seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the coe executable of the installation before")
    parser.add_argument("--after", default=str(ROOT / ".venv" / "bin" / "coe"))
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="coe-pair-"))
    try:
        repo = work / "repo"
        build_repository(repo, args.files)
        sides = {"before": args.before, "after": args.after}
        figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
        commands = {
            "coe --help": lambda: ["--help"],
            "coe analyze (first)": lambda: ["--quiet", "analyze", str(repo)],
            "coe analyze (again)": lambda: ["--quiet", "analyze", str(repo)],
            "coe analyses list": lambda: ["analyses", "list", "--format", "json"],
        }
        for round_ in range(args.rounds):
            for side, coe in sides.items():
                database = work / f"{side}-{round_}.sqlite3"
                env = {**os.environ, "COE_DATABASE_URL": f"sqlite:///{database}", "COE_DATA_DIR": str(work / f"data-{side}")}
                for name, command in commands.items():
                    figures.setdefault((name, side), []).append(timed([coe, *command()], env))
        print(f"{'command':<24} {'before CPU':>11} {'after CPU':>10} {'ratio':>6}   {'before wall':>11} {'after wall':>10}")
        for name in commands:
            b = figures[(name, "before")]
            a = figures[(name, "after")]
            b_cpu, a_cpu = statistics.median(x[0] for x in b), statistics.median(x[0] for x in a)
            b_wall, a_wall = statistics.median(x[1] for x in b), statistics.median(x[1] for x in a)
            print(f"{name:<24} {b_cpu:>10.2f}s {a_cpu:>9.2f}s {a_cpu / b_cpu:>5.2f}x   {b_wall:>10.2f}s {a_wall:>9.2f}s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
