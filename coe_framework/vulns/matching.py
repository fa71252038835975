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

import gc
import hashlib
import logging
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import DependencyVulnerability, TechDependency, VulnerablePackage
from .ecosystems import SUPPORTED, PackageKey, package_key
from .indexes import load_indexes, save_indexes
from .version_index import PackageIndex

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
    answers: dict[tuple[PackageKey, Marker], "Answer"] = field(default_factory=dict)

    def load(self, session: Session, keys: Iterable[PackageKey]) -> dict[PackageKey, PackageIndex]:
        """The indexes of ``keys``, reading only packages not read before."""
        missing = {key for key in keys if key not in self.indexes}
        if missing:
            self.indexes.update(load_indexes(session, missing, self.built))
        return self.indexes

    def save(self, store: Any) -> None:
        """Store the indexes built so far, for the next match."""
        save_indexes(store, self.built)


@dataclass(frozen=True)
class Answer:
    """What one package says about one locked version or constraint."""

    #: ``(advisory id, confirmed, fixed version)`` in the index's order.
    hits: list[tuple[int, bool, str | None]]
    confirmed: int
    #: What ``tech_dependencies.vulnerability_digest`` holds once these hits are stored.
    digest: str


def _answer(marker: Marker, index: PackageIndex) -> Answer:
    """The advisories a locked version is in (confirmed) or a bare constraint may resolve into."""
    version, constraint = marker
    found = index.affecting_version(version) if version else (index.overlapping_constraint(constraint) if constraint else [])
    hits = [(vid, confirmed, (fixed or None) and fixed[:128]) for vid, confirmed, fixed in found]
    digest = hashlib.blake2b(repr(hits).encode(), digest_size=8).hexdigest()
    return Answer(hits, sum(1 for _, confirmed, _ in hits if confirmed), digest)


_DEP_COLUMNS = (TechDependency.id, TechDependency.repository_analysis_id, TechDependency.ecosystem, TechDependency.name,
                TechDependency.constraint, TechDependency.version, TechDependency.vulnerability_count,
                TechDependency.vulnerability_digest)

_SET_COUNT = (update(TechDependency.__table__).where(TechDependency.__table__.c.id == bindparam("dependency_id"))
              .values(vulnerability_count=bindparam("count"), vulnerability_digest=bindparam("digest")))
_HIT_COLUMNS = (DependencyVulnerability.id, DependencyVulnerability.tech_dependency_id, DependencyVulnerability.vulnerability_id,
                DependencyVulnerability.confirmed, DependencyVulnerability.fixed_version)


def _stored_hits(session: Session, ids: Sequence[int]) -> dict[tuple[int, int], tuple[int, bool, str | None]]:
    """``(dependency, advisory) -> (row id, confirmed, fixed version)`` of the stored hits of ``ids``."""
    found: dict[tuple[int, int], tuple[int, bool, str | None]] = {}
    for chunk in chunks(ids):
        rows = session.execute(select(*_HIT_COLUMNS).where(DependencyVulnerability.tech_dependency_id.in_(chunk)))
        found.update(((dep, vid), (row_id, confirmed, fixed)) for row_id, dep, vid, confirmed, fixed in rows)
    return found


def _write_differences(session: Session, wanted: dict[tuple[int, int], dict[str, Any]], ids: Sequence[int]) -> None:
    """Make the stored hits of dependencies ``ids`` equal ``wanted``, touching only rows that differ."""
    stored = _stored_hits(session, ids)
    stale = {row_id for pair, (row_id, confirmed, fixed) in stored.items()
             if pair not in wanted or (wanted[pair]["confirmed"], wanted[pair]["fixed_version"]) != (confirmed, fixed)}
    fresh = [row for pair, row in wanted.items() if pair not in stored or stored[pair][0] in stale]
    for chunk in chunks(sorted(stale)):
        session.execute(delete(DependencyVulnerability).where(DependencyVulnerability.id.in_(chunk)))
    if fresh:  # Core executemany: no ORM bookkeeping per row
        session.execute(insert(DependencyVulnerability.__table__), fresh)


