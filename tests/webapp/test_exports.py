"""Exports of an analysis over HTTP: RAG documents, correlations, SARIF, SBOM and the Markdown report."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FILES_A = {
    "app.py": "def route(x):\n" + "".join(f"    if x == {n}:\n        return {n}\n" for n in range(14)) + "    return -1\n",
    "requirements.txt": "flask==3.0.0\nrequests==2.31.0\n",
    "README.md": "# Service A\n\nServes things.\n",
}
FILES_B = {"lib.py": "def add(a, b):\n    return a + b\n", "requirements.txt": "requests==2.32.0\n", "README.md": "# Library B\n"}


@pytest.fixture
def analyzed(web: Any, make_repo: Any, monkeypatch: Any, tmp_path: Path) -> int:
    """A real two-repository analysis run through the inline executor."""
    from coe_framework import jobs

    a = make_repo("service-a", files=FILES_A)
    b = make_repo("library-b", files=FILES_B)
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    monkeypatch.setenv("COE_EXECUTOR", "inline")
    jobs.shutdown()
    web.coe.submit = jobs.submit
    try:
        body = {"repositories": [{"path": str(a.path)}, {"path": str(b.path)}], "analyzers": ["git", "ast", "techspec"]}
        response = web.as_("write").post("/api/v1/analyses", json=body)
        assert response.status_code == 202
        analysis_id = response.get_json()["id"]
    finally:
        jobs.shutdown()
    assert web.as_("read").get(f"/api/v1/analyses/{analysis_id}").get_json()["status"] in ("succeeded", "partial")
    # Documents and correlations are built as `coe rag build` does.
    from coe_framework.outputs.insights import store_insights

    store_insights(web.coe.store, analysis_id, web.coe.manager)
    return analysis_id


def test_exports_of_a_real_analysis(web: Any, analyzed: int) -> None:
    client = web.as_("read")
    base = f"/api/v1/analyses/{analyzed}"
    documents = client.get(f"{base}/rag-documents?limit=5")
    assert documents.status_code == 200 and documents.get_json()["items"]
    kinds = {d["kind"] for d in documents.get_json()["items"]}
    kind = sorted(kinds)[0]
    assert {d["kind"] for d in client.get(f"{base}/rag-documents", query_string={"kind": kind}).get_json()["items"]} == {kind}
    pairs = client.get(f"{base}/correlations").get_json()["items"]
    assert len(pairs) == 1 and any(d.get("name") == "requests" or "requests" in str(d) for d in pairs[0]["shared_dependencies"])
    assert {pairs[0]["repository_a"]["name"], pairs[0]["repository_b"]["name"]} == {r["repository"]["name"] for r in client.get(base).get_json()["repository_analyses"]}
    sarif = client.get(f"{base}/sarif?threshold=5")
    assert sarif.status_code == 200 and sarif.mimetype == "application/sarif+json"
    assert sarif.get_json()["version"] == "2.1.0"
    assert any(run["results"] for run in sarif.get_json()["runs"])
    assert client.get(f"{base}/sarif?threshold=5", headers={"If-None-Match": sarif.headers["ETag"]}).status_code == 304
    assert client.get(f"{base}/sbom").status_code == 409  # two repositories: name one
    repo_id = client.get(base).get_json()["repository_analyses"][0]["repository"]["id"]
    sbom = client.get(f"{base}/sbom?repository={repo_id}")
    assert sbom.status_code == 200 and sbom.mimetype == "application/vnd.cyclonedx+json"
    assert sbom.get_json()["bomFormat"] == "CycloneDX"
    report = client.get(f"{base}/report")
    assert report.status_code == 200 and report.mimetype == "text/markdown" and "# " in report.get_data(as_text=True)


@pytest.mark.parametrize("path", ["rag-documents", "correlations", "sarif", "sbom", "report"])
def test_exports_of_a_missing_analysis_are_404(web: Any, path: str) -> None:
    assert web.as_("read").get(f"/api/v1/analyses/999999/{path}").status_code == 404
    assert web.as_(None).get(f"/api/v1/analyses/999999/{path}").status_code == 401


def test_export_queries_are_validated(web: Any, seed: Any) -> None:
    analysis_id = seed("succeeded")
    client = web.as_("read")
    assert client.get(f"/api/v1/analyses/{analysis_id}/sarif?threshold=-1").status_code == 422
    assert client.get(f"/api/v1/analyses/{analysis_id}/rag-documents?cursor=zzz").status_code == 422
    assert client.get(f"/api/v1/analyses/{analysis_id}/sbom").status_code == 404  # no techspec result
    assert client.get(f"/api/v1/analyses/{analysis_id}/sbom?repository=999999").status_code == 404
