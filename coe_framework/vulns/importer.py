"""Store OSV advisories: idempotent, in batches of one unit of work each.

A record whose ``modified`` time is not newer than the stored copy's is left
alone, so importing the same export again changes nothing and a newer export
rewrites only what changed. Each batch commits whole or not at all. After
the import, the dependencies of every package whose advisories changed are
matched again (:func:`coe_framework.vulns.matching.rematch`): no re-analysis.
"""
from __future__ import annotations

import os
from collections import Counter
from datetime import datetime
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import Vulnerability, VulnerablePackage, utcnow
from .ecosystems import PackageKey
from .osv import Advisory, RecordError, parse_record, parse_time
from .indexes import forget_indexes
from .sources import RawRecord, Skipped, read_records

BATCH = 2000
#: Skipped items listed one by one in a summary; the rest are only counted.
LISTED = 20



@dataclass
class ImportSummary:
    """What an import did."""

    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    skipped_count: int = 0
    #: Parts of good records left out (unknown ecosystems, range types), counted by reason.
    left_out: Counter[str] = field(default_factory=Counter)
    #: (ecosystem, package key) pairs whose advisories changed.
    changed: set[PackageKey] = field(default_factory=set)
    matched: dict[str, int] = field(default_factory=dict)

    def skip(self, item: Skipped) -> None:
        self.skipped_count += 1
        if len(self.skipped) < LISTED:
            self.skipped.append(item)

    def lines(self) -> list[str]:
        """The summary for a terminal."""
        out = [f"read {self.read} records: {self.inserted} new, {self.updated} updated, {self.unchanged} unchanged, "
               f"{self.withdrawn} withdrawn, {self.skipped_count} skipped"]
        out += [f"skipped {item.where}: {item.reason}" for item in self.skipped]
        if self.skipped_count > len(self.skipped):
            out.append(f"... and {self.skipped_count - len(self.skipped)} more skipped")
        out += [f"left out of records: {reason} ({count}x)" for reason, count in sorted(self.left_out.items())]
        if self.matched:
            out.append("matched {dependencies} dependencies: {confirmed} affected, {possible} may resolve to an affected version".format(**self.matched))
        return out


def import_path(store: Any, path: str | os.PathLike[str], *, match: bool = True) -> ImportSummary:
    """Import every OSV record below ``path`` and, unless ``match`` is false, re-match what changed."""
    summary = ImportSummary()
    stored = _stored_times(store)
    batch: dict[str, tuple[Advisory, str]] = {}
    for item in read_records(path):
        if isinstance(item, Skipped):
            summary.skip(item)
            continue
        summary.read += 1
        if _not_newer(item.record, stored):
            summary.unchanged += 1
            continue
        advisory = _advisory(item, summary)
        if advisory is None:
            continue
        known = batch.get(advisory.osv_id)
        if known is None or advisory.modified > known[0].modified:  # the same id twice: the newest counts
            batch[advisory.osv_id] = (advisory, item.where)
        if len(batch) >= BATCH:
            store_batch(store, list(batch.values()), summary)
            batch = {}
    if batch:
        store_batch(store, list(batch.values()), summary)
    if match and summary.changed:
        from .matching import rematch

        summary.matched = rematch(store, keys=summary.changed).to_dict()
    return summary


def _stored_times(store: Any) -> dict[str, datetime]:
    """The modified time of every stored advisory, by OSV id (one read, so unchanged records are not parsed)."""
    with store.session() as session:
        return dict(session.execute(select(Vulnerability.osv_id, Vulnerability.modified)).all())


def _not_newer(record: Any, stored: dict[str, datetime]) -> bool:
    """True for a record whose stored copy is at least as new (a malformed one is parsed and named)."""
    if not isinstance(record, dict) or record.get("id") not in stored:
        return False
    try:
        modified = parse_time(record.get("modified"), "modified", required=True)
    except RecordError:
        return False
    return modified is not None and modified <= stored[record["id"]]


