"""The main job persists: requests, repository analyses, results, rows; the database serves as the runner's caches."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from coe_framework.analysis.cache import MemoryCache, TieredCache
from coe_framework.analysis.process_store import open_store
from coe_framework.db.store import Store
from coe_framework.analysis.service import analyze_repositories, run_stored_request
from tests.core.sample_analyzers import CALLS_FILE_ENV, FileCount, LineCounter, Raises

from .analyzers import Inventory


def fresh_store(url: str) -> Store:
    """A new store with an empty memory cache: what a new process sees."""
    return open_store(url, cache=TieredCache(MemoryCache(1000)))


def test_analysis_is_stored_and_a_second_run_is_a_cache_hit(database_url: str, make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.py": "x = 1\n", "b.txt": "hello\nworld\n"})
    manager = manager_with(FileCount(), Inventory())
    first = analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    store = fresh_store(database_url)
    analysis = store.get_analysis(first.extra["analysis_id"])
    assert analysis["status"] == "succeeded" and analysis["repository_analyses"][0]["commit"] == repo.head
    assert analysis["repository_analyses"][0]["line_count"] == 3 and analysis["repository_analyses"][0]["file_count"] == 2
    assert {r["analyzer"] for r in store.get_results(analysis["id"])} == {"count", "inventory"}
    assert len(store.list_rows("code_files", request_id=analysis["id"]).items) == 2
    assert any("stored as analysis" in note for note in first.notes)

    second = analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    outcomes = second.repositories[0].outcomes
    assert all(o.cached for o in outcomes.values()), "unchanged repository: every result from the database"
    again = store.get_analysis(second.extra["analysis_id"])
    assert again["request_hash"] == analysis["request_hash"] and again["id"] != analysis["id"]
    assert len(store.list_rows("code_files", request_id=again["id"]).items) == 2, "rows stored for the new analysis too"


def test_new_commit_reruns_only_changed_blobs(database_url: str, make_repo: Any, manager_with: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = tmp_path / "calls.log"
    monkeypatch.setenv(CALLS_FILE_ENV, str(calls))
    repo = make_repo(files={"a.py": "1\n", "b.py": "2\n", "c.py": "3\n"})
    manager = manager_with(LineCounter())
    analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    assert sorted(calls.read_text().split()) == ["a.py", "b.py", "c.py"]
    calls.write_text("")
    repo.commit({"b.py": "2\nmore\n"})
    report = analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    assert calls.read_text().split() == ["b.py"], "only the changed blob is analysed again"
    assert report.repositories[0].outcomes["lines"].data["total"] == 4
    assert report.repositories[0].outcomes["lines"].stats == {"files": 3, "cached": 2, "analyzed": 1}


def test_partial_analysis_is_stored_with_errors(database_url: str, make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.py": "1\n"})
    report = analyze_repositories(manager_with(FileCount(), Raises()), [str(repo.path)], workers=1, store=fresh_store(database_url))
    stored = fresh_store(database_url).get_analysis(report.extra["analysis_id"])
    assert stored["status"] == "partial" and "raises" in stored["error"] and "boom" in stored["error"]
    results = {r["analyzer"]: r for r in fresh_store(database_url).get_results(stored["id"])}
    assert results["raises"]["status"] == "failed" and results["count"]["status"] == "succeeded"


def test_run_stored_request_runs_a_queued_request(database_url: str, make_repo: Any, manager_with: Any) -> None:
    from coe_framework.repository.sources import SourcePolicy

    repo = make_repo(files={"a.py": "1\n"})
    store = fresh_store(database_url)
    request, _ = store.create_request([{"url": str(repo.path), "name": "mine"}], analyzers=["count"], source="api")
    report = run_stored_request(manager_with(FileCount()), store, request["id"], policy=SourcePolicy(), workers=1)
    assert report.status == "succeeded"
    done = store.get_analysis(request["id"])
    assert done["status"] == "succeeded" and done["progress"] == 1.0 and done["repository_analyses"][0]["repository"]["name"] == "mine"


def test_run_stored_request_with_a_refused_source_fails_the_request(database_url: str, manager_with: Any, tmp_path: Path) -> None:
    store = fresh_store(database_url)
    request, _ = store.create_request([{"url": str(tmp_path), "name": "local"}], analyzers=["count"], source="api")
    with pytest.raises(ValueError):
        run_stored_request(manager_with(FileCount()), store, request["id"])  # the server policy allows no local paths
    failed = store.get_analysis(request["id"])
    assert failed["status"] == "failed" and failed["error"]


def test_store_none_persists_nothing(make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.py": "1\n"})
    report = analyze_repositories(manager_with(FileCount()), [str(repo.path)], workers=1, store=None)
    assert report.status == "succeeded" and "analysis_id" not in report.extra


def test_cli_analyze_on_a_fresh_machine_migrates_and_stores(database_url: str, make_repo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from click.testing import CliRunner

    from coe_framework.cli.main import cli

    repo = make_repo(files={"a.py": "1\n"})
    monkeypatch.setenv("COE_PLUGINS", "git")
    runner = CliRunner()
    first = runner.invoke(cli, ["analyze", str(repo.path), "-a", "git", "--workers", "1"])
    assert first.exit_code == 0, first.output
    assert "stored as analysis 1 in" in first.output
    second = runner.invoke(cli, ["analyze", str(repo.path), "-a", "git", "--workers", "1", "--format", "json"])
    assert second.exit_code == 0, second.output
    data = json.loads(second.stdout)
    assert data["analysis_id"] == 2 and data["repositories"][0]["results"]["git"]["cached"] is True


def test_cli_analyze_with_an_unreachable_database_is_one_line(make_repo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli

    repo = make_repo(files={"a.py": "1\n"})
    monkeypatch.setenv("COE_PLUGINS", "git")
    monkeypatch.setenv("COE_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    result = CliRunner().invoke(cli, ["analyze", str(repo.path), "-a", "git", "--workers", "1"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()] and "cannot use the database" in result.stderr


def test_a_run_served_from_the_cache_counts_its_files(database_url: str, make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.py": "x = 1\n", "b.txt": "hello\n", "c/d.md": "# d\n"})
    manager = manager_with(FileCount(), Inventory())
    first = analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    second = analyze_repositories(manager, [str(repo.path)], workers=1, store=fresh_store(database_url))
    assert all(o.cached for o in second.repositories[0].outcomes.values())
    assert first.repositories[0].file_count == second.repositories[0].file_count == 3
    assert second.repositories[0].to_dict()["file_count"] == 3
    stored = fresh_store(database_url).get_analysis(second.extra["analysis_id"])
    assert stored["repository_analyses"][0]["file_count"] == 3
