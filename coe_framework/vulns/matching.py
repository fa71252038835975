"""Match stored dependencies to stored advisories and store the hits.

A dependency with a locked version is matched exactly: it is affected when
that version is listed or lies in an affected range (``confirmed``). One
with only a constraint is reported as "may resolve to a vulnerable
version" when the versions it allows overlap an affected range or listed
version. Dependencies are looked up by (ecosystem, package key), the index
both tables have, against each package's advisory index
(:mod:`.version_index`, stored by :mod:`.indexes`). Each batch of
dependencies is matched and written in one unit of work, and only what
differs from the stored hits is written: hits no longer found deleted, new
ones inserted, ``vulnerability_count`` set where it changed (None while no
advisory of the dependency's ecosystem is loaded).
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import DependencyVulnerability, TechDependency, VulnerablePackage
from .ecosystems import SUPPORTED, PackageKey, package_key
from .indexes import load_indexes, save_indexes
from .version_index import Hits, PackageIndex

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


def loaded_ecosystems(session: Session) -> set[str]:
    """The ecosystems with at least one stored advisory."""
    return {e for (e,) in session.execute(select(VulnerablePackage.ecosystem).distinct())}


#: ``(locked version, None)`` or ``(None, bare constraint)``: what one package's answers are keyed by.
Marker = tuple[str | None, str | None]


@dataclass
class MatchCache:
    """What one re-match keeps between its batches: each package's advisory index (read or
    built once, not once per batch), the indexes built on the way (saved after the hits),
    and the answer for each package and version or constraint (the same in every batch)."""

    indexes: dict[PackageKey, PackageIndex] = field(default_factory=dict)
    built: dict[PackageKey, tuple[str, PackageIndex]] = field(default_factory=dict)
    hits: dict[tuple[PackageKey, Marker], Hits] = field(default_factory=dict)

    def load(self, session: Session, keys: Iterable[PackageKey]) -> dict[PackageKey, PackageIndex]:
        """The indexes of ``keys``, reading only packages not read before."""
        missing = {key for key in keys if key not in self.indexes}
        if missing:
            self.indexes.update(load_indexes(session, missing, self.built))
        return self.indexes

    def save(self, store: Any) -> None:
        """Store the indexes built so far, for the next match."""
        save_indexes(store, self.built)


def _match_one(marker: Marker, index: PackageIndex) -> Hits:
    """The advisories a locked version is in (confirmed) or a bare constraint may resolve into."""
    version, constraint = marker
    if version:
        return index.affecting_version(version)
    return index.overlapping_constraint(constraint) if constraint else []


_DEP_COLUMNS = (TechDependency.id, TechDependency.repository_analysis_id, TechDependency.ecosystem, TechDependency.name,
                TechDependency.constraint, TechDependency.version, TechDependency.vulnerability_count)

_SET_COUNT = (update(TechDependency.__table__).where(TechDependency.__table__.c.id == bindparam("dependency_id"))
              .values(vulnerability_count=bindparam("count")))
_HIT_COLUMNS = (DependencyVulnerability.id, DependencyVulnerability.tech_dependency_id, DependencyVulnerability.vulnerability_id,
                DependencyVulnerability.confirmed, DependencyVulnerability.fixed_version)


def _stored_hits(session: Session, ids: Sequence[int]) -> dict[tuple[int, int], tuple[int, bool, str | None]]:
    """``(dependency, advisory) -> (row id, confirmed, fixed version)`` of the stored hits of ``ids``."""
    found = {}
    for chunk in chunks(ids):
        rows = session.execute(select(*_HIT_COLUMNS).where(DependencyVulnerability.tech_dependency_id.in_(chunk)))
        found.update(((dep, vid), (row_id, confirmed, fixed)) for row_id, dep, vid, confirmed, fixed in rows)
    return found


def match_rows(session: Session, deps: Sequence[Any], loaded: set[str], summary: MatchSummary,
               cache: MatchCache | None = None) -> None:
    """Match ``deps`` (rows of :data:`_DEP_COLUMNS`) and bring their stored hits and counts up
    to date, in ``session``: only what differs is written, so a re-match after an import that
    changed nothing for them writes nothing. ``cache`` carries indexes and answers over from
    earlier batches of the same re-match."""
    cache = cache if cache is not None else MatchCache()
    keyed = [(dep, (dep.ecosystem, package_key(dep.ecosystem, dep.name))) for dep in deps]
    matchable = [(dep, key) for dep, key in keyed if dep.ecosystem in loaded and dep.ecosystem in SUPPORTED]
    indexes = cache.load(session, {key for dep, key in matchable})
    stored = _stored_hits(session, [dep.id for dep in deps])
    wanted: dict[tuple[int, int], dict[str, Any]] = {}
    counts: list[dict[str, Any]] = [{"dependency_id": dep.id, "count": None} for dep in deps if dep.vulnerability_count is not None
                                    and (dep.ecosystem not in loaded or dep.ecosystem not in SUPPORTED)]
    for dep, key in matchable:
        marker: Marker = (dep.version, None) if dep.version else (None, dep.constraint or None)
        hits = cache.hits.get((key, marker))
        if hits is None:
            hits = cache.hits[(key, marker)] = _match_one(marker, indexes[key])
        confirmed = sum(1 for _, c, _ in hits if c)
        summary.confirmed += confirmed
        summary.possible += len(hits) - confirmed
        if dep.vulnerability_count != confirmed:
            counts.append({"dependency_id": dep.id, "count": confirmed})
        for vid, c, fixed in hits:
            wanted[(dep.id, vid)] = {
                "tech_dependency_id": dep.id, "vulnerability_id": vid, "repository_analysis_id": dep.repository_analysis_id,
                "ecosystem": key[0], "package": key[1][:512], "confirmed": c, "fixed_version": (fixed or None) and fixed[:128]}
    stale = [row_id for pair, (row_id, c, fixed) in stored.items()
             if pair not in wanted or (wanted[pair]["confirmed"], wanted[pair]["fixed_version"]) != (c, fixed)]
    replaced = set(stale)
    fresh = [row for pair, row in wanted.items() if pair not in stored or stored[pair][0] in replaced]
    for chunk in chunks(stale):
        session.execute(delete(DependencyVulnerability).where(DependencyVulnerability.id.in_(chunk)))
    if fresh:  # Core executemany: no ORM bookkeeping per row
        session.execute(insert(DependencyVulnerability.__table__), fresh)
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
        cache.save(store)
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
