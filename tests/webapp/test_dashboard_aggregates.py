"""The dashboard's chart aggregates: stored with the results, read as small rows, deleted with the analysis."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from coe_framework.analysis import aggregates
from coe_framework.db import portfolio as folio
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisResult, ChartAggregate, RepositoryAnalysis
from coe_framework.testing.gitrepo import GitRepoFactory

CHARTS = ("hotspots", "tree", "complexity", "ranks", "functions", "ownership", "coupling", "age", "activity", "activity-weeks",
          "languages", "dependencies")


def _rows(engine: Any, repository_analysis_id: int | None = None) -> dict[tuple[int, str], tuple[int, Any]]:
    query = select(ChartAggregate.repository_analysis_id, ChartAggregate.chart, ChartAggregate.version, ChartAggregate.data)
    if repository_analysis_id is not None:
        query = query.where(ChartAggregate.repository_analysis_id == repository_analysis_id)
    with unit_of_work(engine) as session:
        return {(ra, chart): (version, data) for ra, chart, version, data in session.execute(query)}


def _payloads(web: Any, analysis_id: int) -> tuple[int, dict[str, Any]]:
    """The repository analysis of a one-repository analysis and its succeeded payloads, as the API returns them."""
    stored = web.coe.store.get_results(analysis_id)
    return stored[0]["repository_analysis_id"], {r["analyzer"]: r["data"] for r in stored if r["status"] == "succeeded"}


def _signed_in(web: Any) -> Any:
    client = web.app.test_client()
    assert client.post("/dashboard/sign-in", data={"token": web.tokens["read"]}).status_code == 303
    return client


def _analyzed(web: Any, root: Path) -> int:
    """A real analysis (every built-in analyzer) of a generated repository, stored through the service."""
    from coe_framework.plugin.manager import PluginManager
    from coe_framework.analysis.service import analyze_repositories

    repo = GitRepoFactory(root).sample("sample")
    repo.commit({"src/extra.py": "def extra(a, b):\n    if a and b:\n        return 1\n    return 2\n"}, "add extra",
                author=("Alan Turing", "alan@example.com"))
    manager = PluginManager({})
    manager.load_entrypoints()
    report = analyze_repositories(manager, [str(repo.path)], store=web.coe.store, workers=1)
    return int(report.extra["analysis_id"])


def test_stored_aggregates_equal_what_the_aggregation_computes_from_the_documents(web: Any, tmp_path: Path) -> None:
    analysis_id = _analyzed(web, tmp_path / "repos")
    ra_id, payloads = _payloads(web, analysis_id)
    assert {"git", "ast", "techspec"} <= set(payloads)
    rows = _rows(web.engine, ra_id)
    assert {chart for _ra, chart in rows} == set(aggregates.STORED)  # written with the results, before any view
    assert all(version == aggregates.VERSION for version, _data in rows.values())
    computed = aggregates.aggregate(payloads)
    for name in aggregates.COMPUTED:
        assert rows[(ra_id, name)][1] == computed[name], name
    with unit_of_work(web.engine) as session:
        assert rows[(ra_id, aggregates.MEASURES)][1] == folio.analysis_measures(session, [ra_id])[ra_id]
    assert rows[(ra_id, "hotspots")][1]["rows"] and rows[(ra_id, "activity")][1]["rows"]  # a real analysis has real charts
    client = _signed_in(web)
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    for name in CHARTS:
        assert client.get(f"/dashboard/data/repositories/{repository_id}/{name}").get_json() == computed[name], name


def test_deleting_an_analysis_deletes_its_aggregates(web: Any, seed: Any) -> None:
    kept = seed(results={"git": {"commits": 3}}, name="kept")
    gone = seed(results={"git": {"commits": 4}}, name="gone")
    client = _signed_in(web)
    for repository in web.coe.store.list_repositories().items:
        assert client.get(f"/dashboard/repositories/{repository['id']}").status_code == 200
        assert client.get(f"/dashboard/data/repositories/{repository['id']}/history").status_code == 200
    gone_ra, _ = _payloads(web, gone)
    kept_ra, _ = _payloads(web, kept)
    assert {ra for ra, _chart in _rows(web.engine)} == {kept_ra, gone_ra}
    assert web.coe.store.delete_analysis(gone)
    assert {ra for ra, _chart in _rows(web.engine)} == {kept_ra}


def test_an_analysis_stored_without_aggregates_gets_them_on_its_first_view(web: Any, seed: Any, web_database_url: str, tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.webapp.conftest import build_web

    files = {f"src/m{i}.py": {"loc": 10 * i, "complexity": i, "symbols": [{"kind": "function", "name": f"f{i}", "complexity": i}]}
             for i in range(1, 6)}
    git = {"commits": 12, "files": {f"src/m{i}.py": {"churn": 3 * i, "revisions": i, "main_author": "Ada <ada@example.com>"} for i in range(1, 6)},
           "hotspots": [{"path": "src/m5.py", "score": 0.9}], "coupling": [{"file_a": "src/m1.py", "file_b": "src/m2.py", "shared_commits": 2, "degree": 50}]}
    analysis_id = seed(results={"ast": {"files": files}, "git": git})  # written directly: no aggregates, as before they existed
    ra_id, payloads = _payloads(web, analysis_id)
    assert _rows(web.engine, ra_id) == {}
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    client = _signed_in(web)
    first = client.get(f"/dashboard/data/repositories/{repository_id}/hotspots").get_json()
    assert len(first["rows"]) == 5
    rows = _rows(web.engine, ra_id)
    computed = aggregates.aggregate(payloads)
    assert {chart for _ra, chart in rows} == set(aggregates.COMPUTED)  # every chart at once, on the first view
    assert all(rows[(ra_id, name)][1] == computed[name] for name in aggregates.COMPUTED)
    client.get(f"/dashboard/data/repositories/{repository_id}/history?measure=functions")
    assert (ra_id, aggregates.MEASURES) in _rows(web.engine, ra_id)

    # After a restart the page and every chart come from the rows: no built-in analyzer's document is read again.
    read_payloads = folio.result_payloads
    built_in = {"git", "ast", "techspec"}

    def refuse(engine: Any, ra: int, *, only: Any = None, exclude: Any = ()) -> Any:
        if (only is None and not built_in <= set(exclude)) or (only is not None and built_in & set(only)):
            raise AssertionError("a result document was read")
        return read_payloads(engine, ra, only=only, exclude=exclude)

    monkeypatch.setattr(folio, "result_payloads", refuse)
    restarted = build_web(web_database_url, tmp_path / "again")
    try:
        fresh = restarted.app.test_client()
        assert fresh.post("/dashboard/sign-in", data={"token": web.tokens["read"]}).status_code == 303
        page = fresh.get(f"/dashboard/repositories/{repository_id}")
        assert page.status_code == 200 and "<dd>12</dd>" in page.get_data(as_text=True)  # the commits figure
        for name in CHARTS:
            assert fresh.get(f"/dashboard/data/repositories/{repository_id}/{name}").get_json() == computed[name], name
        history = fresh.get(f"/dashboard/data/repositories/{repository_id}/history?measure=functions").get_json()
        assert [r["value"] for r in history["rows"]] == [None]  # no totals in this ast result: no value, no error
    finally:
        restarted.coe.shutdown()


def test_an_aggregate_of_an_older_version_is_computed_again(web: Any, seed: Any) -> None:
    analysis_id = seed(results={"git": {"commits": 7, "code_age": {"buckets": {"2+ years": 1, "0-1 months": 4, "1-2 years": 2}}}})
    ra_id, _ = _payloads(web, analysis_id)
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    _signed_in(web).get(f"/dashboard/data/repositories/{repository_id}/age")
    with unit_of_work(web.engine, write=True) as session:
        session.execute(update(ChartAggregate).where(ChartAggregate.repository_analysis_id == ra_id)
                        .values(version=aggregates.VERSION - 1, data={"stale": True}))
    web.app.extensions.pop("coe_dashboard_chart_tables", None)  # as after a restart
    age = _signed_in(web).get(f"/dashboard/data/repositories/{repository_id}/age").get_json()
    assert [r["age"] for r in age["rows"]] == ["0-1 months", "1-2 years", "2+ years"]  # youngest first, whatever the stored key order
    assert _rows(web.engine, ra_id)[(ra_id, "age")] == (aggregates.VERSION, age)


def test_a_partial_analysis_shows_what_it_has_and_names_what_is_missing(web: Any, seed: Any) -> None:
    analysis_id = seed(status="partial", results={"git": {"commits": 9, "coupling": [
        {"file_a": "a.py", "file_b": "b.py", "shared_commits": 3, "degree": 75}]}})
    ra_id, _ = _payloads(web, analysis_id)
    with unit_of_work(web.engine, write=True) as session:
        session.add(AnalysisResult(repository_analysis_id=ra_id, analyzer="ast", analyzer_version="1", options_hash="x",
                                   status="failed", data=None, error="ast timed out after 600 s", cache_key="ast-x"))
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    client = _signed_in(web)
    page = client.get(f"/dashboard/repositories/{repository_id}").get_data(as_text=True)
    assert "<dd>9</dd>" in page and "ast timed out after 600 s" in page
    coupling = client.get(f"/dashboard/data/repositories/{repository_id}/coupling").get_json()
    assert len(coupling["rows"]) == 1 and "missing" not in coupling
    hotspots = client.get(f"/dashboard/data/repositories/{repository_id}/hotspots").get_json()
    assert hotspots["rows"] == [] and hotspots["missing"] == "the ast analyzer has no result in this analysis"
    assert (ra_id, "coupling") in _rows(web.engine, ra_id)


def test_results_stored_by_the_store_carry_aggregates_only_for_an_analysis_that_is_shown(web: Any) -> None:
    from tests.db.helpers import stored_analysis

    store = web.coe.store
    partial = stored_analysis(store, url="https://example.com/org/half.git", status="partial",
                              results={"git": {"commits": 5}, "ast": None})
    failed = stored_analysis(store, url="https://example.com/org/none.git", status="failed", results={"git": None})
    partial_ra, payloads = _payloads(web, partial)
    failed_ra = _payloads(web, failed)[0]
    rows = _rows(web.engine)
    assert payloads == {"git": {"commits": 5}}
    assert rows[(partial_ra, "figures")][1] == aggregates.aggregate(payloads)["figures"] and ["Commits", 5] in rows[(partial_ra, "figures")][1]
    assert "ast" in rows[(partial_ra, "hotspots")][1]["missing"]
    assert not any(ra == failed_ra for ra, _chart in rows)  # never shown, so never aggregated


def test_a_newer_failed_analysis_is_named_beside_the_one_shown(web: Any, seed: Any) -> None:
    url = "https://example.org/flaky.git"
    seed(results={"git": {"commits": 21}}, url=url, name="flaky")
    failed = seed(status="failed", results={}, url=url, name="flaky")
    with unit_of_work(web.engine, write=True) as session:
        ra = session.scalars(select(RepositoryAnalysis).where(RepositoryAnalysis.request_id == failed)).one()
        session.add(AnalysisResult(repository_analysis_id=ra.id, analyzer="git", analyzer_version="1", options_hash="x",
                                   status="failed", data=None, error="git: <the clone was refused>", cache_key="git-failed"))
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    page = _signed_in(web).get(f"/dashboard/repositories/{repository_id}").get_data(as_text=True)
    assert f"analysis {failed}</a>" in page and "failed: git: &lt;the clone was refused&gt;" in page
    assert "<dd>21</dd>" in page and "shown here is the latest analysis with results" in page  # the older one, still shown

    only_failed = seed(status="failed", results={}, name="broken")
    broken = next(r["id"] for r in web.coe.store.list_repositories().items if r["name"] == "broken")
    page = _signed_in(web).get(f"/dashboard/repositories/{broken}").get_data(as_text=True)
    assert f"analysis {only_failed}</a>" in page and "has no analysis with results" in page
