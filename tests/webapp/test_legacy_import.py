"""``coe db import-legacy``: the original services' files and database rows into CoE, read back through both APIs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from coe_framework.cli.main import cli

EXPORT = {
    "name": "Support bot", "id": "0f4b9c1e-2d7a-4c55-8a11-b1d0c2e3f4a5", "description": "answers tickets",
    "data": {"nodes": [{"id": "n1", "type": "genericNode", "position": {"x": 1, "y": 2}, "data": {}}], "edges": []},
}
REPOSITORY = {
    "repository": {"url": "https://git.example.org/team/service.git", "branch": "main", "name": "service"},
    "clone_path": "/srv/clones/service",
    "files": [{"path": "app.py", "size": 120, "language": "Python", "lines_of_code": 7}],
    "ast_analysis": {"app.py": [{"type": "class", "name": "App", "line_start": 1, "line_end": 7,
                                 "children": [{"type": "function", "name": "run", "line_start": 2, "line_end": 7, "children": [], "metadata": {}}],
                                 "metadata": {}}]},
    "tech_specs": [{"language": "Python", "framework": "Flask", "dependencies": ["flask"], "version": "3.11", "package_manager": "pip"}],
    "code_metrics": {"cyclomatic_complexity": 2.0, "maintainability_index": 71.5, "lines_of_code": 7, "comment_ratio": 0.1},
    "documentation_files": ["README.md"],
    "config_files": ["requirements.txt"],
    "commit_info": {"commit_hash": "a" * 40, "commit_date": "2024-05-01T10:00:00Z", "author": "Dev <dev@example.org>",
                    "message": "first", "branch": "main"},
}
RESULT = {
    "analysis_id": "8c1f2a3b-4d5e-6f70-8192-a3b4c5d6e7f8", "status": "completed",
    "created_at": "2024-05-01T10:00:00", "completed_at": "2024-05-01T10:05:00",
    "repositories": [REPOSITORY],
    "correlation_analysis": {"common_dependencies": ["flask"], "shared_technologies": ["Python"], "similar_patterns": [],
                             "architecture_similarity": {"service vs other": 0.5}},
    "error_message": None,
}


def _invoke(url: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["db", "--url", url, "import-legacy", *args])


def _original_files(root: Path) -> Path:
    (root / "flows").mkdir(parents=True)
    (root / "flows" / "support-bot.json").write_text(json.dumps(EXPORT))
    (root / "flows" / "broken.json").write_text("{not json")
    (root / "results").mkdir()
    (root / "results" / "run.json").write_text(json.dumps(RESULT))
    (root / "results" / "bad.json").write_text(json.dumps({**RESULT, "analysis_id": "other", "repositories": [{"files": []}]}))
    (root / "settings.json").write_text(json.dumps({"theme": "dark"}))
    return root


def test_import_a_directory_dry_run_then_for_real_then_again(web: Any, web_database_url: str, tmp_path: Path) -> None:
    source = _original_files(tmp_path / "original")
    dry = _invoke(web_database_url, str(source), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert dry.output.strip().splitlines()[-1] == "would import 1 flow and 1 analysis, 0 already present, 3 skipped (dry run: nothing written)"
    assert "skipped flows/broken.json: not valid JSON" in dry.output
    assert "skipped results/bad.json: repositories.0.repository: Field required" in dry.output
    assert "skipped settings.json: not an AnalysisResult" in dry.output
    assert web.as_("read").get("/flows/list").get_json() == {"flows": []}
    assert web.as_("read").get("/api/v1/results").get_json() == []

    real = _invoke(web_database_url, str(source))
    assert real.exit_code == 0 and real.output.strip().splitlines()[-1] == "imported 1 flow and 1 analysis, 0 already present, 3 skipped"
    again = _invoke(web_database_url, str(source))
    assert again.output.strip().splitlines()[-1] == "imported 0 flows and 0 analyses, 2 already present, 3 skipped"

    # Through the original routes: exactly what the original service recorded.
    document = web.as_("read").get(f"/api/v1/results/{RESULT['analysis_id']}").get_json()
    assert document["repositories"] == [REPOSITORY] and document["correlation_analysis"] == RESULT["correlation_analysis"]
    assert (document["status"], document["created_at"], document["completed_at"]) == ("completed", "2024-05-01T10:00:00Z", "2024-05-01T10:05:00Z")
    flow = web.as_("read").get("/flows/support-bot").get_json()
    assert flow["data"] == EXPORT["data"] and flow["description"] == "answers tickets"
    # Through the native API: a succeeded analysis pinned to the recorded commit, with the record as a result.
    native = web.as_("read").get("/api/v1/analyses").get_json()["items"][0]
    assert native["status"] == "succeeded" and native["repository_analyses"][0]["commit"] == "a" * 40
    results = web.as_("read").get(f"/api/v1/analyses/{native['id']}/results").get_json()["results"]
    assert [(r["analyzer"], r["data"]["repository_analysis"]) for r in results] == [("original", REPOSITORY)]
    assert web.as_("read").get("/api/v1/flows/support-bot").get_json()["id"] == EXPORT["id"]


def _original_database(path: Path) -> str:
    """A database with the original services' two tables and a few rows, good and bad."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "CREATE TABLE langflows (id INTEGER PRIMARY KEY, name VARCHAR(255) UNIQUE, description TEXT, flow_data TEXT,"
            " created_at DATETIME, updated_at DATETIME, is_active BOOLEAN)"
        ))
        conn.execute(text(
            "CREATE TABLE rag_analysis_results (id INTEGER PRIMARY KEY, analysis_id VARCHAR(255), git_url TEXT, analysis_date DATETIME,"
            " status VARCHAR(50), repository_count INTEGER, total_files INTEGER, total_lines_of_code INTEGER, repositories_data TEXT,"
            " correlation_data TEXT, created_at DATETIME, completed_at DATETIME, error_message TEXT)"
        ))
        flows = [
            ("support-bot", "answers tickets", json.dumps(EXPORT), 1),
            ("retired", None, json.dumps(EXPORT), 0),
            ("garbled", None, "{oops", 1),
        ]
        for name, description, data, active in flows:
            conn.execute(text("INSERT INTO langflows (name, description, flow_data, created_at, updated_at, is_active) "
                              "VALUES (:n, :d, :f, '2024-04-01 08:00:00', '2024-04-02 09:00:00', :a)"),
                         {"n": name, "d": description, "f": data, "a": active})
        analyses = [
            (RESULT["analysis_id"], "completed", json.dumps([REPOSITORY]), json.dumps(RESULT["correlation_analysis"]), None),
            ("4a5b6c7d-0000-4000-8000-000000000001", "running", "[]", None, None),
            ("4a5b6c7d-0000-4000-8000-000000000002", "completed", "not json", None, None),
        ]
        for analysis_id, status, repositories, correlation, error in analyses:
            conn.execute(text(
                "INSERT INTO rag_analysis_results (analysis_id, git_url, analysis_date, status, repository_count, total_files,"
                " total_lines_of_code, repositories_data, correlation_data, created_at, completed_at, error_message)"
                " VALUES (:i, 'https://git.example.org/team/service.git', '2024-05-01 10:00:00', :s, 1, 1, 7, :r, :c,"
                " '2024-05-01 10:00:00', NULL, :e)"
            ), {"i": analysis_id, "s": status, "r": repositories, "c": correlation, "e": error})
    engine.dispose()
    return url


