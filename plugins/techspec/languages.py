"""Languages by bytes and files, linguist-style.

A file's language comes from a ``linguist-language`` attribute, its file
name, its extension, or (for extension-less files) its shebang line.
Vendored, generated and documentation paths are left out, with
``.gitattributes`` overriding the built-in path rules either way. Only
programming and markup languages count, as in GitHub linguist.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Callable

import yaml

from .gitattributes import LinguistAttributes

if TYPE_CHECKING:  # pragma: no cover
    from coe_framework.plugin_api import FileEntry

COUNTED_TYPES = frozenset({"programming", "markup"})
_SHEBANG = re.compile(rb"^#!\s*(\S+)(?:\s+(\S+))?")
#: Bytes read to find a shebang line.
SHEBANG_READ = 256


#: libyaml's safe loader when available: the data files are our own, trusted
#: and read once per process; repository YAML always goes through safeload.
_DATA_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data_file(name: str) -> Any:
    """A YAML file shipped in this package's ``data`` folder."""
    text = resources.files("coe_plugins.techspec").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.load(text, Loader=_DATA_LOADER)  # noqa: S506 - a safe loader, on package data


@dataclass(frozen=True)
class LanguageTable:
    """Lookup tables built from ``data/languages.yaml``."""

    types: dict[str, str]
    by_extension: dict[str, str]
    by_filename: dict[str, str]
    by_interpreter: dict[str, str]
    vendored: re.Pattern[str]
    generated: re.Pattern[str]
    documentation: re.Pattern[str]

    def by_shebang(self, head: bytes) -> str | None:
        match = _SHEBANG.match(head)
        if not match:
            return None
        program = match.group(1).rsplit(b"/", 1)[-1]
        if program == b"env" and match.group(2):
            program = match.group(2)
        name = program.decode("ascii", "replace")
        return self.by_interpreter.get(name) or self.by_interpreter.get(re.sub(r"[\d.]+$", "", name))


@lru_cache(maxsize=1)
def default_table() -> LanguageTable:
    data = load_data_file("languages.yaml")
    types: dict[str, str] = {}
    by_extension: dict[str, str] = {}
    by_filename: dict[str, str] = {}
    by_interpreter: dict[str, str] = {}
    for name, spec in data["languages"].items():
        types[name] = spec.get("type", "programming")
        for ext in spec.get("extensions", ()):
            by_extension.setdefault(ext.lower(), name)
        for filename in spec.get("filenames", ()):
            by_filename.setdefault(filename, name)
        for program in spec.get("interpreters", ()):
            by_interpreter.setdefault(program, name)

    def union(key: str) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in data[key]))

    return LanguageTable(types, by_extension, by_filename, by_interpreter, union("vendored"), union("generated"), union("documentation"))


@dataclass
class LanguageStats:
    """Bytes and files per counted language, and what was left out."""

    languages: dict[str, dict[str, float | int]] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=lambda: {"vendored": 0, "generated": 0, "documentation": 0})
    bytes: int = 0
    files: int = 0


def classify_exclusion(path: str, table: LanguageTable, attributes: dict[str, bool | str]) -> str | None:
    """'vendored', 'generated', 'documentation' or None, attributes first."""
    for kind in ("vendored", "generated", "documentation"):
        explicit = attributes.get(f"linguist-{kind}")
        if explicit is True:
            return kind
        if explicit is None and getattr(table, kind).search(path):
            return kind
    return None


def detect_language(entry: "FileEntry", table: LanguageTable, attributes: dict[str, bool | str], head: Callable[["FileEntry"], bytes | None]) -> str | None:
    """The language of one file; ``head(entry)`` supplies its first bytes if needed."""
    forced = attributes.get("linguist-language")
    if isinstance(forced, str):
        return forced
    name = table.by_filename.get(entry.name) or table.by_extension.get(entry.extension)
    if name is None and (not entry.extension or entry.is_executable):
        data = head(entry)
        if data:
            name = table.by_shebang(data)
    return name


def language_stats(entries: list["FileEntry"], attributes: LinguistAttributes, head: Callable[["FileEntry"], bytes | None], table: LanguageTable | None = None) -> LanguageStats:
    """Languages of ``entries`` (regular files) by bytes and files."""
    table = table or default_table()
    stats = LanguageStats()
    counts: dict[str, list[int]] = {}
    for entry in entries:
        attrs = attributes.lookup(entry.path) if attributes else {}
        excluded = classify_exclusion(entry.path, table, attrs)
        if excluded:
            stats.excluded[excluded] += 1
            continue
        language = detect_language(entry, table, attrs, head)
        if language is None:
            continue
        detectable = attrs.get("linguist-detectable")
        counted = table.types.get(language, "programming") in COUNTED_TYPES
        if detectable is False or (not counted and detectable is not True):
            continue
        pair = counts.setdefault(language, [0, 0])
        pair[0] += entry.size
        pair[1] += 1
    stats.bytes = sum(b for b, _ in counts.values())
    stats.files = sum(f for _, f in counts.values())
    for language, (size, files) in sorted(counts.items(), key=lambda item: (-item[1][0], item[0])):
        stats.languages[language] = {
            "bytes": size,
            "files": files,
            "share_bytes": round(size / stats.bytes, 4) if stats.bytes else 0.0,
            "share_files": round(files / stats.files, 4) if stats.files else 0.0,
        }
    return stats
