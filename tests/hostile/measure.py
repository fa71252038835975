"""Run a command in a fresh process and report its outcome and peak memory.

The command runs under a small wrapper process, so ``RUSAGE_CHILDREN`` of
the wrapper covers exactly the command and everything it waited for (its
analyzer processes, file workers and git children), not whatever else the
test process ran before. An address-space cap keeps a regression from
taking the machine down.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

#: No hostile case may take more than this, even when a defence regresses.
SAFETY_CAP = 4_000_000_000

_WRAPPER = r"""
import json, resource, subprocess, sys, time
report, cap, args = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
def limit():
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
started = time.monotonic()
proc = subprocess.run(args, preexec_fn=limit)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(report, "w") as handle:
    json.dump({"returncode": proc.returncode, "peak_rss": usage.ru_maxrss * 1024, "seconds": time.monotonic() - started}, handle)
"""


@dataclass(frozen=True)
class Measured:
    """What one measured run did."""

    returncode: int
    stdout: str
    stderr: str
    peak_rss: int  # bytes, the largest process of the run
    seconds: float  # recorded for docs/reliability.md, never asserted

    @property
    def peak_mib(self) -> float:
        return self.peak_rss / (1024 * 1024)


def run_measured(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 timeout: float = 300, cap: int = SAFETY_CAP) -> Measured:
    """Run ``args`` under the wrapper and return its outcome and peak RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            subprocess.run(
                [sys.executable, "-c", _WRAPPER, report, str(cap), *args],
                env=dict(env) if env is not None else None, cwd=cwd, stdout=out, stderr=err, timeout=timeout, check=False,
            )
        with open(report) as handle:
            figures = json.load(handle)
        _record(figures)
        return Measured(
            figures["returncode"],
            Path(out_path).read_text(errors="replace"),
            Path(err_path).read_text(errors="replace"),
            figures["peak_rss"],
            figures["seconds"],
        )


def _record(figures: dict) -> None:
    """Append this run's figures to ``$HOSTILE_FIGURES`` (a JSON-lines file) when it is set.

    docs/reliability.md's table is made from it; nothing asserts on time.
    """
    target = os.environ.get("HOSTILE_FIGURES")
    if target:
        test = os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]
        with open(target, "a") as handle:
            handle.write(json.dumps({"test": test, "seconds": round(figures["seconds"], 2), "peak_mib": round(figures["peak_rss"] / 2**20)}) + "\n")


def coe_command(*args: str) -> list[str]:
    """``coe ARGS`` through this interpreter (the installed console script may be elsewhere)."""
    return [sys.executable, "-m", "coe_framework", *args]


def child_environment(tmp: Path, **extra: str) -> dict[str, str]:
    """The test's environment plus a database of its own and ``extra``."""
    env = dict(os.environ)
    env.setdefault("COE_DATABASE_URL", f"sqlite:///{tmp / 'coe.sqlite3'}")
    env.update(extra)
    return env


def last_json(text: str) -> dict:
    """The JSON document a ``--json`` command printed."""
    return json.loads(text)
