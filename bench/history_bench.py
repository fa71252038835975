"""Benchmark: backfilling measures at N sampled commits against one full analysis.

Both are whole ``coe`` commands, each on a fresh SQLite database and a fresh
workspace (so nothing is cached from before), run in the same process of
this script one after the other, alternating over the rounds so machine noise
hits both alike:

* **full**: ``coe analyze REPO`` of the newest commit, every analyzer;
* **history**: ``coe history REPO --samples N``: N commits spread evenly over
  the first-parent history (the newest included), each an ordinary stored
  analysis, sharing one runner and the database's blob and result caches, git
  mining incrementally from sample to sample, RAG documents and search
  indexing left out.

Wall time is measured around each command and CPU time (the command and every
process it waited for: analyzer processes, file workers, git) from
``getrusage(RUSAGE_CHILDREN)``. The ratio history/full is the figure; N times
the full analysis is what N independent cold runs would cost. The load average
is printed before and after, since the machine is shared.

Usage::

    git clone /work/.mirror/pallets+flask/repo /tmp/flask   # any repository
    .venv/bin/python bench/history_bench.py --repo /tmp/flask --samples 50 --rounds 1
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COE = str(Path(sys.executable).with_name("coe"))


def _run(args: list[str], home: Path) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of one command on the database and workspace in ``home``."""
    env = {**os.environ, "COE_DATABASE_URL": f"sqlite:///{home / 'coe.sqlite3'}", "COE_WORKSPACE": str(home / "mirrors"),
           "XDG_CACHE_HOME": str(home / "cache")}
    env.pop("COE_REDIS_URL", None)  # no shared cache: every run starts cold
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run([COE, *args], env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"coe {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", required=True, help="A local repository (work tree or bare)")
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    repo = str(Path(args.repo).resolve())
    print(f"load average before: {os.getloadavg()}")
    full, history, per_sample = [], [], []
    for round_ in range(args.rounds):
        order = ("full", "history") if round_ % 2 == 0 else ("history", "full")
        for kind in order:
            home = Path(tempfile.mkdtemp(prefix=f"coe-history-bench-{kind}-"))
            try:
                if kind == "full":
                    wall, cpu, _ = _run(["analyze", repo, "--workers", str(args.workers), "--format", "json"], home)
                    full.append((wall, cpu))
                else:
                    wall, cpu, out = _run(["history", repo, "--samples", str(args.samples), "--workers", str(args.workers), "--format", "json"], home)
                    samples = json.loads(out)["samples"]
                    assert len(samples) == args.samples and all(s["status"] in ("succeeded", "partial") for s in samples), samples
                    per_sample.extend(s["seconds"] for s in samples)
                    history.append((wall, cpu))
            finally:
                shutil.rmtree(home, ignore_errors=True)
            print(f"round {round_ + 1} {kind:<8} wall {wall:8.2f}s  cpu {cpu:8.2f}s", flush=True)
    f_wall, f_cpu = statistics.median(w for w, _ in full), statistics.median(c for _, c in full)
    h_wall, h_cpu = statistics.median(w for w, _ in history), statistics.median(c for _, c in history)
    print(f"\nfull analysis (1 commit):      wall {f_wall:8.2f}s  cpu {f_cpu:8.2f}s")
    print(f"history ({args.samples} samples):        wall {h_wall:8.2f}s  cpu {h_cpu:8.2f}s")
    print(f"{args.samples} independent full runs:   wall {args.samples * f_wall:8.2f}s  cpu {args.samples * f_cpu:8.2f}s (estimated)")
    print(f"ratio history / one full:      wall {h_wall / f_wall:6.2f}x  cpu {h_cpu / f_cpu:6.2f}x  (target: under 5x)")
    print(f"ratio history / {args.samples} full runs:   wall {h_wall / (args.samples * f_wall):6.3f}   cpu {h_cpu / (args.samples * f_cpu):6.3f}")
    print(f"per sample: median {statistics.median(per_sample):.2f}s, max {max(per_sample):.2f}s, first {per_sample[0]:.2f}s")
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
