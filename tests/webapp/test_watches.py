"""``/api/v1/watches`` and ``/api/v1/hooks/*``: validation, problem+json, signatures, replays, caps."""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import uuid
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisRequest, WebhookDelivery

PUBLIC = "https://93.184.216.34/team/app.git"  # a public IP literal: valid without DNS
SECRET = "a-webhook-secret-for-tests-0123"
KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_WEBHOOK_SECRET_KEY", KEY)


def watch(client: Any, **body: Any) -> Any:
    return client.post("/api/v1/watches", json={"url": PUBLIC, "ref": "main", "secret": SECRET, **body})


def push_payload(ref: str = "refs/heads/main", after: str = "ab" * 20, url: str = PUBLIC, **extra: Any) -> dict[str, Any]:
    return {"ref": ref, "before": "0" * 40, "after": after,
            "repository": {"clone_url": url, "html_url": url.removesuffix(".git"), "default_branch": "main"}, **extra}


def github(body: bytes, secret: str = SECRET, *, event: str = "push", delivery: str | None = None) -> dict[str, str]:
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery or str(uuid.uuid4()), "X-Hub-Signature-256": signature}


def deliver(client: Any, payload: Any, headers: dict[str, str] | None = None, provider: str = "github", raw: bytes | None = None,
            content_type: str = "application/json") -> Any:
    body = raw if raw is not None else json.dumps(payload).encode()
    return client.post(f"/api/v1/hooks/{provider}", data=body, headers=headers if headers is not None else github(body),
                       content_type=content_type)


def count(web: Any, model: Any) -> int:
    with unit_of_work(web.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)))


# --- /api/v1/watches -------------------------------------------------------------


def test_create_read_list_delete(web: Any) -> None:
    created = watch(web.as_("write"), interval="30m", analyzers=["git"])
    assert created.status_code == 201
    body = created.get_json()
    assert created.headers["Location"] == f"/api/v1/watches/{body['id']}"
    assert body["url"] == PUBLIC and body["ref"] == "main" and body["interval_seconds"] == 1800 and body["interval"] == "30m"
    assert body["has_secret"] is True and body["origin"] == "api" and body["secret"] is None
    assert SECRET not in created.get_data(as_text=True)
    shown = web.as_("read").get(f"/api/v1/watches/{body['id']}")
    assert shown.status_code == 200 and shown.get_json()["analyzers"] == ["git"]
    second = watch(web.as_("write"), ref="dev").get_json()
    page = web.as_("read").get("/api/v1/watches?limit=1")
    assert [w["id"] for w in page.get_json()["items"]] == [second["id"]] and 'rel="next"' in page.headers["Link"]
    assert web.as_("write").delete(f"/api/v1/watches/{body['id']}").status_code == 204
    assert web.as_("read").get(f"/api/v1/watches/{body['id']}").status_code == 404
    assert web.as_("write").delete(f"/api/v1/watches/{body['id']}").status_code == 404


def test_a_generated_secret_is_shown_once(web: Any) -> None:
    created = web.as_("write").post("/api/v1/watches", json={"url": PUBLIC, "generate_secret": True})
    secret = created.get_json()["secret"]
    assert secret.startswith("whsec_") and len(secret) > 30
    assert secret not in web.as_("read").get(f"/api/v1/watches/{created.get_json()['id']}").get_data(as_text=True)


