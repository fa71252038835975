"""Matching in batches: answers carried over from earlier batches equal matching all at once."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import DependencyVulnerability, TechDependency
from coe_framework.vulns import matching
from coe_framework.vulns.importer import import_path

from .osvdata import fixed_below, record, write
from .test_import import add_dependencies


def stored(store: Any) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    with unit_of_work(store.engine) as session:
        hits = set(session.execute(select(DependencyVulnerability.tech_dependency_id, DependencyVulnerability.vulnerability_id,
                                          DependencyVulnerability.confirmed, DependencyVulnerability.fixed_version)).all())
        counts = set(session.execute(select(TechDependency.id, TechDependency.vulnerability_count)).all())
    return hits, counts


def test_one_dependency_per_batch_gives_the_same_hits_as_one_batch(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    add_dependencies(
        store,
        # The same package and version in several batches, a constraint, a package without advisories.
        {"ecosystem": "pypi", "name": "Requests", "version": "2.0"},
        {"ecosystem": "pypi", "name": "requests", "version": "2.0"},
        {"ecosystem": "pypi", "name": "requests", "version": "3.1"},
        {"ecosystem": "pypi", "name": "requests", "constraint": ">=2.5"},
        {"ecosystem": "pypi", "name": "quiet", "version": "1.0"},
        {"ecosystem": "maven", "name": "org.example:lib", "version": "1.0.0"},
        {"ecosystem": "maven", "name": "org.example:lib", "constraint": "[1.5,2.0)"},
        {"ecosystem": "npm", "name": "left-pad", "version": "1.0.0"},  # no npm advisory loaded: unknown
    )
    write(tmp_path / "osv",
          fixed_below("PYSEC-1", "PyPI", "requests", "3.0"),
          record("PYSEC-2", "PyPI", "requests", events=[{"introduced": "2.5"}, {"last_affected": "3.1"}]),
          record("PYSEC-3", "PyPI", "quiet", versions=["0.9"]),
          fixed_below("GHSA-n", "Maven", "org.example:lib", "1.6"))
    import_path(store, tmp_path / "osv", match=False)
    whole = matching.rematch(store)
    expected = stored(store)
    monkeypatch.setattr(matching, "BATCH", 1)
    batched = matching.rematch(store)
    assert stored(store) == expected
    assert batched.to_dict() == whole.to_dict() == {"dependencies": 8, "confirmed": 4, "possible": 3}
    hits, counts = expected
    assert sorted(((count is None, count or 0) for _, count in counts)) == [
        (False, 0), (False, 0), (False, 0), (False, 1), (False, 1), (False, 1), (False, 1), (True, 0)]
    assert {(confirmed, fixed) for _, _, confirmed, fixed in hits} == {(True, "3.0"), (True, None), (False, "3.0"), (False, None),
                                                                       (True, "1.6"), (False, "1.6")}
