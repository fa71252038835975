"""Advisory indexes: the version grid answers exactly what testing each range does, and the
stored indexes are rebuilt whenever the advisories they came from change."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AdvisoryIndex, DependencyVulnerability
from coe_framework.vulns import matching
from coe_framework.vulns.importer import import_path
from coe_framework.vulns.version_index import FORMAT, PackageIndex, build_index, compare_texts, fast_key
from coe_framework.vulns.versions import affected_intervals, allowed_intervals, parse_version, point

from .osvdata import fixed_below, record, write
from .test_import import add_dependencies
from .test_matching_batches import stored

#: Per ecosystem: versions (releases, pre-releases, equal spellings, build metadata) and constraints.
VERSIONS = {
    "pypi": ["0", "0.9", "1", "1.0", "1.0.0", "1.0a1", "1.0rc1", "1.0.post1", "1.0.dev2", "1!0.5", "01.2", "1.2", "1.2.3",
             "1.10", "2.0", "2.0.0.0", "v2.1", "10.0", "1.0+local", "3.0b2"],
    "npm": ["0.0.1", "1.0.0", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-beta+build", "1.0.0+build.5", "1.2", "1.2.0", "1.2.3",
            "2.0.0-rc.1", "2.0.0", "v1.2.4", "10.1.0", "1.10.0"],
    "cargo": ["0.1.0", "0.1.1", "1.0.0", "1.0.0-pre.1", "1.2.3", "1.2", "2.0.0", "0.10.0"],
    "golang": ["v0.0.0-20200101000000-abcdef123456", "v1.0.0", "v1.2.3", "v1.2.4-pre", "v2.0.0+incompatible", "v2.1.0",
               "v0.9.0", "v1.10.0"],
    "maven": ["1.0", "1.0.0", "1", "1.0-SNAPSHOT", "1.0-alpha-1", "1.0-rc1", "1.0.1", "1.10", "2.0.Final", "2.0", "1.2.3.4"],
    "gem": ["0.9.9", "1.0", "1.0.0", "1.0.0.pre", "1.0.a", "1.2", "2.1.3", "1.10"],
    "composer": ["1.0.0", "v1.0.0", "1.0", "1.0.0-beta1", "1.0.0-RC2", "1.0.0-p1", "1.2.3", "2.0.0", "1.10.0"],
    "nuget": ["1.0", "1.0.0", "1.0.0.0", "1.0.0-beta", "1.0.0+meta", "1.2.3.4", "2.0.0-rc.1", "2.0.0", "1.10.0"],
}
CONSTRAINTS = {
    "pypi": [">=1.0", "<2", "~=1.2", "==1.0.*", ">=1.0,<1.5", "!=1.1", "==2.0", ">1.0rc1", "latest"],
    "npm": ["^1.0.0", "~1.2", ">=1.0.0 <2.0.0", "1.x", "*", "latest", "<1.0.0-beta", "1.2.3"],
    "cargo": ["1.2", "^1.0", ">=1.0, <2.0", "=0.1.0", "~0.1"],
    "golang": ["v1.2.3"],
    "maven": ["[1.0,2.0)", "(,1.0]", "1.0", "[1.5,)", "[1.0-rc1,1.0.1]"],
    "gem": ["~> 1.2", ">= 1.0", "< 2", "= 1.0.a"],
    "composer": ["^1.0", "~1.2", ">=1.0 <2.0", "1.0.0", "^1.0@dev"],
    "nuget": ["[1.0,2.0)", "1.0", "(,2.0]", "[1.0.0-beta,1.0.0]"],
}


class Reference:
    """Each of an advisory's ranges tested interval by interval, as the OSV schema states it."""

    def __init__(self, ecosystem: str, rows: list[tuple[int, Any, Any]]):
        self.ecosystem = ecosystem
        self.advisories = []
        for vid, ranges, versions in rows:
            compiled = []
            for rng in ranges:
                scheme = "SEMVER" if rng["type"] == "SEMVER" else ecosystem
                try:
                    compiled.append((scheme, affected_intervals(scheme, rng["events"])))
                except ValueError:
                    continue
            self.advisories.append((vid, compiled, list(versions)))

    def version(self, version: str) -> set[tuple[int, bool, str | None]]:
        hits: dict[int, str | None] = {}
        for vid, compiled, listed in self.advisories:
            if vid in hits:
                continue
            if version in listed:
                hits[vid] = None
                continue
            found = False
            for scheme, intervals in compiled:
                value = parse_version(scheme, version)
                hit = next((i for i in intervals if value is not None and i.contains(value)), None)
                if hit is not None:
                    hits[vid], found = hit.fixed, True
                    break
            own = parse_version(self.ecosystem, version)
            if not found and own is not None and any(parse_version(self.ecosystem, v) == own for v in listed):
                hits[vid] = None
        return {(vid, True, fixed) for vid, fixed in hits.items()}

    def constraint(self, constraint: str) -> set[tuple[int, bool, str | None]]:
        hits: dict[int, str | None] = {}
        for vid, compiled, listed in self.advisories:
            if vid in hits:
                continue
            found = False
            for scheme, intervals in compiled:
                allowed = allowed_intervals(self.ecosystem, constraint, scheme) or ()
                hit = next((i for i in intervals if any(a.overlaps(i) for a in allowed)), None)
                if hit is not None:
                    hits[vid], found = hit.fixed, True
                    break
            allowed = allowed_intervals(self.ecosystem, constraint) or ()
            values = [parse_version(self.ecosystem, v) for v in listed]
            if not found and any(v is not None and a.overlaps(point(v)) for v in values for a in allowed):
                hits[vid] = None
        return {(vid, False, fixed) for vid, fixed in hits.items()}


