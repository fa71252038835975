"""Detecting writes an analyzer must not make.

An analyzer reads a repository at one commit and returns data; it writes
nothing. :class:`Sandbox` points HOME, TMPDIR, the XDG directories and the
working directory at empty scratch directories while an analysis runs (forked
analyzer processes inherit them), and :func:`snapshot` / :func:`changes`
compare directory trees before and after.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

#: Files up to this size are compared by content, larger ones by size and mtime.
HASH_LIMIT = 1024 * 1024

Snapshot = dict[str, tuple[int, int, str]]

SANDBOX_VARIABLES = ("HOME", "TMPDIR", "TEMP", "TMP", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")


def snapshot(root: str | os.PathLike[str], *, ignore_dirs: frozenset[str] = frozenset()) -> Snapshot:
    """Every file and directory below ``root``: relative path to (size, mtime, digest).

    Symbolic links are recorded, never followed; directories named in
    ``ignore_dirs`` are skipped.
    """
    base = Path(root)
    found: Snapshot = {}
    if not base.exists():
        return found
    for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in ignore_dirs)
        for name in sorted(dirnames + filenames):
            full = Path(dirpath) / name
            rel = os.fsdecode(full.relative_to(base))
            try:
                info = full.lstat()
            except FileNotFoundError:
                continue
            digest = ""
            if full.is_file() and not full.is_symlink() and info.st_size <= HASH_LIMIT:
                with contextlib.suppress(OSError):
                    digest = hashlib.sha256(full.read_bytes()).hexdigest()
            mtime = 0 if full.is_dir() else info.st_mtime_ns
            found[rel] = (info.st_size if not full.is_dir() else 0, mtime, digest)
    return found


def changes(before: Snapshot, after: Snapshot) -> list[str]:
    """Human-readable differences: ``created x``, ``deleted y``, ``modified z``."""
    lines = [f"created {p}" for p in sorted(after.keys() - before.keys())]
    lines += [f"deleted {p}" for p in sorted(before.keys() - after.keys())]
    lines += [f"modified {p}" for p in sorted(before.keys() & after.keys()) if before[p] != after[p]]
    return lines


@dataclass
class Sandbox:
    """Scratch HOME, TMPDIR and working directory for one analysis run."""

    root: Path

    def __post_init__(self) -> None:
        self.home = self.root / "home"
        self.tmp = self.root / "tmp"
        self.cwd = self.root / "cwd"
        for path in (self.home, self.tmp, self.cwd):
            path.mkdir(parents=True, exist_ok=True)

    def snapshot(self) -> dict[str, Snapshot]:
        return {"HOME": snapshot(self.home), "TMPDIR": snapshot(self.tmp), "the working directory": snapshot(self.cwd)}

    @contextlib.contextmanager
    def active(self) -> Iterator["Sandbox"]:
        """Point the process (and every process it forks) at the scratch directories."""
        saved_env = {name: os.environ.get(name) for name in SANDBOX_VARIABLES}
        saved_tempdir = tempfile.tempdir
        saved_cwd = os.getcwd()
        values = {
            "HOME": self.home,
            "TMPDIR": self.tmp,
            "TEMP": self.tmp,
            "TMP": self.tmp,
            "XDG_CACHE_HOME": self.home / ".cache",
            "XDG_CONFIG_HOME": self.home / ".config",
            "XDG_DATA_HOME": self.home / ".local" / "share",
            "XDG_STATE_HOME": self.home / ".local" / "state",
        }
        try:
            os.environ.update({k: str(v) for k, v in values.items()})
            tempfile.tempdir = str(self.tmp)
            os.chdir(self.cwd)
            yield self
        finally:
            os.chdir(saved_cwd)
            tempfile.tempdir = saved_tempdir
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
