"""The import graph keeps its shape: contracts in setup.cfg, checked by import-linter.

- the core never imports the web app or a plugin;
- the database layer imports nothing of the core but ``errors`` and ``settings``;
- no import cycle between siblings at any depth of ``coe_framework`` (so none
  between any two modules either).

A failure prints import-linter's report: the contract broken and the imports
(file and line) that break it.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint_imports), "--config", "setup.cfg", "--no-cache", "--no-logo"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "BROKEN" not in done.stdout
    assert "3 kept, 0 broken" in done.stdout, done.stdout[-2000:]
