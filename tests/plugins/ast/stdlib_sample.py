"""A deterministic sample of the running Python's standard library."""
from __future__ import annotations

import os
import sysconfig
from functools import lru_cache
from pathlib import Path

#: Set to 1 to compare every file of the standard library instead of a sample.
FULL_ENV = "COE_AST_FULL_STDLIB"
SAMPLE_SIZE = 64


@lru_cache(maxsize=1)
def stdlib_files() -> list[Path]:
    """Every ``.py`` file of the standard library (site-packages left out), sorted."""
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.is_file() and not p.is_symlink())


def stdlib_sample() -> list[Path]:
    """Every n-th file so the sample spans the whole library; all of it when asked."""
    files = stdlib_files()
    if os.environ.get(FULL_ENV) == "1" or len(files) <= SAMPLE_SIZE:
        return files
    step = len(files) // SAMPLE_SIZE
    return files[::step][:SAMPLE_SIZE]
