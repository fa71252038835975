"""Stored advisory indexes: read the ones still valid, build the rest, save what was built.

An index is derived data: it is valid while its fingerprint equals the one
of the package's current ``vulnerable_packages`` rows (their count and
highest id; the importer writes a changed package's new rows before it
deletes the old ones, so every change moves one of the two). A missing or
stale index is built from the rows and used at once; :func:`save_indexes`
stores it for the next match. The importer drops the indexes of what it
changes, in the same unit of work.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any, Iterable

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import AdvisoryIndex, Vulnerability, VulnerablePackage
from .ecosystems import PackageKey
from .version_index import PackageIndex, build_index

log = logging.getLogger(__name__)

def _empty(ecosystem: str) -> PackageIndex:
    """The index of a package without stored advisories (never saved)."""
    return PackageIndex(ecosystem, {}, [])


def _by_ecosystem(keys: Iterable[PackageKey]) -> dict[str, list[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for ecosystem, package in keys:
        grouped[ecosystem].add(package)
    return {ecosystem: sorted(packages) for ecosystem, packages in grouped.items()}


def _fingerprints(session: Session, ecosystem: str, packages: Any) -> dict[str, str]:
    query = (select(VulnerablePackage.package, func.count(VulnerablePackage.id), func.max(VulnerablePackage.id))
             .where(VulnerablePackage.ecosystem == ecosystem, VulnerablePackage.package.in_(packages))
             .group_by(VulnerablePackage.package))
    return {package: f"{count}:{highest}" for package, count, highest in session.execute(query)}


def _build(session: Session, ecosystem: str, packages: Any) -> dict[str, PackageIndex]:
    rows: dict[str, list[tuple[int, Any, Any]]] = defaultdict(list)
    query = (select(VulnerablePackage.package, VulnerablePackage.vulnerability_id, VulnerablePackage.ranges, VulnerablePackage.versions)
             .join(Vulnerability, Vulnerability.id == VulnerablePackage.vulnerability_id)
             .where(VulnerablePackage.ecosystem == ecosystem, VulnerablePackage.package.in_(packages), Vulnerability.withdrawn.is_(None))
             .order_by(VulnerablePackage.id))
    for package, vulnerability_id, ranges, versions in session.execute(query):
        rows[package].append((vulnerability_id, ranges, versions))
    return {package: build_index(ecosystem, found) for package, found in rows.items()}


def load_indexes(session: Session, keys: Iterable[PackageKey], built: dict[PackageKey, tuple[str, PackageIndex]]) -> dict[PackageKey, PackageIndex]:
    """The index of every package in ``keys``: stored ones whose fingerprint still holds,
    the others built now and added to ``built`` as ``key -> (fingerprint, index)``."""
    found: dict[PackageKey, PackageIndex] = {}
    for ecosystem, packages in _by_ecosystem(keys).items():
        for chunk in chunks(packages):
            current = _fingerprints(session, ecosystem, chunk)
            stored = session.execute(
                select(AdvisoryIndex.package, AdvisoryIndex.fingerprint, AdvisoryIndex.document)
                .where(AdvisoryIndex.ecosystem == ecosystem, AdvisoryIndex.package.in_(list(current)))
            )
            for package, fingerprint, document in stored:
                index = PackageIndex.from_document(document) if fingerprint == current[package] else None
                if index is not None and index.ecosystem == ecosystem:
                    found[(ecosystem, package)] = index
            missing = [p for p in current if (ecosystem, p) not in found]
            for package, index in _build(session, ecosystem, missing).items() if missing else ():
                found[(ecosystem, package)] = index
                built[(ecosystem, package)] = (current[package], index)
            for package in chunk:
                found.setdefault((ecosystem, package), _empty(ecosystem))
    return found


def save_indexes(store: Any, built: dict[PackageKey, tuple[str, PackageIndex]]) -> int:
    """Store built indexes for later matches (replacing older ones); returns how many.

    Its own unit of work, after the hits are written: indexes are a cache, so
    losing a race with another writer is logged and harmless.
    """
    if not built:
        return 0
    items = sorted(built.items())
    try:
        with store.session() as session:
            forget_indexes(session, [key for key, _ in items])
            for chunk in chunks(items, 500):
                session.execute(insert(AdvisoryIndex), [
                    {"ecosystem": ecosystem, "package": package, "fingerprint": fingerprint, "document": index.to_document()}
                    for (ecosystem, package), (fingerprint, index) in chunk
                ])
    except IntegrityError:  # another match saved the same packages first
        log.info("advisory indexes saved concurrently; keeping the other copy")
        return 0
    built.clear()
    return len(items)


def forget_indexes(session: Session, keys: Iterable[PackageKey]) -> None:
    """Drop the stored indexes of ``keys`` (their advisories changed), in ``session``."""
    for ecosystem, packages in _by_ecosystem(keys).items():
        for chunk in chunks(packages):
            session.execute(delete(AdvisoryIndex).where(AdvisoryIndex.ecosystem == ecosystem, AdvisoryIndex.package.in_(chunk)))
