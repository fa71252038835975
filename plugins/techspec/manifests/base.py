"""The manifest parser contract shared by built-in and third-party parsers."""
from __future__ import annotations

import fnmatch
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from ..models import Dependency, Finding, LockFacts, ManifestFacts
from ..patterns import compile_pattern, pattern_matches

if TYPE_CHECKING:  # pragma: no cover
    from ..repofiles import RepoView


@dataclass(frozen=True)
class ManifestSource:
    """One file handed to a parser: its path, its text and the tree around it.

    ``repo.read_text(path)`` reads another file of the same commit (capped,
    None when missing), for includes and parent manifests; ``repo.resolve``
    joins a relative reference safely.
    """

    path: str
    text: str
    repo: "RepoView"

    @property
    def directory(self) -> str:
        return posixpath.dirname(self.path)

    def finding(self, kind: str, message: str, path: str | None = None) -> Finding:
        return Finding(path or self.path, kind, message)


@dataclass(frozen=True)
class ManifestParser:
    """A parser for one kind of manifest or lock file.

    ``patterns`` are shell-style patterns matched against the file's base
    name (``requirements*.txt``) or, when they contain a ``/``, against the
    whole path (``*requirements/*.txt``); lower-case patterns ignore case
    (see :mod:`coe_plugins.techspec.patterns`). ``parse`` returns
    :class:`~coe_plugins.techspec.models.ManifestFacts` or raises
    :class:`~coe_plugins.techspec.safeload.ManifestError` for a file it
    cannot read. ``lock`` marks lock files: their versions are folded into
    the declared dependencies of the manifests the lock covers. ``locks``
    names the manifest parsers whose files such a lock can lock (uv.lock:
    ``pyproject``); the projects it covers are the directories its facts'
    :class:`~coe_plugins.techspec.models.LockFacts` list (its own directory
    when it says nothing). A lock parser without ``locks`` covers the
    manifests of its ecosystem in its own directory and below.
    """

    name: str
    ecosystem: str
    patterns: tuple[str, ...]
    parse: Callable[[ManifestSource], ManifestFacts]
    lock: bool = False
    locks: tuple[str, ...] = ()

    def matches(self, path: str) -> bool:
        """True when one of ``patterns`` matches ``path``."""
        return any(pattern_matches(p, compile_pattern(p), path) for p in self.patterns)


def text_or_none(value: Any) -> str | None:
    """A stripped string for scalar manifest values; None for anything else."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (str, int, float)):
        text = str(value).strip()
        return text or None
    return None


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one (manifests lie about shapes)."""
    return value if isinstance(value, dict) else {}


def listing(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one."""
    return value if isinstance(value, list) else []


def deps_from_mapping(
    table: Any,
    *,
    ecosystem: str,
    manifest: str,
    scope: str,
    skip: Iterable[str] = (),
    version_key: str = "version",
) -> list[Dependency]:
    """Dependencies from a ``{name: constraint | {version: ...}}`` table.

    The shape package.json, composer.json, Cargo.toml, Pipfile and poetry
    share. A table value without a version (a path, git or workspace
    reference) keeps that reference as its constraint.
    """
    skipped = set(skip)
    found: list[Dependency] = []
    for name, spec in mapping(table).items():
        if not isinstance(name, str) or name in skipped:
            continue
        found.append(Dependency(ecosystem, name, constraint=describe_spec(spec, version_key), scope=scope, manifest=manifest))
    return found


def describe_spec(spec: Any, version_key: str = "version") -> str | None:
    """The constraint text of a dependency spec in any of the common shapes."""
    if isinstance(spec, dict):
        version = text_or_none(spec.get(version_key))
        if version:
            return version
        for key in ("git", "path", "url", "file", "workspace"):
            if key in spec:
                ref = spec.get(key)
                if key == "workspace":
                    return "workspace"
                suffix = "".join(f"@{spec[k]}" for k in ("tag", "rev", "branch", "ref") if text_or_none(spec.get(k)))
                return f"{key}:{text_or_none(ref) or ''}{suffix}"
        return None
    if isinstance(spec, list):
        parts = [describe_spec(item, version_key) for item in spec]
        return " || ".join(p for p in parts if p) or None
    return text_or_none(spec)


def project_directory(lock_path: str, reference: str) -> str | None:
    """A project folder a lock names relative to itself, as a repository path
    (``""`` for the root); None when it leaves the repository."""
    if reference.startswith("/") or "://" in reference:
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(lock_path), reference))
    if joined == ".":
        return ""
    if joined == ".." or joined.startswith("../"):
        return None
    return joined


def member_directories(src: ManifestSource, manifest_name: str, globs: Iterable[str], excluded: Iterable[str] = ()) -> list[str]:
    """Folders below the lock's that hold ``manifest_name`` and match one of
    ``globs`` (workspace member patterns such as ``crates/*``)."""
    base = src.directory
    patterns = [p.strip().rstrip("/") for p in globs if isinstance(p, str) and p.strip()]
    skip = [p.strip().rstrip("/") for p in excluded if isinstance(p, str) and p.strip()]
    found = []
    for path in src.repo.paths():
        if posixpath.basename(path) != manifest_name:
            continue
        folder = posixpath.dirname(path)
        relative = folder[len(base) + 1:] if base else folder
        if base and not folder.startswith(base + "/"):
            continue
        if any(_glob_matches(p, relative) for p in patterns) and not any(_glob_matches(p, relative) for p in skip):
            found.append(folder)
    return sorted(found)


def _glob_matches(pattern: str, path: str) -> bool:
    """A workspace glob: ``*`` stays within one folder name, ``**`` spans any."""
    pattern = pattern.removeprefix("./")
    if "**" in pattern:
        return fnmatch.fnmatchcase(path, pattern)
    parts, names = pattern.split("/"), path.split("/")
    return len(parts) == len(names) and all(fnmatch.fnmatchcase(n, p) for p, n in zip(parts, names))


def new_lock_facts(projects: list[str] | None = None) -> tuple[ManifestFacts, LockFacts]:
    """Empty facts for a lock file, and the :class:`LockFacts` they carry."""
    info = LockFacts(projects=list(projects or []))
    return ManifestFacts(lock=info), info


def named_packages(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(name, table)`` for every ``[[package]]`` table of a TOML lock file that has a name."""
    for package in listing(data.get("package")):
        package = mapping(package)
        name = text_or_none(package.get("name"))
        if name:
            yield name, package
