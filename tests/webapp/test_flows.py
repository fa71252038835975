"""``/api/v1/flows``: CRUD, soft delete with name reuse, mirror files, and ``coe flows import``."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

FLOW = {"name": "support-bot", "description": "answers tickets", "data": {"nodes": [{"id": "n1"}], "edges": []}}


def _mirror(web: Any, name: str) -> dict[str, Any]:
    return json.loads((web.flows_dir / f"{name}.json").read_text())


def test_create_get_by_id_and_name_and_mirror(web: Any) -> None:
    created = web.as_("write").post("/api/v1/flows", json=FLOW)
    assert created.status_code == 201
    flow = created.get_json()
    assert created.headers["Location"] == f"/api/v1/flows/{flow['id']}"
    assert web.as_("read").get(f"/api/v1/flows/{flow['id']}").get_json() == flow
    assert web.as_("read").get("/api/v1/flows/support-bot").get_json()["id"] == flow["id"]
    assert _mirror(web, "support-bot")["data"] == FLOW["data"]


def test_duplicate_names_conflict(web: Any) -> None:
    web.as_("write").post("/api/v1/flows", json=FLOW)
    assert web.as_("write").post("/api/v1/flows", json=FLOW).status_code == 409


def test_put_replaces_and_renames_the_mirror(web: Any) -> None:
    flow_id = web.as_("write").post("/api/v1/flows", json=FLOW).get_json()["id"]
    replaced = web.as_("write").put(f"/api/v1/flows/{flow_id}", json={"name": "helpdesk", "data": {"nodes": []}})
    assert replaced.status_code == 200
    body = replaced.get_json()
    assert body["name"] == "helpdesk" and body["description"] is None and body["data"] == {"nodes": []}
    assert not (web.flows_dir / "support-bot.json").exists() and _mirror(web, "helpdesk")["id"] == flow_id


def test_patch_changes_only_given_fields(web: Any) -> None:
    web.as_("write").post("/api/v1/flows", json=FLOW)
    patched = web.as_("write").patch("/api/v1/flows/support-bot", json={"is_active": False})
    assert patched.get_json()["is_active"] is False and patched.get_json()["data"] == FLOW["data"]
    other = web.as_("write").post("/api/v1/flows", json={**FLOW, "name": "other"}).get_json()
    assert web.as_("write").patch(f"/api/v1/flows/{other['id']}", json={"name": "support-bot"}).status_code == 409


def test_soft_delete_frees_the_name(web: Any) -> None:
    first = web.as_("write").post("/api/v1/flows", json=FLOW).get_json()
    assert web.as_("write").delete("/api/v1/flows/support-bot").status_code == 204
    assert not (web.flows_dir / "support-bot.json").exists()
    assert web.as_("read").get(f"/api/v1/flows/{first['id']}").status_code == 404
    second = web.as_("write").post("/api/v1/flows", json=FLOW)
    assert second.status_code == 201 and second.get_json()["id"] != first["id"]
    assert web.as_("write").delete("/api/v1/flows/no-such-flow").status_code == 404


def test_list_filters_and_pages(web: Any) -> None:
    for name in ("alpha", "beta", "alphabet"):
        web.as_("write").post("/api/v1/flows", json={**FLOW, "name": name})
    web.as_("write").patch("/api/v1/flows/beta", json={"is_active": False})
    names = [f["name"] for f in web.as_("read").get("/api/v1/flows?name=alpha").get_json()["items"]]
    assert names == ["alphabet", "alpha"]
    inactive = web.as_("read").get("/api/v1/flows?is_active=false").get_json()["items"]
    assert [f["name"] for f in inactive] == ["beta"]
    page = web.as_("read").get("/api/v1/flows?limit=1")
    assert len(page.get_json()["items"]) == 1 and 'rel="next"' in page.headers["Link"]


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", "", "x" * 200])
def test_names_that_are_not_safe_file_names_are_refused(sqlite_web: Any, name: str) -> None:
    assert sqlite_web.as_("write").post("/api/v1/flows", json={**FLOW, "name": name}).status_code == 422


def test_flows_need_tokens(web: Any) -> None:
    assert web.as_(None).get("/api/v1/flows").status_code == 401
    assert web.as_("read").post("/api/v1/flows", json=FLOW).status_code == 403


def test_cli_imports_a_directory(web: Any, tmp_path: Path, monkeypatch: Any) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli

    source = tmp_path / "legacy"
    source.mkdir()
    (source / "one.json").write_text(json.dumps({"name": "one", "data": {"nodes": [1]}}))
    (source / "two.json").write_text(json.dumps({"data": {"nodes": [2]}, "description": "named by file"}))
    (source / "broken.json").write_text("{nope")
    (source / "link.json").symlink_to(source / "one.json")
    web.as_("write").post("/api/v1/flows", json={**FLOW, "name": "one"})
    monkeypatch.setenv("COE_FLOWS_DIR", str(web.flows_dir))
    result = CliRunner().invoke(cli, ["flows", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert "created 1, updated 1, skipped 2" in result.stdout
    assert web.as_("read").get("/api/v1/flows/one").get_json()["data"] == {"nodes": [1]}
    assert web.as_("read").get("/api/v1/flows/two").get_json()["description"] == "named by file"
    assert _mirror(web, "two")["data"] == {"nodes": [2]}
