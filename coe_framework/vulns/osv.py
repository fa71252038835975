"""One OSV record (the OSV schema, JSON) checked and reduced to what matching needs.

A record is hostile input: anything that does not have the schema's shape
is a :class:`RecordError` naming the first problem, and the record is
skipped. Inside a good record, a package of an ecosystem CoE does not
analyse, or a range of an unknown type, is left out and named in
:attr:`Advisory.notes`; GIT ranges (commit ids, not versions) are left out
silently.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from ..errors import BadInput
from .ecosystems import coe_ecosystem, package_key
from .severity import Severity, severity_of
from .versions import KNOWN_RANGE_TYPES, VERSION_RANGE_TYPES, RangeError, check_events

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_AFFECTED = 5000
MAX_VERSIONS = 20000


class RecordError(BadInput, ValueError):
    """A record that cannot be imported; the message is one line.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass
class AffectedPackage:
    """One package of one advisory: CoE ecosystem, package key, version ranges and explicit versions."""

    ecosystem: str
    package: str
    ranges: list[dict[str, Any]] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)


@dataclass
class Advisory:
    """What an import stores of one OSV record."""

    osv_id: str
    modified: datetime
    published: datetime | None = None
    withdrawn: datetime | None = None
    summary: str | None = None
    aliases: list[str] = field(default_factory=list)
    severity: Severity = field(default_factory=Severity)
    packages: list[AffectedPackage] = field(default_factory=list)
    #: Parts left out: unknown ecosystems and range types.
    notes: list[str] = field(default_factory=list)


def parse_time(value: Any, name: str, *, required: bool = False) -> datetime | None:
    """An RFC 3339 timestamp as an aware UTC datetime."""
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise RecordError(f"'{name}' must be an RFC 3339 time")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise RecordError(f"'{name}' is not an RFC 3339 time: {value[:40]!r}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RecordError(f"'{name}' must be a list of strings")
    return value


def _ranges(raw: Any, notes: list[str]) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RecordError("'ranges' must be a list")
    kept = []
    for entry in raw:
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str) or not isinstance(entry.get("events"), list):
            raise RecordError("a range needs a 'type' and a list of 'events'")
        kind = entry["type"]
        if kind not in KNOWN_RANGE_TYPES:
            notes.append(f"unknown range type '{kind[:40]}'")
            continue
        if kind not in VERSION_RANGE_TYPES:
            continue
        try:  # the shape is checked here; versions are parsed when matching (an unparseable one never matches)
            events = check_events(entry["events"])
        except RangeError as exc:
            raise RecordError(f"{kind} range: {exc}") from None
        kept.append({"type": kind, "events": [{k: v} for k, v in events]})
    return kept


def _affected(raw: Any, notes: list[str]) -> list[AffectedPackage]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_AFFECTED:
        raise RecordError(f"'affected' must be a list of at most {MAX_AFFECTED} entries")
    found: list[AffectedPackage] = []
    for entry in raw:
        if not isinstance(entry, dict):
            raise RecordError("an 'affected' entry must be an object")
        package = entry.get("package")
        if package is None:  # an entry about a commit range only
            continue
        if not isinstance(package, dict) or not isinstance(package.get("ecosystem"), str) or not isinstance(package.get("name"), str):
            raise RecordError("'affected[].package' needs an 'ecosystem' and a 'name'")
        ecosystem = coe_ecosystem(package["ecosystem"])
        if ecosystem is None:
            notes.append(f"unknown ecosystem '{package['ecosystem'][:60]}'")
            continue
        name = package["name"].strip()
        if not name or len(name) > 512:
            raise RecordError("'affected[].package.name' must be 1 to 512 characters")
        versions = _strings(entry.get("versions"), "affected[].versions")
        if len(versions) > MAX_VERSIONS:
            raise RecordError(f"'affected[].versions' lists more than {MAX_VERSIONS} versions")
        ranges = _ranges(entry.get("ranges"), notes)
        if ranges or versions:
            found.append(AffectedPackage(ecosystem, package_key(ecosystem, name), ranges, [v[:128] for v in versions]))
    return found


def parse_record(record: Any) -> Advisory:
    """The :class:`Advisory` in one OSV record; :class:`RecordError` when it is malformed."""
    if not isinstance(record, dict):
        raise RecordError("a record must be a JSON object")
    osv_id = record.get("id")
    if not isinstance(osv_id, str) or not _ID.match(osv_id):
        raise RecordError("'id' is missing or not an OSV id")
    try:
        notes: list[str] = []
        summary = record.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            details = record.get("details")
            summary = details.strip().splitlines()[0] if isinstance(details, str) and details.strip() else None
        advisory = Advisory(
            osv_id=osv_id,
            modified=parse_time(record.get("modified"), "modified", required=True),  # type: ignore[arg-type]
            published=parse_time(record.get("published"), "published"),
            withdrawn=parse_time(record.get("withdrawn"), "withdrawn"),
            summary=" ".join(summary.split())[:1000] if summary else None,
            aliases=[a[:128] for a in _strings(record.get("aliases"), "aliases")][:100],
            severity=severity_of(record.get("severity"), record.get("database_specific")),
            packages=_affected(record.get("affected"), notes),
            notes=notes,
        )
    except RecordError as exc:
        raise RecordError(f"{osv_id}: {exc}") from None
    return advisory
