"""Logs, plugins, probes, metrics, errors and rate limits."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import ApiLog, UserSession


def test_api_calls_are_logged_in_batches_and_listed_for_admins(web: Any) -> None:
    web.as_("read").get("/api/v1/analyses")
    web.as_("read").get("/api/v1/analyses/424242")
    with unit_of_work(web.engine) as session:
        assert session.query(ApiLog).count() == 0  # nothing written on the request path
    web.coe.api_log.flush()
    logs = web.as_("admin").get("/api/v1/logs?route=/api/v1/analyses/<int:analysis_id>").get_json()["items"]
    assert [(l["method"], l["status_code"], l["path"]) for l in logs] == [("GET", 404, "/api/v1/analyses/424242")]
    assert logs[0]["error"] == "analysis 424242 does not exist" and logs[0]["session_id"] is not None
    with unit_of_work(web.engine) as session:
        reader = session.get(UserSession, logs[0]["session_id"])
        assert reader.last_activity_at is not None


def test_logs_filters(web: Any) -> None:
    web.as_("read").get("/api/v1/analyses")
    web.as_(None).get("/api/v1/analyses")
    web.coe.api_log.flush()
    admin = web.as_("admin")
    assert {l["status_code"] for l in admin.get("/api/v1/logs?status_code=401").get_json()["items"]} == {401}
    assert admin.get("/api/v1/logs?method=POST").get_json()["items"] == []
    assert len(admin.get("/api/v1/logs?since=2000-01-01T00:00:00Z&until=2999-01-01T00:00:00Z").get_json()["items"]) >= 2
    assert admin.get("/api/v1/logs?since=yesterday").status_code == 422
    assert admin.get("/api/v1/logs?method=get").status_code == 422


def test_log_buffer_is_bounded_and_flushes_on_close(web: Any) -> None:
    from coe_framework.db.models import utcnow
    from coe_webapp.apilog import ApiLogBuffer

    buffer = ApiLogBuffer(web.engine, capacity=3, batch_size=2, interval=3600)
    row = {"request_id": "r", "session_id": None, "method": "GET", "route": "/x", "path": "/x", "status_code": 200,
           "duration_ms": 1.0, "client_ip": None, "user_agent": None, "error": None}
    for n in range(5):
        buffer.add({**row, "request_id": f"r{n}", "created_at": utcnow()})
    assert len(buffer) <= 3 and buffer.dropped >= 2
    buffer.close()
    with unit_of_work(web.engine) as session:
        ids = sorted(r.request_id for r in session.query(ApiLog).filter(ApiLog.route == "/x"))
    assert ids[-1] == "r4" and len(ids) == 5 - buffer.dropped


def test_plugins_lists_analyzers_with_schemas_and_load_errors(web: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from coe_framework.plugin import manager as plugins

    broken = tmp_path / "broken_plugin.py"
    broken.write_text("raise ImportError('missing dependency')\n")
    monkeypatch.setenv("COE_PLUGIN_MODULES", str(broken))
    plugins.reset_manager()
    body = web.as_("read").get("/api/v1/plugins").get_json()
    names = {a["name"] for a in body["analyzers"]}
    assert {"git", "techspec"} <= names
    git = next(a for a in body["analyzers"] if a["name"] == "git")
    assert git["options_schema"]["type"] == "object" and git["result_schema"] and git["plugin"] == "git"
    assert "missing dependency" in body["load_errors"]["broken_plugin"]
    assert any(p["name"] == "broken_plugin" and p["error"] for p in body["plugins"])


def test_health_ready_and_metrics(web: Any, seed: Any) -> None:
    seed("queued")
    health = web.client.get("/health").get_json()
    assert health.pop("status") == "ok" and health.pop("service") == "coe"
    assert health.pop("timestamp").endswith("Z") and health == {}
    assert web.client.get("/ready").get_json()["status"] == "ready"
    web.as_("read").get("/api/v1/analyses")
    text = web.client.get("/metrics").get_data(as_text=True)
    assert 'coe_http_requests_total{method="GET",route="/api/v1/analyses",status="200"}' in text
    assert "coe_http_request_duration_seconds_bucket" in text
    assert 'coe_jobs{status="queued"} 1.0' in text
    assert 'coe_cache_hit_ratio{cache="store"}' in text and 'coe_cache_hit_ratio{cache="web_results"}' in text and "coe_api_log_rows" in text


def test_ready_is_503_when_the_database_is_down(web: Any) -> None:
    from sqlalchemy import event, exc

    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise exc.OperationalError("connect", {}, Exception("down"))

    event.listen(web.engine, "do_connect", refuse)
    web.engine.pool.dispose()
    try:
        response = web.client.get("/ready")
        assert response.status_code == 503 and response.headers["Retry-After"]
    finally:
        event.remove(web.engine, "do_connect", refuse)


def test_unknown_routes_and_methods_are_problems(web: Any) -> None:
    missing = web.client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.get_json()["request_id"]
    wrong = web.client.open("PUT", "/api/v1/plugins")
    assert wrong.status_code == 405 and wrong.mimetype == "application/problem+json"


def test_request_id_is_echoed_or_made(web: Any) -> None:
    given = web.client.get("/health", headers={"X-Request-ID": "abc-12345678"})
    assert given.headers["X-Request-ID"] == "abc-12345678"
    made = web.client.get("/health", headers={"X-Request-ID": "bad id\u00e9"})
    assert made.headers["X-Request-ID"] != "bad id\u00e9" and len(made.headers["X-Request-ID"]) == 32


def test_unexpected_errors_reveal_nothing(web: Any, monkeypatch: Any) -> None:
    def explode(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("SELECT secret FROM /srv/coe/internal.py")

    monkeypatch.setattr(web.coe.store, "get_analysis", explode)
    response = web.as_("read").get("/api/v1/analyses/1")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret" not in text and "/srv" not in text and "RuntimeError" not in text
    assert response.get_json()["request_id"] == response.headers["X-Request-ID"]


def test_rate_limit_is_429_with_retry_after(web_database_url: str, tmp_path: Any) -> None:
    from .conftest import build_web

    limited = build_web(web_database_url, tmp_path, rate_limit="3 per minute")
    client = limited.as_("read")
    statuses = [client.get("/api/v1/analyses").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    throttled = client.get("/api/v1/analyses")
    assert int(throttled.headers["Retry-After"]) >= 1
    assert limited.client.get("/health").status_code == 200  # probes are never throttled
    limited.coe.shutdown()


def test_repositories(web: Any, seed: Any) -> None:
    first = seed("succeeded", url="https://example.org/lib.git", name="lib", results={"git": {"commits": 1}})
    second = seed("succeeded", url="https://example.org/lib.git", name="lib", results={"git": {"commits": 2}})
    client = web.as_("read")
    repos = client.get("/api/v1/repositories?name=lib").get_json()["items"]
    assert [r["url"] for r in repos] == ["https://example.org/lib.git"]
    repo_id = repos[0]["id"]
    assert client.get(f"/api/v1/repositories/{repo_id}").get_json()["name"] == "lib"
    analyses = client.get(f"/api/v1/repositories/{repo_id}/analyses").get_json()["items"]
    assert [a["request_id"] for a in analyses] == [second, first]
    latest = client.get(f"/api/v1/repositories/{repo_id}/results/latest").get_json()
    assert [r["data"] for r in latest["results"]] == [{"commits": 2}]
    for path in ("", "/analyses", "/results/latest"):
        assert client.get(f"/api/v1/repositories/999999{path}").status_code == 404
    assert client.get("/api/v1/repositories?limit=abc").status_code == 422


def test_dashboard_and_docs_pages(web: Any) -> None:
    raw = web.client.client  # pages, not API operations: outside the OpenAPI document
    assert raw.get("/").headers["Location"].endswith("/dashboard/")
    assert raw.get("/dashboard/").status_code == 303  # to the sign-in page
    assert raw.get("/dashboard/sign-in").status_code == 200
    assert raw.get("/static/dashboard.js").status_code == 200
    docs = raw.get("/docs")
    assert docs.status_code == 200 and b"/static/vendor/swagger-ui/swagger-ui-bundle.js" in docs.data
    assert b"https://" not in docs.data.replace(b"https://swagger.io", b"")  # every asset comes from this app
    spec = raw.get("/openapi.json").get_json()
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("setting, value", [("COE_AUTH", "maybe"), ("COE_MAX_BODY_BYTES", "ten"), ("COE_BIND", "nowhere")])
def test_bad_settings_are_one_line_errors(setting: str, value: str) -> None:
    from coe_webapp import ConfigError, WebSettings

    with pytest.raises(ConfigError) as error:
        WebSettings.from_env({setting: value})
    assert "\n" not in str(error.value) and setting.split("_", 1)[1] in str(error.value)


def test_cors_is_off_unless_origins_are_configured(web: Any, web_database_url: str, tmp_path: Any) -> None:
    from .conftest import build_web

    origin = {"Origin": "https://dash.example.org"}
    assert "Access-Control-Allow-Origin" not in web.as_("read").get("/api/v1/plugins", headers=origin).headers
    allowed = build_web(web_database_url, tmp_path / "cors", cors_origins="https://dash.example.org, https://other.example.org")
    raw = allowed.client.client
    preflight = raw.options("/api/v1/analyses", headers={**origin, "Access-Control-Request-Method": "POST",
                                                          "Access-Control-Request-Headers": "Authorization, Content-Type, Idempotency-Key"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == "https://dash.example.org"
    assert {"authorization", "content-type", "idempotency-key"} <= {h.strip().lower() for h in preflight.headers["Access-Control-Allow-Headers"].split(",")}
    read = allowed.as_("read").get("/api/v1/plugins", headers=origin)
    assert read.headers["Access-Control-Allow-Origin"] == "https://dash.example.org"
    assert "ETag" in read.headers["Access-Control-Expose-Headers"] and "Access-Control-Allow-Credentials" not in read.headers
    missing = allowed.as_("read").get("/api/v1/analyses/999999", headers=origin)  # errors are readable across origins too
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == "https://dash.example.org"
    stranger = allowed.as_("read").get("/api/v1/plugins", headers={"Origin": "https://evil.example.com"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    allowed.coe.shutdown()


def test_the_query_p95_covers_this_processs_database_statements(web: Any) -> None:
    timer = web.coe.metrics.queries
    timer.durations.clear()
    assert timer.p95() is None and ("coe_db_queries_recorded", "Recent database statements of this process the query p95 covers", {}, 0.0) in timer.gauges()
    web.as_("read").get("/api/v1/analyses")
    assert len(timer.durations) >= 1 and timer.p95() is not None and timer.p95() >= 0
    timer.durations.clear()
    timer.durations.extend([1.0] * 95 + [50.0] * 5)  # nearest rank: the 95th of 100 values
    assert timer.p95() == 1.0
    timer.durations.append(50.0)
    assert timer.p95() == 50.0  # 101 values: rank 96 is a slow one
    assert "coe_db_query_p95_ms" in web.client.get("/metrics").get_data(as_text=True)
    admin = web.app.test_client()
    admin.post("/dashboard/sign-in", data={"token": web.tokens["admin"]})
    assert "Query p95 (ms, this process)" in admin.get("/dashboard/health").get_data(as_text=True)
