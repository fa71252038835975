"""Run every matching manifest parser over the tree and fold lock files in.

Never first-match-wins: every file that any parser matches is parsed, each
by every parser that matches it. Declared dependencies keep their constraint;
a lock file that covers their manifest fills in the locked version (and a
license when the lock records one), see :mod:`.locks`. Locked packages
nobody declares are kept as transitive (``direct: false``) entries of the
lock file.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Iterable

from .locks import Lock, fold_locks
from .manifests import ManifestParser, ManifestSource
from .models import Dependency, Finding, ManifestFacts, Runtime
from .patterns import PatternIndex
from .repofiles import RepoView
from .safeload import ManifestError

log = logging.getLogger(__name__)

#: Folders that hold other projects' installed or vendored copies, not this
#: project's manifests.
SKIPPED_DIRS = frozenset({
    "node_modules", "bower_components", "jspm_packages", "vendor", ".venv", "venv", "site-packages",
    "__pypackages__", ".tox", ".nox", ".git", ".bundle", "Pods", "Carthage", ".gradle", ".m2",
})


def skipped(path: str) -> bool:
    """True for paths inside vendored or installed-package folders."""
    return any(part in SKIPPED_DIRS for part in path.split("/")[:-1])


@dataclass
class ManifestScan:
    """Everything the manifest parsers found in one tree."""

    dependencies: list[Dependency] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)
    #: (manifest path, declared license) pairs.
    licenses: list[tuple[str, str]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    #: Every manifest parsed: {"path", "parser", "ecosystem", "lock", "dependencies"}.
    manifests: list[dict[str, object]] = field(default_factory=list)


def scan_manifests(repo: RepoView, parsers: Iterable[ManifestParser]) -> ManifestScan:
    """Parse every manifest in ``repo``; failures become findings."""
    index: PatternIndex[ManifestParser] = PatternIndex()
    for parser in parsers:
        index.add(parser.patterns, parser)
    scan = ManifestScan()
    declared: list[Dependency] = []
    locks: list[Lock] = []
    parsers_of: dict[str, set[str]] = {}
    for path in sorted(repo.paths()):
        matching = index.match(path)
        if not matching or skipped(path):
            continue
        text = repo.read_text(path)
        if text is None:
            continue  # missing, binary or over the cap: RepoView recorded why
        for parser in matching:
            facts = _run_parser(parser, ManifestSource(path, text, repo), scan)
            if facts is None:
                continue
            scan.manifests.append({
                "path": path, "parser": parser.name, "ecosystem": parser.ecosystem,
                "lock": parser.lock, "dependencies": len(facts.dependencies),
            })
            scan.runtimes += facts.runtimes
            scan.licenses += [(path, text_) for text_ in facts.licenses]
            scan.findings += facts.findings
            if parser.lock:
                locks.append(Lock(path, parser, facts))
            else:
                declared += facts.dependencies
                for dep in facts.dependencies:
                    parsers_of.setdefault(dep.manifest, set()).add(parser.name)
    folded, conflicts = fold_locks(_unique(declared), locks, parsers_of)
    scan.dependencies = _unique(folded)
    scan.findings += conflicts
    return scan


def _run_parser(parser: ManifestParser, source: ManifestSource, scan: ManifestScan) -> ManifestFacts | None:
    try:
        facts = parser.parse(source)
    except ManifestError as exc:
        scan.findings.append(Finding(source.path, "malformed", f"{parser.name}: {exc}"))
        return None
    except RecursionError:
        scan.findings.append(Finding(source.path, "malformed", f"{parser.name}: nested too deeply"))
        return None
    except Exception as exc:  # noqa: BLE001 - a (third-party) parser bug must not fail the analysis
        log.debug("manifest parser %s failed on %s", parser.name, source.path, exc_info=True)
        scan.findings.append(Finding(source.path, "parser_error", f"{parser.name} failed: {type(exc).__name__}: {' '.join(str(exc).split())[:200]}"))
        return None
    if not isinstance(facts, ManifestFacts):
        scan.findings.append(Finding(source.path, "parser_error", f"{parser.name} returned {type(facts).__name__}, expected ManifestFacts"))
        return None
    return facts


def _unique(dependencies: Iterable[Dependency]) -> list[Dependency]:
    """One entry per (manifest, package, scope, constraint); a second sighting
    (a file reached both directly and through an include) only fills gaps."""
    kept: dict[tuple[object, ...], Dependency] = {}
    for dep in dependencies:
        marker = (dep.manifest, dep.ecosystem, dep.key, dep.scope, dep.constraint, dep.direct, None if dep.direct else dep.version)
        first = kept.setdefault(marker, dep)
        if first is not dep:
            first.version = first.version or dep.version
            first.license = first.license or dep.license
    return list(kept.values())
