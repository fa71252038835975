"""Per-repository analyzer options from ``[tool.coe]`` in the analyzed repository's ``pyproject.toml``.

A repository may carry its own options::

    [tool.coe.analyzers.ast]
    max_file_size = 200000

They are read from the analyzed commit (never a checkout), only from a
regular ``pyproject.toml`` at the root of at most :data:`MAX_BYTES`, and sit
below the options given on the command line or in the request (those win key
by key). The file is the repository's, so it is hostile input: a file that
does not parse, a table of the wrong shape or options an analyzer refuses are
left out with a note naming the file; they never fail the analysis.
Analyzers not selected are ignored.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from ..plugin.contract import OptionsError
from ..errors import first_line
from ..repository.gitutil import GitError, run_git

FILE = "pyproject.toml"
MAX_BYTES = 1024 * 1024


@dataclass
class RepositoryOptions:
    """The options a repository asks for, and why any were left out."""

    options: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def read_pyproject(git_dir: str | Path, commit: str) -> bytes | None:
    """The root ``pyproject.toml`` of ``commit`` when it is a regular file within the size cap."""
    listing = run_git(["ls-tree", "-l", "-z", commit, "--", FILE], cwd=git_dir, timeout=60).stdout
    meta, _, path = listing.rstrip(b"\0").partition(b"\t")
    parts = meta.split()
    if path != FILE.encode() or len(parts) != 4 or parts[0] not in (b"100644", b"100755") or not parts[3].isdigit():
        return None
    if int(parts[3]) > MAX_BYTES:
        return None
    return run_git(["cat-file", "blob", parts[2].decode()], cwd=git_dir, timeout=60).stdout


def repository_options(git_dir: str | Path, commit: str, analyzers: Mapping[str, Any], selected: Sequence[str],
                       label: str) -> RepositoryOptions:
    """``[tool.coe.analyzers.NAME]`` tables of the selected analyzers, each checked by its analyzer."""
    found = RepositoryOptions()
    try:
        raw = read_pyproject(git_dir, commit)
    except GitError as exc:
        found.notes.append(f"{label}: {FILE} not read: {first_line(exc)}")
        return found
    if raw is None:
        return found
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        found.notes.append(f"{label}: {FILE} ignored: {first_line(exc)}")
        return found
    tool = document.get("tool")
    coe = tool.get("coe") if isinstance(tool, dict) else None
    tables = coe.get("analyzers") if isinstance(coe, dict) else None
    if tables is None:
        return found
    if not isinstance(tables, dict):
        found.notes.append(f"{label}: {FILE} [tool.coe.analyzers] ignored: not a table")
        return found
    for name in selected:
        table = tables.get(name)
        if table is None:
            continue
        if not isinstance(table, dict):
            found.notes.append(f"{label}: {FILE} [tool.coe.analyzers.{name}] ignored: not a table")
            continue
        try:
            analyzers[name].parse_options(table)
        except OptionsError as exc:
            found.notes.append(f"{label}: {FILE} [tool.coe.analyzers.{name}] ignored: {exc}")
            continue
        found.options[name] = dict(table)
    return found


def merged_options(own: Mapping[str, Mapping[str, Any]], given: Mapping[str, Mapping[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """The repository's options under the given ones, key by key."""
    merged = {name: dict(values) for name, values in own.items()}
    for name, values in (given or {}).items():
        merged.setdefault(name, {}).update(values)
    return merged
