"""Bearer tokens and ``/api/v1/sessions``: issue once, hash only, scopes, expiry, revocation."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import UserSession

from .conftest import issue


def test_issue_token_shows_it_once_and_stores_only_its_hash(web: Any) -> None:
    response = web.as_("admin").post("/api/v1/sessions", json={"label": "ci", "scopes": ["write"]})
    assert response.status_code == 201
    body = response.get_json()
    token = body["token"]
    assert token.startswith("coe_") and body["token_prefix"] == token[:12]
    with unit_of_work(web.engine) as session:
        row = session.get(UserSession, body["id"])
        assert row.token_hash != token and len(row.token_hash) == 64
        assert token not in str([getattr(row, c.key) for c in UserSession.__table__.columns])
    listed = web.as_("admin").get("/api/v1/sessions").get_json()["items"]
    assert body["id"] in [s["id"] for s in listed] and all("token" not in s for s in listed)
    assert web.client.as_token(token).get("/api/v1/analyses").status_code == 200


def test_a_caller_cannot_grant_scopes_it_lacks(web: Any) -> None:
    response = web.as_("read").post("/api/v1/sessions", json={"label": "x", "scopes": ["admin"]})
    assert response.status_code == 403
    assert web.as_("write").post("/api/v1/sessions", json={"label": "x", "scopes": ["read"]}).status_code == 201


@pytest.mark.parametrize("body", [{"label": "", "scopes": ["read"]}, {"label": "x", "scopes": []}, {"label": "x", "scopes": ["root"]},
                                  {"label": "x", "scopes": ["read"], "expires_in_days": 0}])
def test_invalid_session_requests(sqlite_web: Any, body: dict[str, Any]) -> None:
    assert sqlite_web.as_("admin").post("/api/v1/sessions", json=body).status_code == 422


def test_revocation_takes_effect_at_once(web: Any) -> None:
    created = web.as_("write").post("/api/v1/sessions", json={"label": "temp", "scopes": ["read"]}).get_json()
    client = web.client.as_token(created["token"])
    assert client.get("/api/v1/analyses").status_code == 200  # now cached as verified
    revoked = client.delete(f"/api/v1/sessions/{created['id']}")
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    after = client.get("/api/v1/analyses")
    assert after.status_code == 401 and "revoked" in after.get_json()["detail"]


def test_only_owners_and_admins_revoke(web: Any) -> None:
    other_token, other_id = issue(web.engine, "someone else", ["read"])
    assert web.as_("read").delete(f"/api/v1/sessions/{other_id}").status_code == 404
    assert web.as_("admin").delete(f"/api/v1/sessions/{other_id}").status_code == 200
    assert web.client.as_token(other_token).get("/api/v1/analyses").status_code == 401
    assert web.as_("admin").delete("/api/v1/sessions/999999").status_code == 404


def test_current_session(web: Any) -> None:
    body = web.as_("read").get("/api/v1/sessions/current").get_json()
    assert body["label"] == "read token" and body["scopes"] == ["read"]


def test_expired_and_malformed_tokens_are_401(web: Any) -> None:
    expired, _ = issue(web.engine, "old", ["read"], expires_in=timedelta(seconds=-1))
    response = web.client.as_token(expired).get("/api/v1/analyses")
    assert response.status_code == 401 and "expired" in response.get_json()["detail"]
    for bad in ("coe_" + "x" * 43, "not-a-coe-token", "coe_short"):
        assert web.client.as_token(bad).get("/api/v1/analyses").status_code == 401
    basic = web.client.get("/api/v1/analyses", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401


def test_scopes_are_enforced(web: Any) -> None:
    assert web.as_("read").get("/api/v1/logs").status_code == 403
    assert web.as_("write").get("/api/v1/logs").status_code == 403
    assert web.as_("admin").get("/api/v1/logs").status_code == 200


def test_sessions_list_pages(web: Any) -> None:
    for n in range(3):
        web.as_("admin").post("/api/v1/sessions", json={"label": f"t{n}", "scopes": ["read"]})
    first = web.as_("admin").get("/api/v1/sessions?limit=2")
    assert len(first.get_json()["items"]) == 2 and "Link" in first.headers
    assert web.as_("admin").get("/api/v1/sessions?cursor=nope").status_code == 422


def test_tokens_are_random_and_hashes_compare_in_constant_time() -> None:
    from coe_webapp.tokens import expand_scopes, hash_token, hashes_equal, new_token

    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100 and all(len(t) == 47 for t in tokens)
    token = tokens.pop()
    assert hashes_equal(hash_token(token), hash_token(token)) and not hashes_equal(hash_token(token), hash_token(token + "x"))
    assert expand_scopes(["admin"]) == {"admin", "write", "read"} and expand_scopes(["read"]) == {"read"}


def test_auth_off_serves_loopback_only(web_database_url: str, tmp_path: Any) -> None:
    from .conftest import build_web

    local = build_web(web_database_url, tmp_path, auth="off")
    client = local.client.as_token(None)
    assert client.get("/api/v1/analyses").status_code == 200
    remote = client.get("/api/v1/analyses", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert remote.status_code == 403
    local.coe.shutdown()


def test_auth_off_refuses_a_public_bind() -> None:
    from coe_webapp import ConfigError, WebSettings

    with pytest.raises(ConfigError, match="only allowed when bound to loopback"):
        WebSettings.from_env({"COE_AUTH": "off", "COE_BIND": "0.0.0.0:8000"})
    assert WebSettings.from_env({"COE_AUTH": "off", "COE_BIND": "[::1]:8000"}).auth == "off"


def test_cli_session_create_issues_an_admin_token(web_database_url: str) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli
    from coe_framework.db.engine import get_engine

    result = CliRunner().invoke(cli, ["session", "create", "--label", "bootstrap", "--scope", "admin"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[0]
    assert token.startswith("coe_")
    from coe_webapp.tokens import hash_token

    with unit_of_work(get_engine(web_database_url)) as session:
        row = session.scalar(select(UserSession).where(UserSession.token_hash == hash_token(token)))
        assert row is not None and row.scopes == ["admin"] and row.label == "bootstrap"
