"""Known vulnerabilities end to end: analyse real repositories, import OSV records, and read the
same hits from the CLI, the API, the CycloneDX SBOM, SARIF and the report (SQLite and PostgreSQL)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from coe_framework.cli.main import cli
from tests.rag.test_exports import _validator as sarif_validator
from tests.vulns.osvdata import CVSS_CRITICAL, CVSS_HIGH, CVSS_MEDIUM, fixed_below, record, write

SERVICE = {
    "requirements.txt": "requests==2.19.0\nDjango>=3.0\nclick==8.1.7\n",
    "package.json": json.dumps({"name": "svc", "dependencies": {"lodash": "4.17.20", "express": "^4.0.0"}}),
}
LIBRARY = {"requirements.txt": "requests==2.31.0\n"}
EXPECTED = [
    ("service", "Django", "PYSEC-DJ", "may_resolve_to_affected"),
    ("service", "lodash", "GHSA-LO", "affected"),
    ("service", "requests", "PYSEC-RQ", "affected"),
]


@pytest.fixture
def analysed(web: Any, make_repo: Any, monkeypatch: Any, tmp_path: Path) -> int:
    from coe_framework import jobs

    service, library = make_repo("service", files=SERVICE), make_repo("library", files=LIBRARY)
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    monkeypatch.setenv("COE_EXECUTOR", "inline")
    jobs.shutdown()
    web.coe.submit = jobs.submit
    try:
        body = {"repositories": [{"path": str(service.path)}, {"path": str(library.path)}], "analyzers": ["techspec"]}
        response = web.as_("write").post("/api/v1/analyses", json=body)
        assert response.status_code == 202
    finally:
        jobs.shutdown()
    return response.get_json()["id"]


def _osv(tmp_path: Path) -> Path:
    return write(
        tmp_path / "osv",
        fixed_below("PYSEC-RQ", "PyPI", "requests", "2.20.0", aliases=["CVE-2018-18074"], severity=CVSS_HIGH, summary="Auth header leak"),
        fixed_below("PYSEC-DJ", "PyPI", "django", "3.2.1", severity=CVSS_MEDIUM),
        record("GHSA-LO", "npm", "lodash", kind="SEMVER", events=[{"introduced": "0"}, {"fixed": "4.17.21"}], severity=CVSS_CRITICAL),
        fixed_below("PYSEC-CL", "PyPI", "click", "8.0.0"),  # 8.1.7 is fixed: no hit
        record("GHSA-EX", "npm", "express", kind="SEMVER", events=[{"introduced": "5.0.0"}, {"fixed": "5.0.1"}]),  # outside ^4
    )


def _cli(web: Any, *args: str) -> Any:
    url = web.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(cli, list(args), env={"COE_DATABASE_URL": url}, catch_exceptions=False)


def test_every_surface_lists_exactly_the_expected_hits(web: Any, analysed: int, tmp_path: Path) -> None:
    imported = _cli(web, "vulns", "import", str(_osv(tmp_path)))
    assert imported.exit_code == 0, imported.output
    assert "5 new" in imported.output and "2 affected, 1 may resolve" in imported.output

    cli_hits = json.loads(_cli(web, "vulns", "affected", "--json").output)
    assert sorted((h["repository"]["name"], h["dependency"]["name"], h["vulnerability"]["id"], h["status"]) for h in cli_hits) == EXPECTED
    text = _cli(web, "vulns", "affected", "requests").output
    assert "requests 2.19.0" in text and "PYSEC-RQ (CVE-2018-18074)" in text and "fixed in 2.20.0" in text and "library" not in text
    loaded = _cli(web, "vulns", "status").output
    assert loaded.startswith("5 advisories (0 withdrawn)") and "hits: 2 affected dependencies, 1 may resolve" in loaded

    client = web.as_("read")
    page = client.get("/api/v1/vulnerabilities", query_string={"limit": 2})
    assert page.status_code == 200 and len(page.get_json()["items"]) == 2 and 'rel="next"' in page.headers["Link"]
    rest = client.get("/api/v1/vulnerabilities", query_string={"limit": 2, "cursor": page.get_json()["next_cursor"]}).get_json()
    api_hits = page.get_json()["items"] + rest["items"]
    assert sorted((h["repository"]["name"], h["dependency"]["name"], h["vulnerability"]["id"], h["status"]) for h in api_hits) == EXPECTED
    high = client.get("/api/v1/vulnerabilities", query_string={"severity": "high"}).get_json()["items"]
    assert sorted(h["vulnerability"]["id"] for h in high) == ["GHSA-LO", "PYSEC-RQ"]
    only = client.get("/api/v1/vulnerabilities", query_string={"package": "Requests", "ecosystem": "pypi"}).get_json()["items"]
    assert [(h["dependency"]["version"], h["fixed_version"], h["vulnerability"]["cvss_score"]) for h in only] == [("2.19.0", "2.20.0", 7.5)]
    assert client.get("/api/v1/vulnerabilities", query_string={"status": "may_resolve_to_affected"}).get_json()["items"][0]["dependency"]["name"] == "Django"
    assert client.get("/api/v1/vulnerabilities/status").get_json()["hits"] == {"affected": 2, "may_resolve_to_affected": 1}

    base = f"/api/v1/analyses/{analysed}"
    service_id = next(r["repository"]["id"] for r in client.get(base).get_json()["repository_analyses"] if r["repository"]["name"] == "service")
    sbom = client.get(f"{base}/sbom", query_string={"repository": service_id}).get_json()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(sbom)) is None
    in_sbom = {v["id"]: v for v in sbom["vulnerabilities"]}
    assert sorted(in_sbom) == ["GHSA-LO", "PYSEC-DJ", "PYSEC-RQ"]
    assert in_sbom["PYSEC-RQ"]["affects"] == [{"ref": "pkg:pypi/requests@2.19.0", "versions": [{"version": "2.19.0", "status": "affected"}]}]
    assert in_sbom["PYSEC-RQ"]["ratings"][0]["severity"] == "high" and in_sbom["PYSEC-RQ"]["references"][0]["id"] == "CVE-2018-18074"
    refs = {c["bom-ref"] for c in sbom["components"]}
    assert all(a["ref"] in refs for v in sbom["vulnerabilities"] for a in v["affects"])

    sarif = client.get(f"{base}/sarif").get_json()
    sarif_validator().validate(sarif)
    found = sorted((run["automationDetails"]["id"].split("/")[2], r["ruleId"], r["level"]) for run in sarif["runs"] for r in run["results"] if r["ruleId"] != "COE1001")
    assert found == [("service", "GHSA-LO", "error"), ("service", "PYSEC-DJ", "note"), ("service", "PYSEC-RQ", "error")]
    report = client.get(f"{base}/report").get_data(as_text=True)
    assert "### Known vulnerabilities" in report and "| pypi | requests | 2.19.0 | PYSEC-RQ | CVE-2018-18074 | high | 2.20.0 | affected |" in report


def test_a_new_analysis_is_matched_when_stored(web: Any, analysed: int, make_repo: Any, tmp_path: Path) -> None:
    """Advisories imported first; the next analysis finds its hits without any import."""
    _cli(web, "vulns", "import", str(_osv(tmp_path)))
    from coe_framework.analysis.service import analyze_repositories

    fixed = make_repo("fixed", files={"requirements.txt": "requests==2.19.0\n"})
    analyze_repositories(web.coe.manager, [str(fixed.path)], analyzers=["techspec"], workers=1, store=web.coe.store)
    names = {h["repository"]["name"] for h in web.as_("read").get("/api/v1/vulnerabilities", query_string={"package": "requests"}).get_json()["items"]}
    assert names == {"service", "fixed"}


@pytest.mark.parametrize("query", [{"severity": "severe"}, {"ecosystem": "cobol"}, {"status": "maybe"}, {"cursor": "garbage"}, {"limit": 0}])
def test_bad_queries_are_problems(web: Any, query: dict[str, Any]) -> None:
    response = web.as_("read").get("/api/v1/vulnerabilities", query_string=query)
    assert response.status_code in (400, 422) and response.mimetype == "application/problem+json"


def test_cli_bad_input_is_one_line(web: Any, tmp_path: Path) -> None:
    missing = _cli(web, "vulns", "import", str(tmp_path / "nope"))
    assert missing.exit_code == 2 and "does not exist" in missing.output
    bad = _cli(web, "vulns", "affected", "--severity", "severe")
    assert bad.exit_code == 2


def test_the_dashboard_shows_the_hits_of_a_repository_live(web: Any, analysed: int, tmp_path: Path) -> None:
    from .test_dashboard import _signed_in

    client = web.as_("read")
    repositories = {r["repository"]["name"]: r["repository"]["id"]
                    for r in client.get(f"/api/v1/analyses/{analysed}").get_json()["repository_analyses"]}
    dashboard = _signed_in(web)
    before = dashboard.get(f"/dashboard/data/repositories/{repositories['service']}/vulnerabilities").get_json()
    assert before["rows"] == [] and "no advisory is loaded" in before["missing"]
    assert _cli(web, "vulns", "import", str(_osv(tmp_path))).exit_code == 0  # no new analysis: the panel follows the import
    shown = dashboard.get(f"/dashboard/data/repositories/{repositories['service']}/vulnerabilities").get_json()
    assert "missing" not in shown and shown["total"] == 3
    assert sorted((r["package"], r["advisory"].split()[0], r["status"]) for r in shown["rows"]) == [
        ("Django", "PYSEC-DJ", "may resolve to an affected version"), ("lodash", "GHSA-LO", "affected"), ("requests", "PYSEC-RQ", "affected")]
    requests_row = next(r for r in shown["rows"] if r["package"] == "requests")
    assert requests_row == {"package": "requests", "ecosystem": "pypi", "version": "2.19.0", "advisory": "PYSEC-RQ (CVE-2018-18074)",
                            "severity": "high", "cvss": 7.5, "status": "affected", "fixed": "2.20.0", "manifest": "requirements.txt"}
    assert dashboard.get(f"/dashboard/data/repositories/{repositories['library']}/vulnerabilities").get_json()["rows"] == []
    page = dashboard.get(f"/dashboard/repositories/{repositories['service']}").get_data(as_text=True)
    assert "Known vulnerabilities" in page and "chart-vulnerabilities" in page
