"""Importing OSV records (directories, zips, files; hostile archives) and matching stored dependencies."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import (
    AnalysisRequest,
    AnalysisResult,
    DependencyVulnerability,
    Repository,
    RepositoryAnalysis,
    TechDependency,
    Vulnerability,
)
from coe_framework.vulns import sources
from coe_framework.vulns.importer import import_path
from coe_framework.vulns.queries import hits, hits_query, status

from .osvdata import CVSS_CRITICAL, CVSS_HIGH, fixed_below, record, write


def add_dependencies(store: Any, *deps: dict[str, Any]) -> int:
    """A stored techspec analysis of one repository with ``deps``; returns its repository analysis id."""
    with store.session() as session:
        repo = Repository(url=f"https://example.org/r{id(deps)}.git", name="r")
        request = AnalysisRequest(repositories=[], status="succeeded")
        session.add_all([repo, request])
        session.flush()
        ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha="c" * 40, status="succeeded")
        session.add(ra)
        session.flush()
        result = AnalysisResult(repository_analysis_id=ra.id, analyzer="techspec", analyzer_version="1", options_hash="",
                                status="succeeded", data={}, cache_key=f"k{ra.id}")
        session.add(result)
        session.flush()
        session.execute(insert(TechDependency), [
            {"repository_analysis_id": ra.id, "analysis_result_id": result.id, "scope": "runtime", "manifest": "m", "direct": True,
             "constraint": None, "version": None, **dep} for dep in deps])
        return ra.id


def found(store: Any, **filters: Any) -> list[tuple[str, str, str]]:
    with unit_of_work(store.engine) as session:
        return sorted((h["dependency"]["name"], h["vulnerability"]["id"], h["status"]) for h in hits(session, hits_query(**filters)))


def counts(store: Any) -> dict[str, int | None]:
    with unit_of_work(store.engine) as session:
        return dict(session.execute(select(TechDependency.name, TechDependency.vulnerability_count)).all())


def test_every_ecosystem_range_type_withdrawn_and_aliases(store: Any, tmp_path: Path) -> None:
    add_dependencies(
        store,
        {"ecosystem": "pypi", "name": "Django", "version": "4.2rc1"},
        {"ecosystem": "pypi", "name": "py-yaml", "version": "1!1.0"},
        {"ecosystem": "npm", "name": "lodash", "version": "4.17.20+build.1"},
        {"ecosystem": "npm", "name": "left-pad", "constraint": "^1.1.0"},
        {"ecosystem": "golang", "name": "github.com/x/y", "version": "v2.0.0+incompatible"},
        {"ecosystem": "golang", "name": "golang.org/x/net", "version": "v0.0.0-20200101000000-abcdefabcdef"},
        {"ecosystem": "maven", "name": "org.apache:log4j-core", "version": "2.14.1"},
        {"ecosystem": "cargo", "name": "smallvec", "version": "1.6.0"},
        {"ecosystem": "gem", "name": "rack", "version": "2.2.3"},
        {"ecosystem": "composer", "name": "Monolog/Monolog", "constraint": "~1.2"},
        {"ecosystem": "nuget", "name": "Newtonsoft.Json", "version": "12.0.1"},
        {"ecosystem": "nuget", "name": "Safe.Package", "version": "3.0.0"},
        {"ecosystem": "npm", "name": "minimist", "version": "1.2.5"},
    )
    write(
        tmp_path / "osv",
        fixed_below("PYSEC-1", "PyPI", "django", "4.2", aliases=["CVE-2023-1", "GHSA-aaaa-bbbb-cccc"], severity=CVSS_HIGH),
        fixed_below("PYSEC-2", "PyPI", "PY_YAML", "5.4"),  # the epoch puts 1!1.0 above every version here
        record("GHSA-lodash", "npm", "lodash", kind="SEMVER", events=[{"introduced": "4.0.0"}, {"fixed": "4.17.21"}], severity=CVSS_CRITICAL),
        record("GHSA-leftpad", "npm", "left-pad", kind="SEMVER", events=[{"introduced": "1.2.0"}, {"last_affected": "1.3.0"}]),
        record("GO-1", "Go", "github.com/x/y", kind="SEMVER", events=[{"introduced": "0"}, {"fixed": "2.1.0"}]),
        record("GO-2", "Go", "golang.org/x/net", kind="SEMVER", events=[{"introduced": "0"}, {"fixed": "0.0.0-20210101000000-000000000000"}]),
        record("GHSA-log4shell", "Maven", "org.apache:log4j-core", events=[{"introduced": "2.0-beta9"}, {"fixed": "2.15.0"}], database_specific={"severity": "CRITICAL"}),
        record("RUSTSEC-1", "crates.io", "smallvec", versions=["1.6.0"]),
        record("GHSA-rack", "RubyGems", "rack", events=[{"introduced": "2.2.0"}, {"fixed": "2.2.3"}]),
        record("GHSA-monolog", "Packagist", "monolog/monolog", events=[{"introduced": "1.5.0"}, {"fixed": "1.6.0"}]),
        record("GHSA-json", "NuGet", "newtonsoft.json", events=[{"introduced": "0"}, {"fixed": "13.0.1"}]),
        record("GHSA-safe", "NuGet", "Safe.Package", events=[{"introduced": "0"}, {"fixed": "2.0.0"}]),
        record("MAL-1", "npm", "minimist", versions=["1.2.5"], withdrawn="2026-01-02T00:00:00Z"),
    )
    summary = import_path(store, tmp_path / "osv")
    assert (summary.inserted, summary.withdrawn, summary.skipped_count) == (13, 1, 0)
    assert found(store) == [
        ("Django", "PYSEC-1", "affected"),  # 4.2rc1 is a pre-release of 4.2, so before the fix
        ("Monolog/Monolog", "GHSA-monolog", "may_resolve_to_affected"),
        ("Newtonsoft.Json", "GHSA-json", "affected"),
        ("github.com/x/y", "GO-1", "affected"),
        ("golang.org/x/net", "GO-2", "affected"),
        ("left-pad", "GHSA-leftpad", "may_resolve_to_affected"),
        ("lodash", "GHSA-lodash", "affected"),
        ("org.apache:log4j-core", "GHSA-log4shell", "affected"),
        ("smallvec", "RUSTSEC-1", "affected"),
    ]
    assert counts(store) == {"Django": 1, "py-yaml": 0, "lodash": 1, "left-pad": 0, "github.com/x/y": 1, "golang.org/x/net": 1,
                             "org.apache:log4j-core": 1, "smallvec": 1, "rack": 0, "Monolog/Monolog": 0, "Newtonsoft.Json": 1,
                             "Safe.Package": 0, "minimist": 0}
    assert found(store, severity="critical") == [("lodash", "GHSA-lodash", "affected"), ("org.apache:log4j-core", "GHSA-log4shell", "affected")]
    assert found(store, package="DJANGO") == [("Django", "PYSEC-1", "affected")]
    with unit_of_work(store.engine) as session:
        django = next(h for h in hits(session, hits_query(package="django")))
        loaded = status(session)
    assert django["vulnerability"]["aliases"] == ["CVE-2023-1", "GHSA-aaaa-bbbb-cccc"]
    assert (django["vulnerability"]["severity"], django["vulnerability"]["cvss_score"], django["fixed_version"]) == ("high", 7.5, "4.2")
    assert loaded["advisories"] == 13 and loaded["withdrawn"] == 1
    assert {row["ecosystem"] for row in loaded["ecosystems"]} == {"pypi", "npm", "golang", "maven", "cargo", "gem", "composer", "nuget"}


def test_reimport_is_idempotent_and_only_newer_records_change_matches(store: Any, tmp_path: Path) -> None:
    add_dependencies(store, {"ecosystem": "pypi", "name": "requests", "version": "2.19.0"}, {"ecosystem": "npm", "name": "ws", "version": "7.0.0"})
    folder = write(tmp_path / "v1", fixed_below("PYSEC-9", "PyPI", "requests", "2.20.0"), fixed_below("GHSA-ws", "npm", "ws", "7.4.6"))
    import_path(store, folder)
    again = import_path(store, folder)
    assert (again.inserted, again.updated, again.unchanged, again.changed) == (0, 0, 2, set())
    # A newer copy narrows the range so 2.19.0 is no longer affected; an older copy is ignored.
    newer = write(tmp_path / "v2", fixed_below("PYSEC-9", "PyPI", "requests", "2.19.0", modified="2026-06-01T00:00:00Z"),
                  fixed_below("GHSA-ws", "npm", "ws", "9.0.0", modified="2025-01-01T00:00:00Z"))
    summary = import_path(store, newer)
    assert (summary.inserted, summary.updated, summary.unchanged) == (0, 1, 1)
    assert found(store) == [("ws", "GHSA-ws", "affected")]
    assert counts(store) == {"requests": 0, "ws": 1}
    with unit_of_work(store.engine) as session:
        assert session.scalar(select(func.count(Vulnerability.id))) == 2
    # Withdrawing removes its hits too; it was npm's only advisory, so npm is unknown again.
    withdrawn = write(tmp_path / "v3", fixed_below("GHSA-ws", "npm", "ws", "7.4.6", modified="2026-07-01T00:00:00Z", withdrawn="2026-07-01T00:00:00Z"))
    import_path(store, withdrawn)
    assert found(store) == [] and counts(store) == {"requests": 0, "ws": None}


def test_new_analysis_is_matched_and_ecosystems_without_data_stay_unknown(store: Any, tmp_path: Path) -> None:
    import_path(store, write(tmp_path / "osv", fixed_below("PYSEC-5", "PyPI", "urllib3", "1.26.5")))
    from coe_framework.vulns.matching import rematch

    ra = add_dependencies(store, {"ecosystem": "pypi", "name": "urllib3", "version": "1.26.4"}, {"ecosystem": "npm", "name": "x", "version": "1.0.0"})
    assert counts(store) == {"urllib3": None, "x": None}, "not matched before the analysis step runs"
    rematch(store, repository_analysis_ids=[ra])
    assert counts(store) == {"urllib3": 1, "x": None}, "no npm advisories loaded: unknown, not zero"
    with unit_of_work(store.engine) as session:
        assert session.scalar(select(func.count(DependencyVulnerability.id))) == 1


def test_malformed_records_unknown_ecosystems_and_range_types_are_named_and_skipped(store: Any, tmp_path: Path) -> None:
    folder = tmp_path / "osv"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json", encoding="utf-8")
    (folder / "list.json").write_text(json.dumps([
        {"id": "NO-MODIFIED", "affected": []},
        {"id": "../../etc", "modified": "2026-01-01T00:00:00Z"},
        record("BAD-EVENTS", "PyPI", "a", events=[{"introduced": "1", "fixed": "2"}]),
        record("DEBIAN-1", "Debian:12", "openssl", versions=["1.0"]),
        record("ODD-RANGE", "PyPI", "b", kind="WEIRD", events=[{"introduced": "0"}], versions=["1.0"]),
        fixed_below("GOOD-1", "PyPI", "c", "1.0"),
        "a string",
    ]), encoding="utf-8")
    summary = import_path(store, folder)
    reasons = " | ".join(f"{s.where}: {s.reason}" for s in summary.skipped)
    assert summary.inserted == 2 and summary.skipped_count == 6, reasons
    assert "broken.json: not JSON" in reasons and "'modified' must be an RFC 3339 time" in reasons and "not an OSV id" in reasons
    assert "BAD-EVENTS: ECOSYSTEM range" in reasons and "unknown ecosystem 'Debian:12'" in reasons and "must be a JSON object" in reasons
    assert summary.left_out["unknown range type 'WEIRD'"] == 1
    with unit_of_work(store.engine) as session:
        assert sorted(session.scalars(select(Vulnerability.osv_id))) == ["GOOD-1", "ODD-RANGE"]


def _zip(path: Path, members: dict[str, bytes], level: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", level) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_zip_exports_with_traversal_and_bombs(store: Any, tmp_path: Path) -> None:
    good = json.dumps(fixed_below("PYSEC-Z", "PyPI", "zipped", "1.0")).encode()
    bomb = b'{"id": "BOMB", "pad": "' + b"0" * (3 * 1024 * 1024) + b'"}'  # inflates about a thousand times
    archive = _zip(tmp_path / "PyPI-all.zip", {
        "PYSEC-Z.json": good,
        "../evil.json": json.dumps(fixed_below("EVIL-1", "PyPI", "x", "1")).encode(),
        "/abs.json": json.dumps(fixed_below("EVIL-2", "PyPI", "x", "1")).encode(),
        "bomb.json": bomb,
        "notes.txt": b"ignored",
    })
    summary = import_path(store, archive)
    reasons = {s.where: s.reason for s in summary.skipped}
    assert summary.inserted == 1 and summary.skipped_count == 3, reasons
    assert "unsafe member name" in reasons["PyPI-all.zip:../evil.json"] and "unsafe member name" in reasons["PyPI-all.zip:/abs.json"]
    assert "decompression bomb" in reasons["PyPI-all.zip:bomb.json"]
    (tmp_path / "not.zip").write_bytes(b"PK\x03\x04 truncated")
    assert "not a readable zip" in import_path(store, tmp_path / "not.zip").skipped[0].reason


def test_an_oversized_member_is_refused_by_what_it_inflates_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "MAX_MEMBER_BYTES", 1024)
    archive = _zip(tmp_path / "a.zip", {"big.json": json.dumps({"id": "X", "pad": "y" * 5000}).encode()}, zipfile.ZIP_STORED)
    items = list(sources.read_records(archive))
    assert len(items) == 1 and isinstance(items[0], sources.Skipped) and "inflates beyond" in items[0].reason


def test_a_failed_batch_writes_nothing(store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from coe_framework.vulns import importer

    def fail(*_args: Any, **_kwargs: Any) -> list:
        raise RuntimeError("disk full")

    monkeypatch.setattr(importer, "_package_rows", fail)
    with pytest.raises(RuntimeError):
        import_path(store, write(tmp_path / "osv", fixed_below("PYSEC-F", "PyPI", "f", "1.0")))
    with unit_of_work(store.engine) as session:
        assert session.scalar(select(func.count(Vulnerability.id))) == 0
