"""The plain records techspec collects: dependencies, runtimes, findings.

They are dataclasses (cheap to build by the thousand) turned into JSON with
:meth:`to_dict`; the Pydantic result model in :mod:`.result` validates the
final output.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any, Hashable, Iterable, TypeVar

from coe_framework.vulns.ecosystems import package_key

H = TypeVar("H", bound=Hashable)

#: Scopes a dependency can have. ``optional`` is an extra/optional feature,
#: ``peer`` a peer dependency, ``build`` a build-time-only dependency,
#: ``provided`` a dependency the platform supplies at run time (Maven).
SCOPES = ("runtime", "dev", "test", "build", "optional", "peer", "provided")

_TEST_WORDS = re.compile(r"(^|[^a-z])(tests?|testing|pytest|spec|e2e|integration|unittest|tox|check)($|[^a-z])")
_DEV_WORDS = re.compile(
    r"(^|[^a-z])(dev|develop|development|lint|linters?|docs?|typing|types|mypy|style|format|fmt|"
    r"local|debug|bench|benchmarks?|ci|tools?|quality)($|[^a-z])"
)


def scope_from_label(label: str | None, default: str = "runtime") -> str:
    """A scope from a group, extra or file name (``requirements-dev.txt`` -> dev).

    One rule for every manifest that names its groups freely: words about
    tests give ``test``, words about development tooling give ``dev``,
    anything else keeps ``default``.
    """
    text = (label or "").lower()
    if _TEST_WORDS.search(text):
        return "test"
    if _DEV_WORDS.search(text):
        return "dev"
    return default


# An exact version per ecosystem, so a pinned declaration also records the
# version it locks to (a lock file, when present, still has the last word).
_EXACT = {
    "pypi": re.compile(r"^===?\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)$"),
    "npm": re.compile(r"^=?v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)$"),
    "maven": re.compile(r"^([0-9A-Za-z][0-9A-Za-z._-]*)$"),
    "golang": re.compile(r"^(v\d[0-9A-Za-z.+-]*)$"),
    "nuget": re.compile(r"^\[?(\d+(?:\.\d+){0,3}(?:-[0-9A-Za-z.-]+)?)\]?$"),
    "cargo": re.compile(r"^=\s*(\d[0-9A-Za-z.+-]*)$"),
    "gem": re.compile(r"^=\s*(\d[0-9A-Za-z.]*)$"),
    "composer": re.compile(r"^v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)$"),
}


def pinned_version(ecosystem: str, constraint: str | None) -> str | None:
    """The version an exact constraint pins (``==1.2`` -> ``1.2``), else None."""
    if not constraint:
        return None
    pattern = _EXACT.get(ecosystem)
    if pattern is None:
        return None
    match = pattern.match(constraint.strip())
    if not match or "*" in constraint:
        return None
    return match.group(1)


def normalize_name(ecosystem: str, name: str) -> str:
    """The key two spellings of one package share within an ecosystem."""
    return package_key(ecosystem, name)


@dataclass
class Dependency:
    """One dependency as a manifest or lock file states it."""

    ecosystem: str
    name: str
    constraint: str | None = None
    version: str | None = None
    scope: str = "runtime"
    manifest: str = ""
    license: str | None = None
    direct: bool = True

    def __post_init__(self) -> None:
        if self.constraint is not None:
            self.constraint = str(self.constraint).strip() or None
        if self.version is None and self.direct:
            self.version = pinned_version(self.ecosystem, self.constraint)

    @property
    def key(self) -> str:
        return normalize_name(self.ecosystem, self.name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Runtime:
    """A language runtime or toolchain version the repository asks for."""

    name: str
    version: str
    source: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Finding:
    """Something worth telling the user that is not a result: a malformed,
    oversized or refused file, or a reference that could not be followed."""

    path: str
    kind: str  # malformed | too_large | unresolved | skipped
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class LockFacts:
    """What a lock file says beyond its package list: which projects it locks
    and how the locked packages depend on each other.

    Graph nodes are package keys (:func:`normalize_name`), and ``key[extra]``
    for the packages an extra adds; an edge to ``pkg[extra]`` stands for
    "needs pkg with that extra".
    """

    #: Repository-relative directories of the projects the lock covers: its
    #: root project and workspace members (``""`` is the repository root).
    #: Empty: the lock file's own directory.
    projects: list[str] = field(default_factory=list)
    #: Packages the projects need themselves, with the scope they need them
    #: in, when the lock records them (uv and pnpm do).
    roots: dict[str, str] = field(default_factory=dict)
    #: node -> the nodes it depends on.
    graph: dict[str, set[str]] = field(default_factory=dict)

    def depends(self, node: str, needs: Iterable[str]) -> None:
        """Record that ``node`` depends on every node in ``needs``."""
        self.graph.setdefault(node, set()).update(needs)


@dataclass
class ManifestFacts:
    """What one manifest parser learned from one file."""

    dependencies: list[Dependency] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)
    #: License expressions the project declares for itself in this file.
    licenses: list[str] = field(default_factory=list)
    #: Problems that did not stop the parse (an unresolved include, a bad line).
    findings: list[Finding] = field(default_factory=list)
    #: Other files this parse read (``-r`` includes, parent POMs).
    included: list[str] = field(default_factory=list)
    #: For a lock file: the projects it covers and its dependency graph.
    lock: LockFacts | None = None


def first_of_each(items: Iterable[H]) -> list[H]:
    """Equal items once each, in first-seen order (records are frozen, so hashable)."""
    return list(dict.fromkeys(items))
