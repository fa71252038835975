"""Where gate conditions come from, each remembered with its file and line.

Precedence: ``--condition`` options; else the ``[gate]`` table of the
configuration file (``--config FILE``, or ``coe.toml`` in the current
directory when it exists); else ``[tool.coe.gate]`` in the analyzed
repository's ``pyproject.toml`` at the analyzed commit. A table holds
``conditions`` (a list of strings) and optionally ``baseline`` (a ref).

Anything wrong is a :class:`GateConfigError` whose one line names the file
and line (``coe.toml:7: unknown measure 'mean_cc' (...)``). TOML itself
says only where a syntax error is; the line of each condition is found by
looking for its text after the table's header, else the line of the
``conditions`` key.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from ..errors import BadInput
from ..jsonfiles import read_regular_file
from ..measures.registry import Catalogue
from .conditions import Condition, ConditionError, parse_condition

#: The largest configuration file read.
MAX_CONFIG_BYTES = 1024 * 1024
#: The most conditions one gate may have.
MAX_CONDITIONS = 200
DEFAULT_CONFIG = "coe.toml"
_TABLE_KEYS = {"conditions", "baseline"}


class GateConfigError(BadInput, ValueError):
    """Gate conditions that cannot be used; the message is one line naming where.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass
class GateSpec:
    """The conditions of one gate and where they came from."""

    conditions: list[Condition]
    source: str
    baseline: str | None = None
    notes: list[str] = field(default_factory=list)


def from_options(texts: Sequence[str], measures: Catalogue) -> GateSpec:
    """Conditions given as repeated ``--condition`` options."""
    if len(texts) > MAX_CONDITIONS:
        raise GateConfigError(f"--condition: at most {MAX_CONDITIONS} conditions")
    found = []
    for index, text in enumerate(texts, 1):
        where = f"--condition {index}"
        try:
            found.append(parse_condition(text, measures, where))
        except ConditionError as exc:
            raise GateConfigError(f"{where}: {exc}") from None
    return GateSpec(found, "command line")


def _table_line(lines: list[str], dotted: Sequence[str]) -> int:
    """The 1-based line of the table's header (``[gate]``, ``[tool.coe.gate]``), or 1."""
    header = re.compile(r"^\s*\[\s*" + r"\s*\.\s*".join(re.escape(p) for p in dotted) + r"\s*\]\s*(#.*)?$")
    return next((i for i, line in enumerate(lines, 1) if header.match(line)), 1)


def _key_line(lines: list[str], key: str, start: int) -> int:
    pattern = re.compile(rf"^\s*{re.escape(key)}\s*=")
    return next((i for i, line in enumerate(lines, 1) if i >= start and pattern.match(line)), start)


def _value_line(lines: list[str], text: str, start: int) -> int | None:
    return next((i for i, line in enumerate(lines, 1) if i >= start and text in line), None)


def parse_gate_document(raw: bytes, name: str, dotted: Sequence[str], measures: Catalogue, *, required: bool) -> GateSpec | None:
    """The gate table at ``dotted`` of a TOML document; None when it has none and it is not ``required``."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise GateConfigError(f"{name}: not UTF-8 text") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = re.search(r"\(at line (\d+), column \d+\)", message)
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message) or "invalid TOML"
        raise GateConfigError(f"{name}:{at.group(1) if at else 1}: invalid TOML: {reason}") from None
    except RecursionError:  # tomllib descends recursively into nested arrays and tables
        raise GateConfigError(f"{name}: invalid TOML: nested too deeply") from None
    lines = text.splitlines()
    table: Any = document
    for part in dotted:
        table = table.get(part) if isinstance(table, dict) else None
    if table is None:
        if required:
            raise GateConfigError(f"{name}: no [{'.'.join(dotted)}] table with gate conditions")
        return None
    start = _table_line(lines, dotted)
    if not isinstance(table, dict):
        raise GateConfigError(f"{name}:{start}: [{'.'.join(dotted)}] must be a table")
    unknown = sorted(set(table) - _TABLE_KEYS)
    if unknown:
        raise GateConfigError(f"{name}:{_key_line(lines, unknown[0], start)}: unknown key '{unknown[0]}' in [{'.'.join(dotted)}] "
                              f"(known: {', '.join(sorted(_TABLE_KEYS))})")
    key_line = _key_line(lines, "conditions", start)
    conditions = table.get("conditions")
    if not isinstance(conditions, list) or not conditions:
        raise GateConfigError(f"{name}:{key_line}: 'conditions' must be a non-empty list of strings such as \"mean_complexity <= 4\"")
    if len(conditions) > MAX_CONDITIONS:
        raise GateConfigError(f"{name}:{key_line}: at most {MAX_CONDITIONS} conditions")
    baseline = table.get("baseline")
    if baseline is not None and (not isinstance(baseline, str) or not baseline.strip()):
        raise GateConfigError(f"{name}:{_key_line(lines, 'baseline', start)}: 'baseline' must be a ref name")
    found: list[Condition] = []
    cursor = key_line
    for item in conditions:
        line = (_value_line(lines, item, cursor) if isinstance(item, str) and item else None) or cursor
        cursor = line
        where = f"{name}:{line}"
        try:
            found.append(parse_condition(item, measures, where))
        except ConditionError as exc:
            raise GateConfigError(f"{where}: {exc}") from None
    return GateSpec(found, name, baseline)


def from_file(path: Path, measures: Catalogue, shown: str | None = None) -> GateSpec:
    """The ``[gate]`` table of a configuration file a user named."""
    name = shown or str(path)
    try:
        raw = read_regular_file(path, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        raise GateConfigError(f"{name}: no such file") from None
    except (OSError, ValueError) as exc:
        raise GateConfigError(f"{name}: cannot read it: {getattr(exc, 'strerror', None) or exc}") from None
    spec = parse_gate_document(raw, name, ("gate",), measures, required=True)
    assert spec is not None
    return spec


def from_repository(git_dir: Path, commit: str, measures: Catalogue) -> GateSpec | None:
    """``[tool.coe.gate]`` of the repository's ``pyproject.toml`` at ``commit``; None when there is none."""
    from ..repository.gitutil import run_git

    spec = f"{commit}:pyproject.toml"
    size = run_git(["cat-file", "-s", spec], cwd=git_dir, check=False, timeout=30)
    if size.returncode != 0:
        return None
    kind = run_git(["cat-file", "-t", spec], cwd=git_dir, check=False, timeout=30).stdout.decode().strip()
    if kind != "blob":
        return None
    name = "pyproject.toml"
    if int(size.stdout.decode().strip() or 0) > MAX_CONFIG_BYTES:
        raise GateConfigError(f"{name}: larger than {MAX_CONFIG_BYTES} bytes")
    raw = run_git(["cat-file", "blob", spec], cwd=git_dir, timeout=30).stdout
    found = parse_gate_document(raw, name, ("tool", "coe", "gate"), measures, required=False)
    if found is not None:
        found.source = f"pyproject.toml [tool.coe.gate] at {commit[:12]}"
    return found
