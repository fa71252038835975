"""Match stored dependencies to stored advisories and store the hits.

A dependency with a locked version is matched exactly: it is affected when
that version is listed or lies in an affected range (``confirmed``). One
with only a constraint is reported as "may resolve to a vulnerable
version" when the versions it allows overlap an affected range or listed
version. Dependencies are looked up by (ecosystem, package key), the index
both tables have. Each batch of dependencies is matched and written in one
unit of work: old hits deleted, new ones inserted, ``vulnerability_count``
set (None while no advisory of the dependency's ecosystem is loaded).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import DependencyVulnerability, TechDependency, Vulnerability, VulnerablePackage
from .ecosystems import SUPPORTED, PackageKey, package_key
from .versions import Interval, affected_intervals, allowed_intervals, parse_version, point

log = logging.getLogger(__name__)

BATCH = 5000


@dataclass
class MatchSummary:
    """How many dependencies were matched and what was found."""

    dependencies: int = 0
    confirmed: int = 0
    possible: int = 0

    def to_dict(self) -> dict[str, int]:
        return {"dependencies": self.dependencies, "confirmed": self.confirmed, "possible": self.possible}


@dataclass(frozen=True)
class _Range:
    scheme: str
    intervals: tuple[Interval, ...]


@dataclass(frozen=True)
class _Affected:
    """One advisory's statement about one package, ready to test versions against."""

    vulnerability_id: int
    ranges: tuple[_Range, ...]
    versions: frozenset[str]
    #: ``versions`` parsed in the ecosystem's order (so ``1.0`` finds a listed ``1.0.0`` where they are equal).
    parsed_versions: frozenset[Any]
    ecosystem: str

    def hit(self, version: str, parsed: dict[str, Any]) -> tuple[bool, str | None]:
        """(affected, first fixed version) for a locked version; ``parsed`` is it per scheme."""
        if version in self.versions:
            return True, None
        for rng in self.ranges:
            value = parsed.get(rng.scheme)
            if value is None:
                continue
            for interval in rng.intervals:
                if interval.contains(value):
                    return True, interval.fixed
        own = parsed.get(self.ecosystem)
        if own is not None and own in self.parsed_versions:
            return True, None
        return False, None

    def overlap(self, ecosystem: str, constraint: str) -> tuple[bool, str | None]:
        """(some version the constraint allows is affected, a fixed version)."""
        for rng in self.ranges:
            allowed = allowed_intervals(ecosystem, constraint, rng.scheme)
            for interval in rng.intervals if allowed else ():
                if any(a.overlaps(interval) for a in allowed):
                    return True, interval.fixed
        allowed = allowed_intervals(ecosystem, constraint) if self.versions else None
        for listed in self.versions if allowed else ():
            parsed = parse_version(ecosystem, listed)
            if parsed is not None and any(a.overlaps(point(parsed)) for a in allowed):
                return True, None
        return False, None

def _compile(vulnerability_id: int, ecosystem: str, ranges: Any, versions: Any) -> _Affected:
    compiled = []
    for rng in ranges or ():
        scheme = "SEMVER" if rng.get("type") == "SEMVER" else ecosystem
        try:
            compiled.append(_Range(scheme, tuple(affected_intervals(scheme, rng.get("events") or ()))))
        except ValueError:  # checked at import; a row written otherwise is skipped, not fatal
            log.debug("advisory %s: range not evaluable", vulnerability_id)
    parsed = set()
    for listed in versions or ():
        value = parse_version(ecosystem, listed)
        try:
            parsed.add(value) if value is not None else None
        except TypeError:  # an unhashable version value: the exact string still matches
            pass
    return _Affected(vulnerability_id, tuple(compiled), frozenset(versions or ()), frozenset(parsed), ecosystem)


