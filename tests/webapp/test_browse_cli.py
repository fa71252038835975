"""`coe analyses`, `coe repositories` and `coe session list|revoke`: the API's documents on the command line."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from coe_framework.cli.main import cli
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import NORMALIZED_MODELS, AnalysisResult, RagDocument, RepositoryAnalysis
from coe_framework.plugin.manager import reset_manager

SAMPLE_MODULE = str(Path(__file__).parents[1] / "core" / "sample_plugin_module.py")


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Any]:
    monkeypatch.setenv("COE_PLUGIN_MODULES", SAMPLE_MODULE)
    monkeypatch.setenv("COE_PLUGINS", "ast")
    reset_manager()
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(cli, list(args), input=input)

    return invoke


def one_line_error(result: Any, expected: str) -> None:
    assert result.exit_code != 0, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("coe: error:") and expected in lines[0], result.output
    assert "Traceback" not in result.output


def test_show_prints_the_api_results_document(web: Any, seed: Callable[..., int], run: Callable[..., Any]) -> None:
    analysis = seed("succeeded", results={"git": {"commits": 3}, "count": {"files": 2, "bytes": 9}})
    api = web.as_("read").get(f"/api/v1/analyses/{analysis}/results").get_json()
    shown = run("analyses", "show", str(analysis), "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == api
    one = run("analyses", "show", str(analysis), "--analyzer", "git", "--format", "json")
    assert json.loads(one.stdout) == web.as_("read").get(f"/api/v1/analyses/{analysis}/results/git").get_json()
    text = run("analyses", "show", str(analysis))
    assert text.exit_code == 0 and f"analysis {analysis}  succeeded" in text.stdout
    assert "git " in text.stdout and "count" in text.stdout and "files=2" in text.stdout


def test_documents_have_the_api_schema_fields() -> None:
    from coe_framework.outputs.documents import ANALYSIS_FIELDS, RESULT_FIELDS, SUBMITTED_FIELDS
    from coe_webapp.schemas import AnalysisOut, ResultOut, SubmittedRepository

    assert RESULT_FIELDS == tuple(ResultOut.model_fields)
    assert ANALYSIS_FIELDS == tuple(AnalysisOut.model_fields)
    assert SUBMITTED_FIELDS == tuple(SubmittedRepository.model_fields)


def test_list_filters_and_pages(web: Any, seed: Callable[..., int], run: Callable[..., Any]) -> None:
    first = seed("succeeded", url="https://example.org/a.git", name="a")
    second = seed("failed", url="https://example.org/b.git", name="b")
    third = seed("succeeded", url="https://example.org/a.git", name="a")
    listing = json.loads(run("analyses", "list", "--format", "json").stdout)
    assert [a["id"] for a in listing["items"]] == [third, second, first]
    assert listing == web.as_("read").get("/api/v1/analyses").get_json()
    assert [a["id"] for a in json.loads(run("analyses", "list", "--status", "failed", "--format", "json").stdout)["items"]] == [second]
    by_url = json.loads(run("analyses", "list", "--repository", "https://example.org/a.git", "--format", "json").stdout)
    assert [a["id"] for a in by_url["items"]] == [third, first]
    page = run("analyses", "list", "--limit", "2")
    assert page.exit_code == 0 and "more: --cursor " in page.output
    cursor = page.output.split("more: --cursor ")[1].split()[0]
    rest = json.loads(run("analyses", "list", "--limit", "2", "--cursor", cursor, "--format", "json").stdout)
    assert [a["id"] for a in rest["items"]] == [first] and rest["next_cursor"] is None
    table = run("analyses", "list").stdout.splitlines()
    assert table[0].split() == ["ID", "STATUS", "CREATED", "SOURCE", "ANALYZERS", "REPOSITORIES"] and len(table) == 4

    repos = json.loads(run("repositories", "list", "--format", "json").stdout)
    assert [r["name"] for r in repos["items"]] == ["b", "a"]
    assert repos == web.as_("read").get("/api/v1/repositories").get_json()
    a_id = next(r["id"] for r in repos["items"] if r["name"] == "a")
    shown = json.loads(run("repositories", "show", str(a_id), "--format", "json").stdout)
    assert shown["repository"]["url"] == "https://example.org/a.git"
    assert [ra["request_id"] for ra in shown["analyses"]["items"]] == [third, first]
    assert [r["analyzer"] for r in shown["latest_results"]] == ["git"]
    by_name = run("repositories", "show", "https://example.org/a.git")
    assert by_name.exit_code == 0 and "repository" in by_name.stdout and str(third) in by_name.stdout
    assert run("repositories", "list", "--name", "b").stdout.count("\n") == 2


def test_bad_input_is_one_line(web: Any, seed: Callable[..., int], run: Callable[..., Any]) -> None:
    running = seed("running")
    one_line_error(run("analyses", "show", "424242"), "analysis 424242 does not exist")
    one_line_error(run("analyses", "show", "424242", "--format", "json"), "analysis 424242 does not exist")
    one_line_error(run("analyses", "show", str(running), "--analyzer", "nope"), "no result from analyzer 'nope'")
    one_line_error(run("analyses", "delete", "424242", "--yes"), "analysis 424242 does not exist")
    one_line_error(run("analyses", "delete", str(running), "--yes"), "cancel it first")
    one_line_error(run("analyses", "list", "--status", "bogus"), "unknown status 'bogus'")
    one_line_error(run("analyses", "list", "--cursor", "not-a-cursor"), "invalid cursor")
    one_line_error(run("repositories", "show", "424242"), "repository 424242 does not exist")
    one_line_error(run("repositories", "show", "https://nowhere.example/x.git"), "does not exist")
    one_line_error(run("session", "revoke", "424242"), "session 424242 does not exist")
    one_line_error(run("session", "list", "--cursor", "%%%"), "invalid cursor")
    assert run("analyses", "show", "0").exit_code == 2


def _owned_rows(engine: Any, analysis: int) -> dict[str, int]:
    with unit_of_work(engine) as session:
        owners = select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == analysis)
        counts = {"repository_analyses": session.scalar(select(func.count()).select_from(RepositoryAnalysis).where(RepositoryAnalysis.request_id == analysis)),
                  "analysis_results": session.scalar(select(func.count()).select_from(AnalysisResult).where(AnalysisResult.repository_analysis_id.in_(owners))),
                  "rag_documents": session.scalar(select(func.count()).select_from(RagDocument).where(RagDocument.repository_analysis_id.in_(owners)))}
        for table, model in NORMALIZED_MODELS.items():
            counts[table] = session.scalar(select(func.count()).select_from(model).where(model.repository_analysis_id.in_(owners)))  # type: ignore[attr-defined]
    return counts


def test_delete_removes_everything_the_analysis_owns(web: Any, run: Callable[..., Any], make_repo: Any) -> None:
    repo = make_repo(files={"a.py": "def f(x):\n    return x if x else 0\n", "b.py": "y = 2\n"})
    analyzed = run("--quiet", "analyze", str(repo.path), "-a", "ast", "-a", "count", "--format", "json", "--workers", "1")
    assert analyzed.exit_code == 0, analyzed.output
    analysis = json.loads(analyzed.stdout)["analysis_id"]
    before = _owned_rows(web.engine, analysis)
    assert before["analysis_results"] == 2 and before["code_files"] == 2 and before["rag_documents"] > 0, before
    refused = run("analyses", "delete", str(analysis), input="n\n")
    assert refused.exit_code != 0 and _owned_rows(web.engine, analysis) == before
    done = run("analyses", "delete", str(analysis), "--yes")
    assert done.exit_code == 0 and f"deleted analysis {analysis}" in done.output
    assert set(_owned_rows(web.engine, analysis).values()) == {0}
    one_line_error(run("analyses", "show", str(analysis)), "does not exist")
    assert web.as_("read").get(f"/api/v1/analyses/{analysis}").status_code == 404


def test_session_list_and_revoke(web: Any, run: Callable[..., Any]) -> None:
    listing = json.loads(run("session", "list", "--format", "json").stdout)
    labels = {s["label"]: s for s in listing["items"]}
    assert set(labels) == {"read token", "write token", "admin token"}
    assert all("token_hash" not in s and s["token_prefix"].startswith("coe_") for s in listing["items"])
    target = labels["write token"]["id"]
    assert web.as_("write").get("/api/v1/sessions/current").status_code == 200
    revoked = run("session", "revoke", str(target))
    assert revoked.exit_code == 0 and f"revoked session {target} 'write token'" in revoked.output
    web.coe.verifier.forget_session(target)  # a running server sees it within COE_AUTH_CACHE_TTL
    assert web.as_("write").get("/api/v1/sessions/current").status_code == 401
    again = run("session", "revoke", str(target))
    assert again.exit_code == 0, "revoking twice is harmless"
    active = json.loads(run("session", "list", "--active", "--format", "json").stdout)
    assert {s["label"] for s in active["items"]} == {"read token", "admin token"}
    table = run("session", "list").stdout
    assert "revoked" in table and "active" in table and "coe_" in table