def test_import_an_original_database(web: Any, web_database_url: str, tmp_path: Path) -> None:
    original = _original_database(tmp_path / "original.sqlite3")
    first = _invoke(web_database_url, original)
    assert first.exit_code == 0, first.output
    assert first.output.strip().splitlines()[-1] == "imported 1 flow and 2 analyses, 0 already present, 3 skipped"
    assert "skipped langflows row 2: inactive in the original database" in first.output
    assert "skipped langflows row 3: flow_data is not valid JSON" in first.output
    assert "skipped rag_analysis_results row 4a5b6c7d-0000-4000-8000-000000000002: repositories_data is not valid JSON" in first.output
    assert _invoke(web_database_url, original).output.strip().splitlines()[-1] == "imported 0 flows and 0 analyses, 3 already present, 3 skipped"

    listed = {row["analysis_id"]: row for row in web.as_("read").get("/api/v1/results").get_json()}
    assert listed[RESULT["analysis_id"]]["status"] == "completed" and listed[RESULT["analysis_id"]]["repository_count"] == 1
    unfinished = web.as_("read").get("/api/v1/results/4a5b6c7d-0000-4000-8000-000000000001").get_json()
    assert unfinished["status"] == "failed" and "never finished" in unfinished["error_message"]
    assert web.as_("read").get(f"/api/v1/results/{RESULT['analysis_id']}").get_json()["repositories"] == [REPOSITORY]
    flows = web.as_("read").get("/flows/list").get_json()["flows"]
    assert [(f["name"], f["created_at"]) for f in flows] == [("support-bot", "2024-04-01T08:00:00Z")]


def test_import_refuses_what_it_cannot_read(web_database_url: str, tmp_path: Path) -> None:
    missing = _invoke(web_database_url, str(tmp_path / "nowhere"))
    assert missing.exit_code == 2 and "neither a directory nor a database URL" in missing.output
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with empty.begin() as conn:
        conn.execute(text("CREATE TABLE other (id INTEGER PRIMARY KEY)"))
    empty.dispose()
    wrong = _invoke(web_database_url, f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    assert wrong.exit_code == 2 and "neither a langflows nor a rag_analysis_results table" in wrong.output
    assert "Traceback" not in wrong.output
