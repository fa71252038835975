"""``/api/v1/analyses``: submission, validation of hostile sources, listing, results, events, cancel, delete."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import update

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisRequest, AnalysisResult

PUBLIC = "https://93.184.216.34/team/app.git"  # a public IP literal: valid without DNS


def submit(client: Any, body: dict[str, Any], **kwargs: Any) -> Any:
    return client.post("/api/v1/analyses", json=body, **kwargs)


def test_submit_queues_and_hands_to_executor(web: Any) -> None:
    response = submit(web.as_("write"), {"repositories": [{"url": PUBLIC, "ref": "main"}], "analyzers": ["git"]})
    assert response.status_code == 202
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/analyses/{body['id']}"
    assert body["status"] == "queued" and body["repositories"] == [{"url": PUBLIC, "name": "app", "ref": "main"}]
    assert web.jobs.submitted == [body["id"]]


def test_submit_strips_credentials_from_urls(web: Any) -> None:
    response = submit(web.as_("write"), {"repositories": [{"url": "https://user:secret@93.184.216.34/x.git"}]})
    assert response.status_code == 202
    assert "secret" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "source, reason",
    [
        ("http://93.184.216.34/x.git", "scheme 'http' is not allowed"),
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ext::sh -c touch% /tmp/pwned", "remote helper"),
        ("-uhack", "looks like a command-line option"),
        ("https://127.0.0.1/x.git", "loopback"),
        ("https://10.1.2.3/x.git", "private address"),
        ("https://169.254.169.254/latest", "link-local"),
        ("git@93.184.216.34:x/y.git", "ssh repository URLs are not enabled"),
        ("/etc", "local paths are not allowed"),
    ],
)
def test_hostile_sources_are_refused_before_queuing(sqlite_web: Any, source: str, reason: str) -> None:
    response = submit(sqlite_web.as_("write"), {"repositories": [{"url": source}]})
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["errors"][0]["field"] == "repositories.0.url"
    assert reason in problem["errors"][0]["message"]
    assert sqlite_web.jobs.submitted == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "repositories"),
        ({"repositories": []}, "repositories"),
        ({"repositories": [{"url": PUBLIC}], "extra": 1}, "extra"),
        ({"repositories": [{"url": PUBLIC, "path": "/tmp"}]}, "repositories.0"),
        ({"repositories": [{"url": PUBLIC}], "analyzers": ["nope"]}, "analyzers.0"),
        ({"repositories": [{"url": PUBLIC}], "options": {"nope": {}}}, "options.nope"),
        ({"repositories": [{"url": PUBLIC}], "options": {"git": {"no_such_option": 1}}}, "options.git"),
        ({"repositories": [{"url": PUBLIC, "ref": "--upload-pack=x"}]}, "repositories.0.ref"),
        ({"repositories": [{"url": PUBLIC}], "priority": "urgent"}, "priority"),
    ],
)
def test_invalid_submissions_list_the_field(sqlite_web: Any, body: dict[str, Any], field: str) -> None:
    response = submit(sqlite_web.as_("write"), body)
    assert response.status_code == 422
    fields = [e["field"] for e in response.get_json()["errors"]]
    assert any(f == field or f.startswith(field + ".") for f in fields), fields


def test_malformed_json_is_400(sqlite_web: Any) -> None:
    response = sqlite_web.as_("write").post("/api/v1/analyses", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["detail"] == "the request body is not valid JSON"


def test_wrong_content_type_is_415(sqlite_web: Any) -> None:
    response = sqlite_web.as_("write").post("/api/v1/analyses", data="repositories=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_body_over_the_limit_is_413(sqlite_web: Any) -> None:
    big = {"repositories": [{"url": PUBLIC}], "options": {"git": {"x": "a" * 2_000_000}}}
    response = submit(sqlite_web.as_("write"), big)
    assert response.status_code == 413


def test_writes_need_a_write_token(web: Any) -> None:
    body = {"repositories": [{"url": PUBLIC}]}
    anonymous = submit(web.as_(None), body)
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    assert submit(web.as_("read"), body).status_code == 403
    assert submit(web.as_("admin"), body).status_code == 202


def test_idempotency_key_returns_the_first_request(web: Any) -> None:
    client = web.as_("write")
    body = {"repositories": [{"url": PUBLIC}], "analyzers": ["git"]}
    first = submit(client, body, headers={"Idempotency-Key": "build-42"})
    again = submit(client, body, headers={"Idempotency-Key": "build-42"})
    assert first.status_code == again.status_code == 202
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert web.jobs.submitted == [first.get_json()["id"]]
    different = submit(client, {**body, "analyzers": ["ast"]}, headers={"Idempotency-Key": "build-42"})
    assert different.status_code == 422


def test_invalid_idempotency_key_is_400(sqlite_web: Any) -> None:
    response = submit(sqlite_web.as_("write"), {"repositories": [{"url": PUBLIC}]}, headers={"Idempotency-Key": "x" * 300})
    assert response.status_code == 400


def test_same_commits_analyzers_and_options_return_the_finished_analysis(web: Any, make_repo: Any, monkeypatch: Any, tmp_path: Any) -> None:
    repo = make_repo("local", files={"a.py": "x = 1\n"})
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    client = web.as_("write")
    body = {"repositories": [{"path": str(repo.path)}], "analyzers": ["git"]}
    first = submit(client, body)
    assert first.status_code == 202
    first_id = first.get_json()["id"]
    with unit_of_work(web.engine) as session:
        session.execute(update(AnalysisRequest).where(AnalysisRequest.id == first_id).values(status="succeeded"))
    again = submit(client, body)
    assert again.status_code == 200 and again.get_json()["id"] == first_id
    assert again.headers["Location"] == f"/api/v1/analyses/{first_id}"
    repo.commit({"a.py": "x = 2\n"})
    assert submit(client, body).status_code == 202  # a new commit is a new analysis


def test_paths_outside_allowed_directories_are_refused(web: Any, make_repo: Any, monkeypatch: Any, tmp_path: Any) -> None:
    repo = make_repo("outside", files={"a.py": "x = 1\n"})
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path / "elsewhere"))
    (tmp_path / "elsewhere").mkdir()
    response = submit(web.as_("write"), {"repositories": [{"path": str(repo.path)}]})
    assert response.status_code == 422
    assert "outside the directories" in response.get_json()["errors"][0]["message"]


def test_list_pages_with_cursor_and_link_header(web: Any, seed: Any) -> None:
    ids = [seed() for _ in range(5)]
    client = web.as_("read")
    first = client.get("/api/v1/analyses?limit=2")
    assert [a["id"] for a in first.get_json()["items"]] == ids[::-1][:2]
    link = first.headers["Link"]
    assert link.endswith('>; rel="next"')
    url = link[1:link.index(">")].replace("http://localhost", "")
    second = client.get(url)
    assert [a["id"] for a in second.get_json()["items"]] == ids[::-1][2:4]
    third = client.get(second.headers["Link"][1:second.headers["Link"].index(">")].replace("http://localhost", ""))
    assert [a["id"] for a in third.get_json()["items"]] == ids[:1]
    assert "Link" not in third.headers and third.get_json()["next_cursor"] is None


def test_list_filters_by_status_and_repository(web: Any, seed: Any) -> None:
    done = seed("succeeded", url="https://example.org/one.git")
    queued = seed("queued", url="https://example.org/two.git")
    client = web.as_("read")
    assert [a["id"] for a in client.get("/api/v1/analyses?status=queued").get_json()["items"]] == [queued]
    by_url = client.get("/api/v1/analyses", query_string={"repository": "https://example.org/one.git"})
    assert [a["id"] for a in by_url.get_json()["items"]] == [done]
    repo_id = by_url.get_json()["items"][0]["repository_analyses"][0]["repository"]["id"]
    assert [a["id"] for a in client.get(f"/api/v1/analyses?repository={repo_id}").get_json()["items"]] == [done]


@pytest.mark.parametrize("query", ["limit=0", "limit=500", "status=bogus", "cursor=%%%"])
def test_list_rejects_bad_queries(sqlite_web: Any, query: str) -> None:
    assert sqlite_web.as_("read").get(f"/api/v1/analyses?{query}").status_code == 422


def test_get_one_and_missing(web: Any, seed: Any) -> None:
    analysis_id = seed("running")
    body = web.as_("read").get(f"/api/v1/analyses/{analysis_id}").get_json()
    assert body["status"] == "running" and body["repository_analyses"][0]["status"] == "running"
    missing = web.as_("read").get("/api/v1/analyses/999999")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    assert web.as_(None).get(f"/api/v1/analyses/{analysis_id}").status_code == 401
    assert web.as_("read").get(f"/api/v1/analyses/{2**70}/results").status_code == 404  # beyond any 64-bit id


def test_finished_results_have_a_strong_etag(web: Any, seed: Any) -> None:
    analysis_id = seed("succeeded", results={"git": {"commits": 3}, "ast": {"files": 2}})
    client = web.as_("read")
    response = client.get(f"/api/v1/analyses/{analysis_id}/results")
    assert response.status_code == 200
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert {r["analyzer"]: r["data"] for r in response.get_json()["results"]} == {"git": {"commits": 3}, "ast": {"files": 2}}
    again = client.get(f"/api/v1/analyses/{analysis_id}/results", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.headers["ETag"] == etag
    one = client.get(f"/api/v1/analyses/{analysis_id}/results/ast")
    assert [r["data"] for r in one.get_json()["results"]] == [{"files": 2}]
    assert one.headers["ETag"] != etag
    assert client.get(f"/api/v1/analyses/{analysis_id}/results/techspec").status_code == 404
    assert client.get("/api/v1/analyses/999999/results").status_code == 404


@pytest.mark.parametrize("encoding", ["gzip", "br", "zstd"])
def test_a_finished_document_is_compressed_once_per_algorithm(web: Any, seed: Any, encoding: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import flask_compress.flask_compress as engine

    from .conftest import decoded_body

    analysis_id = seed("succeeded", results={"git": {"files": {f"src/m{i}.py": {"churn": i} for i in range(300)}}})
    compressed: list[str] = []
    original = engine._compress_data
    monkeypatch.setattr(engine, "_compress_data", lambda app, data, algorithm: compressed.append(algorithm) or original(app, data, algorithm))
    client = web.as_("read")
    plain = client.get(f"/api/v1/analyses/{analysis_id}/results", headers={"Accept-Encoding": "identity"})
    first = client.get(f"/api/v1/analyses/{analysis_id}/results", headers={"Accept-Encoding": encoding})
    second = client.get(f"/api/v1/analyses/{analysis_id}/results", headers={"Accept-Encoding": encoding})
    assert compressed == [encoding]  # the second client got the kept body
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == encoding
    assert first.get_data() == second.get_data() and len(first.get_data()) < len(plain.get_data()) / 3
    assert decoded_body(second) == plain.get_data()
    etag = second.headers["ETag"]
    assert etag == plain.headers["ETag"][:-1] + f':{encoding}"'
    again = client.get(f"/api/v1/analyses/{analysis_id}/results", headers={"Accept-Encoding": encoding, "If-None-Match": etag})
    assert again.status_code == 304
    # Responses without a document ETag are compressed each time and never kept.
    for _ in range(2):
        assert client.get("/api/v1/analyses?limit=50", headers={"Accept-Encoding": encoding}).status_code == 200
    assert len(web.app.extensions["coe_compressed_bodies"].cache) == 1


def test_unfinished_results_carry_no_etag(web: Any, seed: Any) -> None:
    analysis_id = seed("running")
    response = web.as_("read").get(f"/api/v1/analyses/{analysis_id}/results")
    assert response.status_code == 200 and "ETag" not in response.headers
    assert response.get_json()["status"] == "running"


def test_deleted_analysis_is_not_served_from_the_result_cache(web: Any, seed: Any) -> None:
    analysis_id = seed("succeeded")
    assert web.as_("read").get(f"/api/v1/analyses/{analysis_id}/results").status_code == 200
    assert web.as_("write").delete(f"/api/v1/analyses/{analysis_id}").status_code == 204
    assert web.as_("read").get(f"/api/v1/analyses/{analysis_id}/results").status_code == 404
    assert web.as_("read").get(f"/api/v1/analyses/{analysis_id}").status_code == 404


def test_other_workers_stop_serving_a_deleted_or_replaced_analysis(web: Any, seed: Any, web_database_url: str, tmp_path: Any) -> None:
    from .conftest import build_web

    other = build_web(web_database_url, tmp_path / "other", result_recheck_seconds=0.0)  # a second worker process
    reader = other.client.as_token(web.tokens["read"])
    deleted, replaced = seed("succeeded", results={"git": {"commits": 1}}), seed("succeeded", results={"git": {"commits": 2}})
    for analysis_id in (deleted, replaced):
        assert reader.get(f"/api/v1/analyses/{analysis_id}/results/git").status_code == 200
    assert web.as_("write").delete(f"/api/v1/analyses/{deleted}").status_code == 204
    with unit_of_work(web.engine) as session:  # what a reused SQLite id looks like: same id, new analysis
        session.execute(update(AnalysisRequest).where(AnalysisRequest.id == replaced).values(created_at=datetime(2030, 1, 1, tzinfo=timezone.utc)))
        session.execute(update(AnalysisResult).values(data={"commits": 3}))
    assert reader.get(f"/api/v1/analyses/{deleted}").status_code == 404
    assert reader.get(f"/api/v1/analyses/{deleted}/results/git").status_code == 404
    assert reader.get(f"/api/v1/analyses/{replaced}/results/git").get_json()["results"][0]["data"] == {"commits": 3}
    other.coe.shutdown()


def test_delete_refuses_unfinished_and_missing(web: Any, seed: Any) -> None:
    running = seed("running")
    assert web.as_("write").delete(f"/api/v1/analyses/{running}").status_code == 409
    assert web.as_("read").delete(f"/api/v1/analyses/{running}").status_code == 403
    assert web.as_("write").delete("/api/v1/analyses/999999").status_code == 404


def test_cancel(web: Any, seed: Any) -> None:
    queued = seed("queued")
    response = web.as_("write").post(f"/api/v1/analyses/{queued}/cancel")
    assert response.status_code == 202 and response.get_json()["status"] == "cancelled"
    assert web.jobs.cancelled == [queued]
    assert web.as_("write").post(f"/api/v1/analyses/{queued}/cancel").status_code == 409
    assert web.as_("write").post("/api/v1/analyses/999999/cancel").status_code == 404
    running = seed("running")
    body = web.as_("write").post(f"/api/v1/analyses/{running}/cancel").get_json()
    assert body["status"] == "running" and body["cancel_requested"] is True


def _events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if not line.startswith(":"))
        if "event" in lines:
            out.append((lines["event"], json.loads(lines["data"])))
    return out


def test_events_stream_until_done(web: Any, seed: Any) -> None:
    analysis_id = seed("succeeded")
    response = web.as_("read").get(f"/api/v1/analyses/{analysis_id}/events")
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    events = _events(response.get_data(as_text=True))
    assert [kind for kind, _ in events] == ["progress", "done"]
    assert events[-1][1]["status"] == "succeeded"


def test_events_follow_progress_and_stop_at_the_time_limit(web: Any, seed: Any) -> None:
    analysis_id = seed("running")
    events = _events(web.as_("read").get(f"/api/v1/analyses/{analysis_id}/events").get_data(as_text=True))
    assert events[0][0] == "progress" and events[-1][0] == "timeout"
    assert web.as_("read").get("/api/v1/analyses/999999/events").status_code == 404


def test_results_are_served_from_cache_while_the_database_is_down(web: Any, seed: Any) -> None:
    from sqlalchemy import event, exc

    analysis_id = seed("succeeded")
    client = web.as_("read")
    assert client.get(f"/api/v1/analyses/{analysis_id}/results").status_code == 200
    engine = web.engine

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise exc.OperationalError("connect", {}, Exception("connection refused"))

    event.listen(engine, "do_connect", refuse)
    engine.pool.dispose()
    web.coe.results.recheck_seconds = 0.0  # the re-check is due on every read, and fails
    try:
        cached = client.get(f"/api/v1/analyses/{analysis_id}/results")
        assert cached.status_code == 200 and cached.headers["ETag"]
        down = client.get("/api/v1/analyses")
        assert down.status_code == 503 and down.headers["Retry-After"].isdigit()
        assert "connection refused" not in down.get_data(as_text=True)
    finally:
        event.remove(engine, "do_connect", refuse)


def test_listings_are_micro_cached_and_forgotten_after_a_write(web_database_url: str, tmp_path: Any) -> None:
    from .conftest import build_web

    cached = build_web(web_database_url, tmp_path, list_cache_seconds=3600.0)
    client = cached.as_("read")
    first = submit(cached.as_("write"), {"repositories": [{"url": PUBLIC}]}).get_json()["id"]
    assert [a["id"] for a in client.get("/api/v1/analyses").get_json()["items"]] == [first]
    with unit_of_work(cached.engine) as session:  # changed behind the app's back: the cached page is still served
        session.execute(update(AnalysisRequest).where(AnalysisRequest.id == first).values(status="succeeded"))
    assert client.get("/api/v1/analyses").get_json()["items"][0]["status"] == "queued"
    second = submit(cached.as_("write"), {"repositories": [{"url": PUBLIC}], "analyzers": ["git"]}).get_json()["id"]
    page = client.get("/api/v1/analyses").get_json()["items"]
    assert [a["id"] for a in page] == [second, first] and page[1]["status"] == "succeeded"
    cached.coe.shutdown()