def _advisory(item: RawRecord, summary: ImportSummary) -> Advisory | None:
    try:
        advisory = parse_record(item.record)
    except RecordError as exc:
        summary.skip(Skipped(item.where, str(exc)[:300]))
        return None
    except RecursionError:
        summary.skip(Skipped(item.where, "nested too deeply"))
        return None
    summary.left_out.update(advisory.notes)
    if not advisory.packages and advisory.withdrawn is None:
        reason = "; ".join(sorted(set(advisory.notes))) or "affects no package of a supported ecosystem"
        summary.skip(Skipped(item.where, f"{advisory.osv_id}: {reason[:200]}"))
        return None
    return advisory


def _row(advisory: Advisory, where: str) -> dict[str, Any]:
    return {
        "osv_id": advisory.osv_id,
        "modified": advisory.modified,
        "published": advisory.published,
        "withdrawn": advisory.withdrawn,
        "summary": advisory.summary,
        "aliases": advisory.aliases,
        "severity": advisory.severity.level,
        "cvss_score": advisory.severity.score,
        "cvss_vector": advisory.severity.vector,
        "source": where[:1024],
        "imported_at": utcnow(),
    }


def _package_rows(ids: dict[str, int], advisories: Iterable[Advisory]) -> list[dict[str, Any]]:
    return [
        {"vulnerability_id": ids[a.osv_id], "ecosystem": p.ecosystem, "package": p.package, "ranges": p.ranges, "versions": p.versions}
        for a in advisories if a.withdrawn is None
        for p in a.packages
    ]


def _old_keys(session: Session, ids: Sequence[int]) -> set[PackageKey]:
    keys: set[PackageKey] = set()
    for chunk in chunks(ids):
        keys.update(session.execute(
            select(VulnerablePackage.ecosystem, VulnerablePackage.package).where(VulnerablePackage.vulnerability_id.in_(chunk))
        ))
    return keys


def store_batch(store: Any, batch: Sequence[tuple[Advisory, str]], summary: ImportSummary) -> None:
    """Write one batch in one unit of work: new advisories inserted, newer ones rewritten."""
    with store.session() as session:
        stored: dict[str, tuple[int, Any]] = {}
        for osv_ids in chunks([a.osv_id for a, _ in batch]):
            query = select(Vulnerability.osv_id, Vulnerability.id, Vulnerability.modified).where(Vulnerability.osv_id.in_(osv_ids))
            stored.update((osv_id, (row_id, modified)) for osv_id, row_id, modified in session.execute(query))
        new = [(a, w) for a, w in batch if a.osv_id not in stored]
        newer = [(a, w) for a, w in batch if a.osv_id in stored and a.modified > stored[a.osv_id][1]]
        summary.unchanged += len(batch) - len(new) - len(newer)
        ids: dict[str, int] = {}
        if new:
            result = session.execute(
                insert(Vulnerability).returning(Vulnerability.id, Vulnerability.osv_id, sort_by_parameter_order=True),
                [_row(a, w) for a, w in new],
            )
            ids.update((osv_id, row_id) for row_id, osv_id in result)
        replaced: list[int] = []
        touched: set[PackageKey] = set()
        if newer:
            updated_ids = [stored[a.osv_id][0] for a, _ in newer]
            touched |= _old_keys(session, updated_ids)
            for chunk in chunks(updated_ids):
                replaced += session.scalars(select(VulnerablePackage.id).where(VulnerablePackage.vulnerability_id.in_(chunk)))
            session.execute(update(Vulnerability), [{"id": stored[a.osv_id][0], **_row(a, w)} for a, w in newer])
            ids.update((a.osv_id, stored[a.osv_id][0]) for a, _ in newer)
        changed = [a for a, _ in new + newer]
        rows = _package_rows(ids, changed)
        if rows:
            session.execute(insert(VulnerablePackage), rows)
        # New rows first, then the old ones go: a package's highest row id only grows, which
        # is what tells an advisory index built from the old rows that it is stale.
        for chunk in chunks(replaced):
            session.execute(delete(VulnerablePackage).where(VulnerablePackage.id.in_(chunk)))
        touched |= {(r["ecosystem"], r["package"]) for r in rows}
        forget_indexes(session, touched)
        summary.changed |= touched
        summary.inserted += len(new)
        summary.updated += len(newer)
        summary.withdrawn += sum(1 for a in changed if a.withdrawn is not None)