def match_rows(session: Session, deps: Sequence[Any], loaded: set[str], summary: MatchSummary,
               cache: MatchCache | None = None) -> None:
    """Match ``deps`` (rows of :data:`_DEP_COLUMNS`) and bring their stored hits and counts up
    to date, in ``session``. Only what differs is written: a dependency whose stored digest
    equals its new hits' digest is left alone (its stored hits are not even read), so a
    re-match after an import that changed nothing for it writes nothing. ``cache`` carries
    indexes and answers over from earlier batches of the same re-match."""
    cache = cache if cache is not None else MatchCache()
    keyed = [(dep, (dep.ecosystem, package_key(dep.ecosystem, dep.name))) for dep in deps]
    matchable = [(dep, key) for dep, key in keyed if dep.ecosystem in loaded and dep.ecosystem in SUPPORTED]
    indexes = cache.load(session, {key for dep, key in matchable})
    wanted: dict[tuple[int, int], dict[str, Any]] = {}
    changed: list[int] = []
    counts: list[dict[str, Any]] = []
    for dep in deps:  # no advisory of its ecosystem loaded: unknown, and no hits
        if (dep.ecosystem not in loaded or dep.ecosystem not in SUPPORTED) and (dep.vulnerability_count, dep.vulnerability_digest) != (None, None):
            counts.append({"dependency_id": dep.id, "count": None, "digest": None})
            changed.append(dep.id)
    for dep, key in matchable:
        marker: Marker = (dep.version, None) if dep.version else (None, dep.constraint or None)
        answer = cache.answers.get((key, marker))
        if answer is None:
            answer = cache.answers[(key, marker)] = _answer(marker, indexes[key])
        summary.confirmed += answer.confirmed
        summary.possible += len(answer.hits) - answer.confirmed
        if (dep.vulnerability_count, dep.vulnerability_digest) == (answer.confirmed, answer.digest):
            continue
        counts.append({"dependency_id": dep.id, "count": answer.confirmed, "digest": answer.digest})
        changed.append(dep.id)
        for vid, confirmed, fixed in answer.hits:
            wanted[(dep.id, vid)] = {"tech_dependency_id": dep.id, "vulnerability_id": vid, "repository_analysis_id": dep.repository_analysis_id,
                                     "ecosystem": key[0], "package": key[1][:512], "confirmed": confirmed, "fixed_version": fixed}
    if changed:
        _write_differences(session, wanted, changed)
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
        for spelled_part in chunks(spelled):
            found += session.scalars(select(TechDependency.id).where(TechDependency.ecosystem == ecosystem, TechDependency.name.in_(spelled_part)))
    # An ecosystem loaded for the first time: its other dependencies go from unknown to zero.
    found += session.scalars(select(TechDependency.id).where(
        TechDependency.vulnerability_count.is_(None), TechDependency.ecosystem.in_(sorted({e for e, _ in keys}))))
    return sorted(set(found))


def _dependencies(session: Session, ids: Sequence[int]) -> list[Any]:
    """The rows of :data:`_DEP_COLUMNS` for the sorted ``ids``: one range query when they are
    dense (every dependency, or most of a range), lists of ids otherwise."""
    if ids and ids[-1] - ids[0] < 2 * len(ids):
        wanted = set(ids)
        rows = session.execute(select(*_DEP_COLUMNS).where(TechDependency.id.between(ids[0], ids[-1]))).all()
        return [row for row in rows if row.id in wanted]
    deps: list[Any] = []
    for chunk in chunks(ids):
        deps += session.execute(select(*_DEP_COLUMNS).where(TechDependency.id.in_(chunk))).all()
    return deps


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Matching builds hundreds of thousands of small lists (decoded indexes, hit rows) and no
    reference cycle: the cyclic collector would scan them again and again, doubling the CPU
    time for nothing. Reference counting still frees everything; what matching keeps must
    be released before the collector is enabled again, or its first pass scans all of it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rematch(store: Any, *, keys: set[PackageKey] | None = None, repository_analysis_ids: Sequence[int] | None = None) -> MatchSummary:
    """Match dependencies again and store the hits; returns what was found.

    By default every stored dependency; ``keys`` limits it to the packages
    named (what an import changed), ``repository_analysis_ids`` to the
    dependencies of those repository analyses (a new analysis).
    """
    summary = MatchSummary()
    with _no_cycle_collection():
        cache = MatchCache()
        with store.session() as session:
            loaded = loaded_ecosystems(session)
            ids = _dependency_ids(session, keys, repository_analysis_ids)
        for batch in chunks(ids, BATCH):
            with store.session() as session:
                match_rows(session, _dependencies(session, batch), loaded, summary, cache)
            cache.save(store)
        del cache  # freed by reference counting before the collector is back
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