def random_rows(ecosystem: str, rng: random.Random, count: int) -> list[tuple[int, Any, Any]]:
    pool = VERSIONS[ecosystem]
    rows = []
    for vid in range(1, count + 1):
        ranges = []
        for _ in range(rng.choice((0, 1, 1, 2))):
            events: list[dict[str, str]] = []
            for _ in range(rng.randint(1, 4)):
                kind = rng.choice(("introduced", "introduced", "fixed", "last_affected", "limit"))
                events.append({kind: "0" if kind == "introduced" and rng.random() < 0.3 else rng.choice(pool)})
            kind = "SEMVER" if ecosystem in ("npm", "cargo", "golang") and rng.random() < 0.7 else "ECOSYSTEM"
            ranges.append({"type": kind, "events": events})
        versions = rng.sample(pool, rng.choice((0, 0, 1, 2)))
        rows.append((rng.choice((vid, vid, max(1, vid - 1))), ranges, versions))  # sometimes one advisory twice
    return rows


@pytest.mark.parametrize("ecosystem", sorted(VERSIONS))
def test_the_grid_answers_what_testing_every_range_answers(ecosystem: str) -> None:
    rng = random.Random(ecosystem)
    for _ in range(60):
        rows = random_rows(ecosystem, rng, rng.randint(1, 8))
        index, reference = build_index(ecosystem, rows), Reference(ecosystem, rows)
        again = PackageIndex.from_document(index.to_document())
        assert again is not None
        for version in VERSIONS[ecosystem] + ["1.5", "9.9.9", "not-a-version", "v0.0.1"]:
            assert set(index.affecting_version(version)) == reference.version(version), (rows, version)
            assert set(again.affecting_version(version)) == reference.version(version), (rows, version)
        for constraint in CONSTRAINTS[ecosystem]:
            assert set(index.overlapping_constraint(constraint)) == reference.constraint(constraint), (rows, constraint)
            assert set(again.overlapping_constraint(constraint)) == reference.constraint(constraint), (rows, constraint)


@pytest.mark.parametrize("scheme", ["pypi", "npm", "cargo", "golang", "maven", "gem", "composer", "nuget", "SEMVER"])
def test_plain_releases_order_by_their_numbers_exactly_as_the_parser_orders_them(scheme: str) -> None:
    rng = random.Random(scheme)
    prefix = "v" if scheme == "golang" else ""
    texts = [prefix + ".".join(str(rng.choice((0, 0, 1, 2, 9, 10, 11))) for _ in range(rng.randint(1, 3))) for _ in range(200)]
    for a, b in zip(texts, reversed(texts)):
        assert fast_key(scheme, a) is not None and parse_version(scheme, a) is not None
        va, vb = parse_version(scheme, a), parse_version(scheme, b)
        expected = -1 if va < vb else (1 if va > vb else 0)
        assert (fast_key(scheme, a) > fast_key(scheme, b)) - (fast_key(scheme, a) < fast_key(scheme, b)) == expected, (a, b)
        assert compare_texts(scheme, a, b) == expected