@pytest.mark.parametrize(
    "body, field, reason",
    [
        ({"url": "https://127.0.0.1/x.git"}, "url", "loopback"),
        ({"url": "file:///etc/passwd"}, "url", "scheme 'file' is not allowed"),
        ({"url": "ext::sh -c touch% /tmp/pwned"}, "url", "remote helper"),
        ({"url": "https://10.0.0.1/x.git"}, "url", "private address"),
        ({"url": "/etc"}, "url", "local paths are not allowed"),
        ({"url": "https://user:pw@93.184.216.34/x.git"}, "url", "cannot carry credentials"),
        ({"url": PUBLIC, "ref": "a..b"}, "ref", "invalid ref"),
        ({"url": PUBLIC, "ref": "--upload-pack=x"}, "ref", "invalid ref"),
        ({"url": PUBLIC, "ref": "a" * 40}, "ref", "not a commit SHA"),
        ({"url": PUBLIC, "interval": "5s"}, "interval", "between 1 minute and 30 days"),
        ({"url": PUBLIC, "interval": "soon"}, "interval", "must look like"),
        ({"url": PUBLIC, "analyzers": ["nope"]}, "analyzers.0", "unknown analyzer"),
        ({"url": PUBLIC, "options": {"nope": {}}}, "options.nope", "unknown analyzer"),
    ],
)
def test_bad_watches_are_refused_naming_the_field(sqlite_web: Any, body: dict[str, Any], field: str, reason: str) -> None:
    response = sqlite_web.as_("write").post("/api/v1/watches", json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    error = response.get_json()["errors"][0]
    assert error["field"] == field and reason in error["message"]
    assert count(sqlite_web, AnalysisRequest) == 0


def test_duplicates_scopes_and_unknown_fields(sqlite_web: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert watch(sqlite_web.as_("write")).status_code == 201
    again = watch(sqlite_web.as_("write"))
    assert again.status_code == 409 and "already watched" in again.get_json()["detail"]
    assert watch(sqlite_web.as_("read"), ref="x").status_code == 403
    assert watch(sqlite_web.client, ref="y").status_code == 401
    assert watch(sqlite_web.as_("write"), ref="z", colour="blue").status_code == 422


def test_a_secret_needs_the_key(web_database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.webapp.conftest import build_web

    monkeypatch.delenv("COE_WEBHOOK_SECRET_KEY")
    built = build_web(web_database_url, tmp_path)
    try:
        response = watch(built.as_("write"))
        assert response.status_code == 409 and "COE_WEBHOOK_SECRET_KEY is not set" in response.get_json()["detail"]
        assert watch(built.as_("write"), secret=None).status_code == 201  # no secret: scheduled checks only
    finally:
        built.coe.shutdown()


# --- /api/v1/hooks ---------------------------------------------------------------


def test_a_signed_push_queues_the_pushed_commit(web: Any) -> None:
    watch_id = watch(web.as_("write"), analyzers=["git"]).get_json()["id"]
    response = deliver(web.client, push_payload(after="cd" * 20))
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "queued" and body["watches"] == [watch_id] and len(body["analyses"]) == 1
    assert web.jobs.submitted == body["analyses"]
    analysis = web.as_("read").get(f"/api/v1/analyses/{body['analyses'][0]}").get_json()
    assert analysis["repositories"] == [{"url": PUBLIC, "name": "app", "ref": "cd" * 20}]
    assert web.as_("read").get(f"/api/v1/watches/{watch_id}").get_json()["last_commit"] == "cd" * 20
    # The same commit pushed again (a new delivery) is not queued twice.
    again = deliver(web.client, push_payload(after="cd" * 20))
    assert again.status_code == 200 and again.get_json()["status"] == "busy" and len(web.jobs.submitted) == 1


def test_pushes_to_other_refs_pings_and_deletions_are_acknowledged_and_ignored(web: Any) -> None:
    watch(web.as_("write"))
    other = deliver(web.client, push_payload(ref="refs/heads/feature"))
    assert other.status_code == 200 and other.get_json()["status"] == "ignored"
    assert "not a watched ref" in other.get_json()["reason"]
    deleted = deliver(web.client, push_payload(after="0" * 40, deleted=True))
    assert deleted.status_code == 200 and "deleted" in deleted.get_json()["reason"]
    body = json.dumps({"zen": "hi", "repository": {"clone_url": PUBLIC}}).encode()
    ping = deliver(web.client, None, headers=github(body, event="ping"), raw=body)
    assert ping.status_code == 200 and ping.get_json()["status"] == "pong"
    issue = deliver(web.client, None, headers=github(body, event="issues"), raw=body)
    assert issue.status_code == 200 and issue.get_json()["status"] == "ignored"
    assert web.jobs.submitted == [] and count(web, AnalysisRequest) == 0


def test_head_watches_follow_the_payloads_default_branch(web: Any) -> None:
    watch(web.as_("write"), ref="HEAD")
    assert deliver(web.client, push_payload(ref="refs/heads/main")).status_code == 202


def test_gitlab_token_and_gitea_signature(web: Any) -> None:
    watch(web.as_("write"))
    payload = {"object_kind": "push", "ref": "refs/heads/main", "before": "0" * 40, "after": "12" * 20,
               "project": {"git_http_url": PUBLIC, "web_url": PUBLIC.removesuffix(".git"), "default_branch": "main"}}
    headers = {"X-Gitlab-Event": "Push Hook", "X-Gitlab-Event-UUID": str(uuid.uuid4()), "X-Gitlab-Token": SECRET}
    assert deliver(web.client, payload, headers=headers, provider="gitlab").status_code == 202
    wrong = {**headers, "X-Gitlab-Event-UUID": str(uuid.uuid4()), "X-Gitlab-Token": SECRET + "x"}
    assert deliver(web.client, payload, headers=wrong, provider="gitlab").status_code == 401
    body = json.dumps(push_payload(after="34" * 20)).encode()
    gitea = {"X-Gitea-Event": "push", "X-Gitea-Delivery": str(uuid.uuid4()),
             "X-Gitea-Signature": hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    # The GitLab push is still queued: the Gitea one is deferred behind it, never run beside it.
    assert deliver(web.client, None, headers=gitea, provider="gitea", raw=body).get_json()["status"] == "busy"
    assert len(web.jobs.submitted) == 1


def test_refused_deliveries_do_no_work(web: Any, caplog: pytest.LogCaptureFixture) -> None:
    watch(web.as_("write"))
    no_secret = watch(web.as_("write"), url="https://93.184.216.34/team/other.git", secret=None).get_json()
    marker = "BODY-MARKER-7f3a"
    payload = push_payload(marker=marker)
    body = json.dumps(payload).encode()
    caplog.set_level(logging.INFO)
    cases = [
        (github(body, secret="not-the-secret-at-all"), body, 401, "bad-signature"),
        ({**github(body), "X-Hub-Signature-256": "sha1=" + "0" * 40}, body, 401, "bad-signature"),
        ({k: v for k, v in github(body).items() if k != "X-Hub-Signature-256"}, body, 401, "bad-signature"),
        ({k: v for k, v in github(body).items() if k != "X-GitHub-Delivery"}, body, 400, None),
        ({k: v for k, v in github(body).items() if k != "X-GitHub-Event"}, body, 400, None),
        (github(b"{not json"), b"{not json", 400, "malformed-json"),
        (github(b"[1, 2]"), b"[1, 2]", 400, "malformed-json"),
        (github(b"\xff\xfe"), b"\xff\xfe", 400, "malformed-json"),
    ]
    unknown = json.dumps(push_payload(url="https://93.184.216.34/nobody/else.git", marker=marker)).encode()
    cases.append((github(unknown), unknown, 404, "unknown-repository"))
    unsigned = json.dumps(push_payload(url=no_secret["url"], marker=marker)).encode()
    cases.append((github(unsigned), unsigned, 401, "bad-signature"))
    bad_after = json.dumps(push_payload(after="not-a-sha", marker=marker)).encode()
    cases.append((github(bad_after), bad_after, 400, "malformed-json"))
    for headers, raw, status, kind in cases:
        response = deliver(web.client, None, headers=headers, raw=raw)
        assert response.status_code == status, (headers, raw, response.get_json())
        assert response.mimetype == "application/problem+json"
        if kind:
            assert response.get_json()["type"].endswith(kind)
    assert deliver(web.client, payload, headers=github(body), content_type="text/plain").status_code == 415
    assert web.jobs.submitted == [] and count(web, AnalysisRequest) == 0 and count(web, WebhookDelivery) == 0
    assert marker not in caplog.text and "refused" in caplog.text


def test_a_replayed_delivery_is_refused(web: Any) -> None:
    watch(web.as_("write"))
    body = json.dumps(push_payload(ref="refs/heads/other")).encode()
    headers = github(body, delivery="delivery-1")
    assert deliver(web.client, None, headers=headers, raw=body).status_code == 200
    replay = deliver(web.client, None, headers=headers, raw=body)
    assert replay.status_code == 409 and replay.get_json()["type"].endswith("delivery-replayed")
    assert count(web, WebhookDelivery) == 1


def test_oversized_bodies_are_refused_before_reading(sqlite_web: Any) -> None:
    watch(sqlite_web.as_("write"))
    # A 26 MB declaration with a tiny body: refused on the declared length, nothing read.
    declared = sqlite_web.client.open(
        "POST", "/api/v1/hooks/github", data=b"{}", headers=github(b"{}"), content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(26 * 1024 * 1024)},
    )
    assert declared.status_code == 413 and declared.mimetype == "application/problem+json"
    # A real body one byte over 25 MB.
    big = b'{"pad": "' + b"x" * (25 * 1024 * 1024) + b'"}'
    response = deliver(sqlite_web.client, None, headers=github(big), raw=big)
    assert response.status_code == 413
    # Beyond the API's general 1 MB cap but within the webhook cap: accepted (GitHub sends such pushes).
    payload = push_payload(ref="refs/heads/other", pad="y" * (2 * 1024 * 1024))
    assert deliver(sqlite_web.client, payload).status_code == 200
    assert count(sqlite_web, AnalysisRequest) == 0
