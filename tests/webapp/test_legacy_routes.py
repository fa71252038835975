"""Contract tests of the original services' routes: exact request and response shapes, error forms included.

Every response also passes the OpenAPI check of the test client, so the
document describes exactly what is answered.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
GRAPH = {
    "nodes": [{"id": "n1", "type": "genericNode", "position": {"x": 10, "y": 20}, "data": {"type": "ChatInput"}, "width": 384}],
    "edges": [{"id": "e1", "source": "n1", "target": "n2", "sourceHandle": "out"}],
    "viewport": {"x": 0, "y": 0, "zoom": 1},
}
EXPORT = {"name": "Support bot", "id": "7d0c5d3e-5bb9-4b8e-9a55-0d6c3d2b7f10", "description": "from LangFlow", "data": GRAPH, "is_component": False}
SAVE = {"name": "support-bot", "flow_data": EXPORT, "description": "answers tickets"}
FILES_A = {
    "app.py": "class Service:\n    def route(self, x):\n        # dispatch\n        if x:\n            return 1\n        return 0\n",
    "requirements.txt": "flask==3.0.0\nrequests==2.31.0\n",
    "README.md": "# Service A\n",
    "Dockerfile": "FROM python:3.12-slim\n",
}
FILES_B = {"lib.py": "def add(a, b):\n    return a + b\n", "requirements.txt": "requests==2.32.0\n", "README.md": "# Library B\n"}


def _validation(response: Any, loc: list[Any]) -> dict[str, Any]:
    """The original 422: ``detail`` lists ``{loc, msg, type}``; returns the entry at ``loc``."""
    assert response.status_code == 422 and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"detail"} and isinstance(body["detail"], list)
    assert all(set(entry) == {"loc", "msg", "type"} for entry in body["detail"])
    matching = [entry for entry in body["detail"] if entry["loc"] == loc]
    assert matching, f"no error at {loc}: {body['detail']}"
    return matching[0]


def _detail(response: Any, status: int) -> Any:
    assert response.status_code == status and response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"detail"}
    return body["detail"]


# --- flows, original form ---------------------------------------------------------------


def test_post_flows_save(web: Any) -> None:
    client = web.as_("write")
    saved = client.post("/flows/save", json=SAVE)
    assert saved.status_code == 200
    body = saved.get_json()
    assert set(body) == {"message", "id", "filename", "created_at"}
    assert isinstance(body["id"], int) and body["filename"] == "support-bot.json" and ISO.match(body["created_at"])
    mirrored = json.loads((web.flows_dir / "support-bot.json").read_text())
    assert mirrored["data"] == GRAPH and mirrored["id"] == EXPORT["id"]
    # The same row through the native API: the graph is the flow's data, LangFlow's id its id.
    native = web.as_("read").get("/api/v1/flows/support-bot").get_json()
    assert native["id"] == EXPORT["id"] and native["data"] == GRAPH and native["description"] == "answers tickets"

    assert "already exists" in _detail(client.post("/flows/save", json=SAVE), 400)
    _validation(client.post("/flows/save", json={"name": "x"}), ["body", "flow_data"])
    assert _validation(client.post("/flows/save", json={**SAVE, "flow_data": {**EXPORT, "data": {"nodes": [{}], "edges": []}}}),
                       ["body", "flow_data", "data", "nodes", 0, "id"])["type"] == "missing"
    _validation(client.post("/flows/save", json={**SAVE, "name": "../escape"}), ["body", "name"])
    assert _validation(client.post("/flows/save", data="{not json", content_type="application/json"), ["body", 1])["type"] == "json_invalid"
    assert _validation(client.post("/flows/save", data="", content_type="application/json"), ["body"])["type"] == "missing"
    assert web.as_("read").get("/api/v1/flows").get_json()["items"][0]["name"] == "support-bot"  # nothing half-written
    assert len(web.as_("read").get("/api/v1/flows").get_json()["items"]) == 1


def test_get_flows_list(web: Any) -> None:
    web.as_("write").post("/flows/save", json=SAVE)
    web.as_("write").post("/api/v1/flows", json={"name": "native", "data": {"nodes": []}})
    listed = web.as_("read").get("/flows/list")
    assert listed.status_code == 200
    flows = listed.get_json()["flows"]
    assert [f["name"] for f in flows] == ["support-bot", "native"]
    assert all(set(f) == {"name", "id", "description", "filename", "created_at", "updated_at"} for f in flows)
    assert flows[0]["filename"] == "support-bot.json" and flows[0]["description"] == "answers tickets"


def test_get_flow_by_name_or_number(web: Any) -> None:
    flow_id = web.as_("write").post("/flows/save", json=SAVE).get_json()["id"]
    by_name = web.as_("read").get("/flows/support-bot")
    assert by_name.status_code == 200
    document = by_name.get_json()
    assert {k: document[k] for k in ("name", "data", "is_component", "saved_name", "description", "is_active")} == {
        "name": "support-bot", "data": GRAPH, "is_component": False, "saved_name": "support-bot",
        "description": "answers tickets", "is_active": True,
    }
    assert document["id"] == flow_id and ISO.match(document["created_at"]) and ISO.match(document["updated_at"])
    assert web.as_("read").get(f"/flows/{flow_id}").get_json() == document
    assert _detail(web.as_("read").get("/flows/no-such-flow"), 404) == "Flow 'no-such-flow' not found"


def test_delete_flow_soft_and_the_name_is_free_again(web: Any) -> None:
    first = web.as_("write").post("/flows/save", json=SAVE).get_json()
    deleted = web.as_("write").delete("/flows/support-bot")
    assert deleted.status_code == 200
    body = deleted.get_json()
    assert body["message"] == "Flow 'support-bot' deleted successfully" and body["is_active"] is False and body["id"] == first["id"]
    assert not (web.flows_dir / "support-bot.json").exists()
    assert web.as_("read").get("/flows/list").get_json() == {"flows": []}
    _detail(web.as_("read").get(f"/flows/{first['id']}"), 404)
    again = web.as_("write").post("/flows/save", json=SAVE)
    assert again.status_code == 200 and again.get_json()["id"] != first["id"]
    _detail(web.as_("write").delete("/flows/no-such-flow"), 404)


# --- flows, upsert form ------------------------------------------------------------------


UPSERT = {"endpoint": "helpdesk", "description": "routes tickets", "flow_body": EXPORT, "flow_id": "flow-42", "context": "support"}
FLOW_READ_KEYS = {"id", "endpoint", "description", "flow_body", "flow_id", "context", "is_active", "created_at", "updated_at"}


def test_post_flows_creates_then_updates_by_flow_id(web: Any) -> None:
    created = web.as_("write").post("/flows", json=UPSERT)
    assert created.status_code == 201
    body = created.get_json()
    assert set(body) == FLOW_READ_KEYS
    assert (body["endpoint"], body["flow_id"], body["context"], body["flow_body"]["data"]) == ("helpdesk", "flow-42", "support", GRAPH)
    updated = web.as_("write").post("/flows", json={**UPSERT, "endpoint": "helpdesk-2", "context": None, "description": "v2"})
    assert updated.status_code == 201
    again = updated.get_json()
    assert again["id"] == body["id"] and again["endpoint"] == "helpdesk-2" and again["context"] is None and again["description"] == "v2"
    assert not (web.flows_dir / "helpdesk.json").exists() and (web.flows_dir / "helpdesk-2.json").exists()
    web.as_("write").post("/flows/save", json=SAVE)
    assert "already registered" in _detail(web.as_("write").post("/flows", json={**UPSERT, "endpoint": "support-bot"}), 400)
    _validation(web.as_("write").post("/flows", json={"endpoint": "x"}), ["body", "flow_body"])
    _validation(web.as_("write").post("/flows", json={**UPSERT, "flow_id": "x" * 65}), ["body", "flow_id"])


def test_get_flows_and_delete_by_flow_id(web: Any) -> None:
    web.as_("write").post("/flows", json=UPSERT)
    listed = web.as_("read").get("/flows")
    assert listed.status_code == 200
    flows = listed.get_json()
    assert isinstance(flows, list) and [set(f) for f in flows] == [FLOW_READ_KEYS]
    deleted = web.as_("write").delete("/flows/flow-42")
    assert deleted.status_code == 200 and deleted.get_json()["flow_id"] == "flow-42"
    assert web.as_("read").get("/flows").get_json() == []
    # Saved again under its flow_id, the same flow comes back.
    assert web.as_("write").post("/flows", json=UPSERT).get_json()["id"] == flows[0]["id"]


# --- analysis ------------------------------------------------------------------------------


@pytest.fixture
def inline_jobs(web: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    """Analyses submitted during the test run at once, through the inline executor."""
    from coe_framework import jobs

    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    monkeypatch.setenv("COE_EXECUTOR", "inline")
    jobs.shutdown()
    web.coe.submit = jobs.submit
    yield web
    jobs.shutdown()


def test_post_analyze(web: Any, make_repo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    repo = make_repo("service-a", files=FILES_A)
    client = web.as_("write")
    started = client.post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path)}], "include_ast": False})
    assert started.status_code == 200
    body = started.get_json()
    assert set(body) == {"analysis_id", "status", "message"} and body["status"] == "started"
    assert re.match(r"^[0-9a-f-]{36}$", body["analysis_id"])
    # The native API sees the same request: the flags chose the analyzers, the branch is the ref.
    native = web.as_("read").get(f"/api/v1/analyses/{web.jobs.submitted[-1]}").get_json()
    assert native["analyzers"] == ["git", "techspec"] and native["repositories"][0]["ref"] == "main"

    chosen = client.post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path), "branch": "main", "name": "svc"}],
                                                 "analysis_id": "nightly-2024-01", "group_name": "team"})
    assert chosen.get_json()["analysis_id"] == "nightly-2024-01"
    assert "already exists" in _detail(client.post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path)}], "analysis_id": "nightly-2024-01"}), 400)
    _validation(client.post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path)}], "analysis_id": "12345"}), ["body", "analysis_id"])
    _validation(client.post("/api/v1/analyze", json={"repositories": []}), ["body", "repositories"])
    _validation(client.post("/api/v1/analyze", json={"repositories": [{"url": "file:///etc"}]}), ["body", "repositories", 0, "url"])
    _validation(client.post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path), "branch": "no-such-branch"}]}),
                ["body", "repositories", 0, "url"])
    assert len(web.jobs.submitted) == 2  # refused submissions queued nothing


def test_get_result_is_measured(inline_jobs: Any, make_repo: Any) -> None:
    web = inline_jobs
    a, b = make_repo("service-a", files=FILES_A), make_repo("library-b", files=FILES_B)
    started = web.as_("write").post("/api/v1/analyze", json={"repositories": [{"url": str(a.path)}, {"url": str(b.path)}], "analysis_id": "run-1"})
    assert started.status_code == 200
    response = web.as_("read").get("/api/v1/results/run-1")
    assert response.status_code == 200
    document = response.get_json()
    assert set(document) == {"analysis_id", "status", "created_at", "completed_at", "repositories", "correlation_analysis", "error_message"}
    assert document["analysis_id"] == "run-1" and document["status"] == "completed" and document["error_message"] is None
    native_id = web.as_("read").get("/api/v1/analyses").get_json()["items"][0]["id"]
    native = {(r["repository"]["name"], r["analyzer"]): r["data"] for r in web.as_("read").get(f"/api/v1/analyses/{native_id}/results").get_json()["results"]}
    repos = {r["repository"]["name"]: r for r in document["repositories"]}
    service = repos["service-a"]
    assert set(service) == {"repository", "clone_path", "files", "ast_analysis", "tech_specs", "code_metrics", "documentation_files", "config_files", "commit_info"}
    assert service["repository"] == {"url": str(a.path.resolve()), "branch": "main", "name": "service-a"} and service["clone_path"] is None
    ast = native[("service-a", "ast")]["files"]
    assert {f["path"]: f["lines_of_code"] for f in service["files"]} == {p: info["loc"] for p, info in ast.items()}
    assert {"path": "app.py", "size": len(FILES_A["app.py"]), "language": "python", "lines_of_code": 6} in service["files"]
    (klass,) = service["ast_analysis"]["app.py"]
    assert (klass["type"], klass["name"], klass["line_start"], klass["line_end"]) == ("class", "Service", 1, 6)
    assert [(c["type"], c["name"]) for c in klass["children"]] == [("method", "route")] and klass["children"][0]["metadata"]["complexity"] == 2
    python = next(spec for spec in service["tech_specs"] if spec["package_manager"] == "pypi")
    assert python["language"] == "Python" and python["dependencies"] == ["flask", "requests"] and python["framework"] == "Flask"
    metrics = service["code_metrics"]
    assert metrics["lines_of_code"] == sum(info["loc"] for info in ast.values()) and metrics["cyclomatic_complexity"] == 2.0
    assert metrics["comment_ratio"] == round(1 / 6, 4) and metrics["maintainability_index"] == round(ast["app.py"]["maintainability"], 4)
    assert service["documentation_files"] == ["README.md"] and service["config_files"] == ["Dockerfile", "requirements.txt"]
    commit = service["commit_info"]
    assert commit["commit_hash"] == a.head and commit["branch"] == "main" and commit["author"] and commit["message"]
    correlation = document["correlation_analysis"]
    assert correlation["common_dependencies"] == ["requests"] and "Python" in correlation["shared_technologies"]
    assert correlation["similar_patterns"] == [] and list(correlation["architecture_similarity"]) in (["service-a vs library-b"], ["library-b vs service-a"])
    # Finished documents are immutable: a strong ETag, 304 on revalidation; the numeric id names the same analysis.
    assert web.as_("read").get("/api/v1/results/run-1", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert web.as_("read").get(f"/api/v1/results/{native_id}").get_json() == document


def test_get_result_missing(web: Any, seed: Any) -> None:
    seed()
    detail = _detail(web.as_("read").get("/api/v1/results/no-such-run"), 404)
    assert detail == {
        "message": "Analysis 'no-such-run' not found", "analysis_id": "no-such-run", "available_analysis_ids": [str(detail["available_analysis_ids"][0])],
        "total_available": 1, "suggestions": detail["suggestions"],
    }
    assert detail["suggestions"] and all(isinstance(s, str) for s in detail["suggestions"])
    for _ in range(6):
        seed()
    detail = _detail(web.as_("read").get("/api/v1/results/999999"), 404)
    assert len(detail["available_analysis_ids"]) == 5 and detail["total_available"] == 7


def test_get_results_list(web: Any, seed: Any) -> None:
    ids = [seed("succeeded"), seed("running"), seed("failed")]
    listed = web.as_("read").get("/api/v1/results")
    assert listed.status_code == 200
    rows = listed.get_json()
    assert [r["analysis_id"] for r in rows] == [str(i) for i in reversed(ids)]
    assert [r["status"] for r in rows] == ["failed", "running", "completed"]
    assert all(set(r) == {"analysis_id", "status", "created_at", "completed_at", "repository_count", "source"} for r in rows)
    assert {r["source"] for r in rows} == {"database"} and {r["repository_count"] for r in rows} == {1}
    assert rows[1]["completed_at"] is None and ISO.match(rows[0]["completed_at"])
    assert [r["analysis_id"] for r in web.as_("read").get("/api/v1/results?limit=1&offset=1").get_json()] == [str(ids[1])]
    _validation(web.as_("read").get("/api/v1/results?limit=0"), ["query", "limit"])
    _validation(web.as_("read").get("/api/v1/results?offset=minus"), ["query", "offset"])


def test_get_stats(web: Any, seed: Any) -> None:
    from coe_framework.db.engine import unit_of_work
    from coe_framework.outputs.rag.storage import replace_documents

    analysis = web.as_("read").get(f"/api/v1/analyses/{seed()}").get_json()
    with unit_of_work(web.engine) as session:
        replace_documents(session, analysis["repository_analyses"][0]["id"], [
            {"id": f"doc-{n}", "kind": "overview", "text": f"document {n}", "metadata": {}} for n in range(3)
        ])
    stats = web.as_("read").get("/api/v1/stats")
    assert stats.status_code == 200 and stats.get_json() == {"total_documents": 3, "persist_directory": None}


def test_post_search_in_both_forms(inline_jobs: Any, make_repo: Any) -> None:
    web = inline_jobs
    repo = make_repo("service-a", files={**FILES_A, "retry.py": "def retryWithBackoff(call, attempts):\n    return call()\n"})
    assert web.as_("write").post("/api/v1/analyze", json={"repositories": [{"url": str(repo.path)}], "analysis_id": "run-s"}).status_code == 200
    client = web.as_("read")
    native = client.post("/api/v1/rag-documents/search", json={"query": "retry with backoff", "k": 3}).get_json()["items"]
    assert native, "the native search finds the document"
    by_body = client.post("/api/v1/search", json={"query": "retry with backoff", "k": 3})
    assert by_body.status_code == 200
    hits = by_body.get_json()
    assert all(set(hit) == {"content", "metadata", "score"} for hit in hits)
    assert [(h["content"], h["score"]) for h in hits] == [(n["text"], n["score"]) for n in native]
    by_query = client.post("/api/v1/search?query=retry%20with%20backoff&k=3")
    assert by_query.status_code == 200 and by_query.get_json() == hits
    filtered = client.post("/api/v1/search", json={"query": "retry", "filter_metadata": {"analysis_id": "run-s", "language": "python"}})
    assert filtered.status_code == 200 and filtered.get_json()
    assert all(hit["metadata"].get("language") == "python" for hit in filtered.get_json())
    _validation(client.post("/api/v1/search", json={"query": ""}), ["body", "query"])
    _validation(client.post("/api/v1/search", json={"query": "x", "k": 0}), ["body", "k"])
    _validation(client.post("/api/v1/search", json={"query": "x", "filter_metadata": {"colour": "red"}}), ["body", "filter_metadata", "colour"])
    _validation(client.post("/api/v1/search", json={"query": "x", "filter_metadata": {"analysis_id": "nope"}}), ["body", "filter_metadata", "analysis_id"])
    _validation(client.post("/api/v1/search?query=x&filter_metadata={", data=b""), ["query", "filter_metadata"])
    _validation(client.post("/api/v1/search", data=b"{no", content_type="application/json"), ["body", 1])
    assert client.post("/api/v1/search", json={"query": "\"NEAR* -- ; DROP TABLE"}).status_code in (200, 422)


def test_get_health_keeps_coe_shape(web: Any) -> None:
    health = web.client.get("/health").get_json()
    assert health["status"] == "ok" and health["service"] == "coe" and ISO.match(health["timestamp"])


# --- authentication and the switch --------------------------------------------------------


def test_the_original_routes_need_a_token(web: Any) -> None:
    for method, path in (("GET", "/flows/list"), ("POST", "/flows/save"), ("GET", "/api/v1/results"), ("GET", "/api/v1/stats")):
        refused = web.client.open(method, path, json={} if method == "POST" else None)
        assert refused.status_code == 401 and refused.mimetype == "application/problem+json"
    assert web.as_("read").post("/flows/save", json=SAVE).status_code == 403


def test_loopback_without_token_when_allowed(web_database_url: str, tmp_path: Path) -> None:
    from tests.webapp.conftest import build_web

    allowed = build_web(web_database_url, tmp_path, legacy_loopback_without_token=True)
    try:
        assert allowed.client.get("/flows/list").status_code == 200
        assert allowed.client.get("/api/v1/analyses").status_code == 401  # the native API still asks for a token
        remote = allowed.client.client.get("/flows/list", environ_base={"REMOTE_ADDR": "203.0.113.9"})
        assert remote.status_code == 401
    finally:
        allowed.coe.shutdown()


def test_the_routes_can_be_turned_off(sqlite_web: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.webapp.conftest import build_web

    monkeypatch.setenv("COE_LEGACY_ROUTES", "off")
    off = build_web(sqlite_web.app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "off")
    try:
        raw = off.client.client
        token = {"Authorization": f"Bearer {off.tokens['admin']}"}
        assert raw.get("/flows/list", headers=token).status_code == 404
        assert raw.get("/api/v1/results", headers=token).status_code == 404
        assert "/flows/list" not in raw.get("/openapi.json").get_json()["paths"]
    finally:
        off.coe.shutdown()


def test_a_string_id_follows_its_analysis_after_a_delete(inline_jobs: Any, make_repo: Any) -> None:
    web = inline_jobs
    repo = make_repo("service-a", files=FILES_A)
    submit = {"repositories": [{"url": str(repo.path)}], "analysis_id": "weekly", "include_ast": False, "include_tech_spec": False}
    assert web.as_("write").post("/api/v1/analyze", json=submit).status_code == 200
    first = web.as_("read").get("/api/v1/results/weekly").get_json()
    old_id = web.as_("read").get("/api/v1/analyses").get_json()["items"][0]["id"]
    assert web.as_("write").delete(f"/api/v1/analyses/{old_id}").status_code == 204
    _detail(web.as_("read").get("/api/v1/results/weekly"), 404)
    # The id is free again and names the new analysis at once, in this process too.
    assert web.as_("write").post("/api/v1/analyze", json=submit).status_code == 200
    second = web.as_("read").get("/api/v1/results/weekly").get_json()
    assert second["analysis_id"] == "weekly" and second["status"] == "completed" and first["status"] == "completed"
    assert web.as_("read").get("/api/v1/analyses").get_json()["items"][0]["id"] != old_id
    assert second["repositories"][0]["files"] == [] and second["repositories"][0]["commit_info"]["commit_hash"] == repo.head