def test_a_document_of_another_format_or_shape_is_not_used() -> None:
    document = build_index("pypi", [(1, [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}], [])]).to_document()
    assert PackageIndex.from_document({**document, "format": FORMAT + 1}) is None
    assert PackageIndex.from_document({**document, "advisories": [["x"]]}) is None
    assert PackageIndex.from_document({**document, "advisories": {"x": 1}}) is None
    assert PackageIndex.from_document({**document, "grids": {"pypi": 3}}) is None
    assert PackageIndex.from_document("not a document") is None


def index_rows(store: Any) -> dict[tuple[str, str], str]:
    with unit_of_work(store.engine) as session:
        return {(e, p): f for e, p, f in session.execute(select(AdvisoryIndex.ecosystem, AdvisoryIndex.package, AdvisoryIndex.fingerprint))}


def test_matching_saves_indexes_and_an_import_that_changes_a_package_makes_its_index_stale(store: Any, tmp_path: Path) -> None:
    add_dependencies(store, {"ecosystem": "pypi", "name": "requests", "version": "2.5"},
                     {"ecosystem": "pypi", "name": "flask", "version": "1.0"})
    write(tmp_path / "a", fixed_below("PYSEC-1", "PyPI", "requests", "3.0"), fixed_below("PYSEC-2", "PyPI", "flask", "0.9"))
    import_path(store, tmp_path / "a")
    first = index_rows(store)
    assert set(first) == {("pypi", "requests"), ("pypi", "flask")}
    assert stored(store)[1] >= {(1, 1), (2, 0)}
    # A newer copy of PYSEC-1 no longer affects 2.5; flask's advisories are unchanged.
    write(tmp_path / "b", record("PYSEC-1", "PyPI", "requests", events=[{"introduced": "0"}, {"fixed": "2.0"}], modified="2026-06-01T00:00:00Z"))
    import_path(store, tmp_path / "b")
    second = index_rows(store)
    assert second[("pypi", "flask")] == first[("pypi", "flask")]
    assert second[("pypi", "requests")] != first[("pypi", "requests")]
    assert stored(store)[1] >= {(1, 0), (2, 0)}


def test_a_stale_or_foreign_stored_index_is_rebuilt_not_used(store: Any, tmp_path: Path) -> None:
    add_dependencies(store, {"ecosystem": "pypi", "name": "requests", "version": "2.5"})
    write(tmp_path / "osv", fixed_below("PYSEC-1", "PyPI", "requests", "3.0"))
    import_path(store, tmp_path / "osv")
    wrong = build_index("pypi", [(1, [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}], [])]).to_document()
    with store.session() as session:  # an index that says 2.5 is safe, under a fingerprint that no longer holds
        session.execute(AdvisoryIndex.__table__.update().values(document=wrong, fingerprint="0:0"))
    assert matching.rematch(store).confirmed == 1
    with store.session() as session:  # the right fingerprint, but another ecosystem's index
        session.execute(AdvisoryIndex.__table__.update().values(document={**wrong, "ecosystem": "npm"}))
    assert matching.rematch(store).confirmed == 1


def test_matching_again_with_nothing_changed_writes_nothing(store: Any, tmp_path: Path) -> None:
    add_dependencies(store, {"ecosystem": "pypi", "name": "requests", "version": "2.5"},
                     {"ecosystem": "pypi", "name": "requests", "constraint": ">=2.0"},
                     {"ecosystem": "npm", "name": "left-pad", "version": "1.0.0"})
    write(tmp_path / "osv", fixed_below("PYSEC-1", "PyPI", "requests", "3.0"))
    import_path(store, tmp_path / "osv")
    with unit_of_work(store.engine) as session:
        ids = sorted(session.scalars(select(DependencyVulnerability.id)))
    executed: list[str] = []
    from sqlalchemy import event

    def record_write(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE")):
            executed.append(statement)

    event.listen(store.engine, "before_cursor_execute", record_write)
    try:
        summary = matching.rematch(store)
    finally:
        event.remove(store.engine, "before_cursor_execute", record_write)
    assert summary.to_dict() == {"dependencies": 3, "confirmed": 1, "possible": 1}
    assert executed == []
    with unit_of_work(store.engine) as session:
        assert sorted(session.scalars(select(DependencyVulnerability.id))) == ids
        assert session.scalar(select(func.count(AdvisoryIndex.id))) == 1