def _load_affected(session: Session, keys: Iterable[PackageKey]) -> dict[PackageKey, list[_Affected]]:
    by_ecosystem: dict[str, list[str]] = defaultdict(list)
    for ecosystem, package in keys:
        by_ecosystem[ecosystem].append(package)
    found: dict[PackageKey, list[_Affected]] = defaultdict(list)
    for ecosystem, packages in by_ecosystem.items():
        for chunk in chunks(sorted(set(packages))):
            query = (
                select(VulnerablePackage.vulnerability_id, VulnerablePackage.package, VulnerablePackage.ranges, VulnerablePackage.versions)
                .join(Vulnerability, Vulnerability.id == VulnerablePackage.vulnerability_id)
                .where(VulnerablePackage.ecosystem == ecosystem, VulnerablePackage.package.in_(chunk), Vulnerability.withdrawn.is_(None))
            )
            for vulnerability_id, package, ranges, versions in session.execute(query):
                found[(ecosystem, package)].append(_compile(vulnerability_id, ecosystem, ranges, versions))
    return found


def loaded_ecosystems(session: Session) -> set[str]:
    """The ecosystems with at least one stored advisory."""
    return {e for (e,) in session.execute(select(VulnerablePackage.ecosystem).distinct())}


Hits = list[tuple[int, bool, str | None]]
#: ``(locked version, None)`` or ``(None, bare constraint)``: what one package's answers are keyed by.
Marker = tuple[str | None, str | None]


@dataclass
class MatchCache:
    """What one re-match keeps between its batches: advisories compiled once per package
    (a popular package's hundreds of ranges are parsed once, not once per batch) and the
    answer for each package and version or constraint (the same answer in every batch)."""

    advisories: dict[PackageKey, list[_Affected]] = field(default_factory=dict)
    hits: dict[tuple[PackageKey, Marker], Hits] = field(default_factory=dict)

    def load(self, session: Session, keys: Iterable[PackageKey]) -> dict[PackageKey, list[_Affected]]:
        """The advisories of ``keys``, reading only packages not read before."""
        missing = {key for key in keys if key not in self.advisories}
        if missing:
            found = _load_affected(session, missing)
            self.advisories.update({key: found.get(key, []) for key in missing})
        return self.advisories


def _match_one(ecosystem: str, marker: Marker, advisories: Sequence[_Affected]) -> Hits:
    """The advisories a locked version is in (confirmed) or a bare constraint may resolve into;
    each advisory once, with the fixed version of the first of its ranges that matched."""
    version, constraint = marker
    hits: dict[int, tuple[bool, str | None]] = {}
    parsed = {scheme: parse_version(scheme, version) for scheme in (ecosystem, "SEMVER")} if version else {}
    for advisory in advisories:
        if version:
            affected, fixed = advisory.hit(version, parsed)
        elif constraint:
            affected, fixed = advisory.overlap(ecosystem, constraint)
        else:
            continue
        if affected and advisory.vulnerability_id not in hits:
            hits[advisory.vulnerability_id] = (bool(version), fixed)
    return [(vid, confirmed, fixed) for vid, (confirmed, fixed) in hits.items()]


_DEP_COLUMNS = (TechDependency.id, TechDependency.repository_analysis_id, TechDependency.ecosystem, TechDependency.name,
                TechDependency.constraint, TechDependency.version)

_SET_COUNT = (update(TechDependency.__table__).where(TechDependency.__table__.c.id == bindparam("dependency_id"))
              .values(vulnerability_count=bindparam("count")))


