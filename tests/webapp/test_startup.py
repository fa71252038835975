"""Starting the app: migrations must validate; ``flask --app`` works; an analysis runs end to end."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest


def test_app_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    from coe_webapp import StartupError, WebSettings, create_app

    with pytest.raises(StartupError, match="not ready"):
        create_app(WebSettings.from_env(database_url=f"sqlite:///{tmp_path / 'empty.sqlite3'}", flows_dir=str(tmp_path)))


def test_app_refuses_an_edited_migration_ledger(web_database_url: str, tmp_path: Path) -> None:
    from sqlalchemy import select, update

    from coe_framework.db.engine import get_engine
    from coe_framework.db.models import SchemaHistory
    from coe_webapp import StartupError, WebSettings, create_app

    engine = get_engine(web_database_url)
    with engine.begin() as conn:
        saved = conn.execute(select(SchemaHistory.installed_rank, SchemaHistory.checksum)).all()
        conn.execute(update(SchemaHistory).values(checksum="0" * 64))
    try:
        with pytest.raises(StartupError):
            create_app(WebSettings.from_env(database_url=web_database_url, flows_dir=str(tmp_path)))
    finally:  # the PostgreSQL schema is shared by the web tests
        with engine.begin() as conn:
            for rank, checksum in saved:
                conn.execute(update(SchemaHistory).where(SchemaHistory.installed_rank == rank).values(checksum=checksum))


def test_flask_cli_loads_the_factory(web_database_url: str) -> None:
    flask = Path(sys.executable).with_name("flask")
    env = {**os.environ, "COE_DATABASE_URL": web_database_url}
    proc = subprocess.run([str(flask), "--app", "coe_webapp:create_app", "routes"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "/api/v1/analyses" in proc.stdout and "/openapi.json" in proc.stdout


def test_an_analysis_runs_end_to_end_with_the_inline_executor(web: Any, make_repo: Any, monkeypatch: Any, tmp_path: Path) -> None:
    from coe_framework import jobs

    repo = make_repo("service", files={"app.py": "def handler(x):\n    return x + 1\n", "README.md": "# service\n"})
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    monkeypatch.setenv("COE_EXECUTOR", "inline")
    jobs.shutdown()
    web.coe.submit, web.coe.cancel = jobs.submit, jobs.cancel
    try:
        response = web.as_("write").post("/api/v1/analyses", json={"repositories": [{"path": str(repo.path)}], "analyzers": ["git"]})
        assert response.status_code == 202
        analysis_id = response.get_json()["id"]
        analysis = web.as_("read").get(f"/api/v1/analyses/{analysis_id}").get_json()
        assert analysis["status"] == "succeeded", analysis
        assert analysis["repository_analyses"][0]["commit"] == repo.head
        results = web.as_("read").get(f"/api/v1/analyses/{analysis_id}/results/git")
        assert results.status_code == 200 and results.headers["ETag"]
        assert results.get_json()["results"][0]["status"] == "succeeded"
        again = web.as_("write").post("/api/v1/analyses", json={"repositories": [{"path": str(repo.path)}], "analyzers": ["git"]})
        assert again.status_code == 200 and again.get_json()["id"] == analysis_id
    finally:
        jobs.shutdown()
