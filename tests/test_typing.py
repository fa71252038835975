"""The core type-checks: mypy runs on coe_framework with the [mypy] configuration of setup.cfg.

mypy keeps its incremental cache in the work tree's .mypy_cache (git-ignored), so a second
run only re-checks the modules that changed; a fresh clone checks everything once.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_core_passes_mypy() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "setup.cfg"), "--cache-dir", str(ROOT / ".mypy_cache")],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, f"mypy reports errors in coe_framework:\n{proc.stdout}{proc.stderr}"