def match_rows(session: Session, deps: Sequence[Any], loaded: set[str], summary: MatchSummary,
               cache: MatchCache | None = None) -> None:
    """Match ``deps`` (rows of :data:`_DEP_COLUMNS`) and replace their stored hits, in ``session``;
    ``cache`` carries compiled advisories and answers over from earlier batches of the same re-match."""
    cache = cache if cache is not None else MatchCache()
    keyed = [(dep, (dep.ecosystem, package_key(dep.ecosystem, dep.name))) for dep in deps]
    matchable = [(dep, key) for dep, key in keyed if dep.ecosystem in loaded and dep.ecosystem in SUPPORTED]
    affected = cache.load(session, {key for dep, key in matchable})
    ids = [dep.id for dep in deps]
    for chunk in chunks(ids):
        session.execute(delete(DependencyVulnerability).where(DependencyVulnerability.tech_dependency_id.in_(chunk)))
    matches: list[dict[str, Any]] = []
    counts: list[dict[str, Any]] = [{"dependency_id": dep.id, "count": None}
                                    for dep in deps if dep.ecosystem not in loaded or dep.ecosystem not in SUPPORTED]
    for dep, key in matchable:
        marker: Marker = (dep.version, None) if dep.version else (None, dep.constraint or None)
        hits = cache.hits.get((key, marker))
        if hits is None:
            hits = cache.hits[(key, marker)] = _match_one(key[0], marker, affected[key])
        confirmed = sum(1 for _, c, _ in hits if c)
        summary.confirmed += confirmed
        summary.possible += len(hits) - confirmed
        counts.append({"dependency_id": dep.id, "count": confirmed})
        matches += [
            {"tech_dependency_id": dep.id, "vulnerability_id": vid, "repository_analysis_id": dep.repository_analysis_id,
             "ecosystem": key[0], "package": key[1][:512], "confirmed": c, "fixed_version": (fixed or None) and fixed[:128]}
            for vid, c, fixed in hits
        ]
    if matches:  # Core executemany: no ORM bookkeeping per row
        session.execute(insert(DependencyVulnerability.__table__), matches)
    if counts:
        session.execute(_SET_COUNT, counts)
    summary.dependencies += len(deps)


def _dependency_ids(session: Session, keys: set[PackageKey] | None, repository_analysis_ids: Sequence[int] | None) -> list[int]:
    if repository_analysis_ids is not None:
        found: list[int] = []
        for chunk in chunks(list(repository_analysis_ids)):
            found += session.scalars(select(TechDependency.id).where(TechDependency.repository_analysis_id.in_(chunk)))
        return sorted(found)
    if keys is None:
        return list(session.scalars(select(TechDependency.id).order_by(TechDependency.id)))
    names: dict[str, list[str]] = defaultdict(list)
    for ecosystem, name in session.execute(select(TechDependency.ecosystem, TechDependency.name).distinct()):
        if (ecosystem, package_key(ecosystem, name)) in keys:
            names[ecosystem].append(name)
    found = []
    for ecosystem, spelled in names.items():
        for chunk in chunks(spelled):
            found += session.scalars(select(TechDependency.id).where(TechDependency.ecosystem == ecosystem, TechDependency.name.in_(chunk)))
    # An ecosystem loaded for the first time: its other dependencies go from unknown to zero.
    found += session.scalars(select(TechDependency.id).where(
        TechDependency.vulnerability_count.is_(None), TechDependency.ecosystem.in_(sorted({e for e, _ in keys}))))
    return sorted(set(found))


def rematch(store: Any, *, keys: set[PackageKey] | None = None, repository_analysis_ids: Sequence[int] | None = None) -> MatchSummary:
    """Match dependencies again and store the hits; returns what was found.

    By default every stored dependency; ``keys`` limits it to the packages
    named (what an import changed), ``repository_analysis_ids`` to the
    dependencies of those repository analyses (a new analysis).
    """
    summary = MatchSummary()
    cache = MatchCache()
    with store.session() as session:
        loaded = loaded_ecosystems(session)
        ids = _dependency_ids(session, keys, repository_analysis_ids)
    for batch in chunks(ids, BATCH):
        with store.session() as session:
            deps: list[Any] = []
            for chunk in chunks(batch):
                deps += session.execute(select(*_DEP_COLUMNS).where(TechDependency.id.in_(chunk))).all()
            match_rows(session, deps, loaded, summary, cache)
    return summary


def publish_matches(store: Any, request_id: int) -> list[str]:
    """The main job's step after saving results: match the analysis' dependencies, never an error."""
    from ..db.models import RepositoryAnalysis

    try:
        with store.session() as session:
            ids = list(session.scalars(select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == request_id)))
        summary = rematch(store, repository_analysis_ids=ids)
    except Exception as exc:  # noqa: BLE001 - derived data must not fail the analysis it derives from
        log.exception("dependencies of analysis %s not matched to advisories", request_id)
        return [f"known vulnerabilities not matched: {type(exc).__name__}: {exc}"]
    if not summary.confirmed and not summary.possible:
        return []
    return [f"known vulnerabilities: {summary.confirmed} affected dependencies, {summary.possible} may resolve to an affected version"]
