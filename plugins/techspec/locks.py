"""Fold lock files into the declared dependencies of the manifests they really lock.

A lock applies to a manifest only when the manifest belongs to a project the
lock covers: its root project or a workspace member
(:attr:`~.models.LockFacts.projects`), and only to the kinds of manifest the
lock's tool reads (:attr:`~.manifests.ManifestParser.locks`). uv.lock at the
root of a repository whose ``examples/app`` has its own requirements file
says nothing about that file.

* A covered dependency without a version takes the locked one.
* An exact pin in a manifest is never overwritten; a lock that locks another
  version is a ``lock_conflict`` finding.
* A locked package no covered manifest declares is kept as a transitive
  entry of the lock (``direct: false``), with the scope it is reached in from
  the projects' own dependencies through the lock's graph: runtime when a
  runtime dependency needs it, dev when only development dependencies do,
  and so on (:data:`SCOPE_ORDER`). A package the graph does not reach keeps
  the scope its lock entry states.
"""
from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from packaging.version import InvalidVersion, Version

from .manifests import ManifestParser
from .models import Dependency, Finding, LockFacts, ManifestFacts

#: When several roots reach a package, the first of these wins.
SCOPE_ORDER = ("runtime", "provided", "peer", "optional", "build", "dev", "test")


@dataclass(frozen=True)
class Lock:
    """One parsed lock file."""

    path: str
    parser: ManifestParser
    facts: ManifestFacts

    @property
    def projects(self) -> list[str]:
        info = self.facts.lock
        return info.projects if info is not None and info.projects else [posixpath.dirname(self.path)]

    def covers(self, dep: Dependency, parsers_of: Mapping[str, set[str]]) -> bool:
        """True when this lock locks ``dep``'s manifest."""
        if dep.ecosystem != self.parser.ecosystem:
            return False
        directory = posixpath.dirname(dep.manifest)
        if not self.parser.locks:  # a third-party lock parser: its folder and below
            own = posixpath.dirname(self.path)
            return not own or directory == own or directory.startswith(own + "/")
        return directory in self.projects and bool(parsers_of.get(dep.manifest, set()) & set(self.parser.locks))


def same_version(ecosystem: str, a: str, b: str) -> bool:
    """Whether two version strings name one version (PEP 440 equality for PyPI)."""
    if ecosystem == "pypi":
        try:
            return Version(a) == Version(b)
        except InvalidVersion:
            pass
    return a.strip().lstrip("v=") == b.strip().lstrip("v=")


def reached_scopes(info: LockFacts | None, declared_roots: Iterable[Dependency]) -> dict[str, str]:
    """The scope each graph node is reached in from the roots (see :data:`SCOPE_ORDER`)."""
    if info is None or not info.graph:
        return {}
    roots: dict[str, str] = dict(info.roots)
    for dep in declared_roots:
        roots[dep.key] = _broader(roots.get(dep.key), dep.scope)
    rank = {scope: i for i, scope in enumerate(SCOPE_ORDER)}
    best: dict[str, str] = {}
    # Walk from the broadest roots first; a node is walked again only when a broader scope reaches it.
    queue = deque(sorted(roots.items(), key=lambda item: rank.get(item[1], len(rank))))
    while queue:
        node, scope = queue.popleft()
        known = best.get(node)
        if known is not None and rank.get(known, len(rank)) <= rank.get(scope, len(rank)):
            continue
        best[node] = scope
        queue.extend((child, scope) for child in info.graph.get(node, ()))
    return {node.split("[", 1)[0]: scope for node, scope in sorted(best.items(), key=lambda item: -rank.get(item[1], len(rank)))}


def _broader(current: str | None, scope: str) -> str:
    if current is None:
        return scope
    order = {s: i for i, s in enumerate(SCOPE_ORDER)}
    return min(current, scope, key=lambda s: order.get(s, len(order)))


def fold_locks(
    declared: list[Dependency], locks: Sequence[Lock], parsers_of: Mapping[str, set[str]]
) -> tuple[list[Dependency], list[Finding]]:
    """Declared dependencies with locked versions filled in, then lock-only ones.

    ``parsers_of`` maps each manifest path to the names of the parsers that
    read it. Returns the dependencies and the pin/lock conflicts found.
    """
    findings: list[Finding] = []
    locked: set[int] = set()
    transitive: list[Dependency] = []
    for lock in locks:
        covered = [dep for dep in declared if lock.covers(dep, parsers_of)]
        by_key: dict[str, list[Dependency]] = {}
        for dep in covered:
            by_key.setdefault(dep.key, []).append(dep)
        scopes = reached_scopes(lock.facts.lock, covered)
        for entry in lock.facts.dependencies:
            owners = by_key.get(entry.key) if entry.ecosystem == lock.parser.ecosystem else None
            if not owners:
                entry.scope = scopes.get(entry.key, entry.scope)
                transitive.append(entry)
                continue
            for dep in owners:
                if id(dep) in locked:
                    continue  # the first (top-level) locked copy wins
                locked.add(id(dep))
                _apply(dep, entry, lock.path, findings)
    return declared + transitive, findings


def _apply(dep: Dependency, entry: Dependency, lock_path: str, findings: list[Finding]) -> None:
    dep.license = dep.license or entry.license
    if not entry.version:
        return
    if dep.version is None:
        dep.version = entry.version
    elif not same_version(dep.ecosystem, dep.version, entry.version):
        findings.append(Finding(
            dep.manifest, "lock_conflict",
            f"{dep.name} is pinned to {dep.version} here but {lock_path} locks {entry.version}; the pin is kept",
        ))
