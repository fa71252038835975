"""The dashboard over HTTP (no browser): sign-in rules, portfolio queries, chart data, bad input."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.db.portfolio import PortfolioError, measure_history, portfolio_page


def _ast(functions: int, mean: float, p90: float) -> dict[str, Any]:
    return {"totals": {"files": 2, "loc": 100, "functions": functions}, "complexity_percentiles": {"mean": mean, "p90": p90}}


def _code_file(engine: Any, repository: str, language: str) -> None:
    """A code_files row (what the ast analyzer's table_rows write) for a repository's newest analysis."""
    from sqlalchemy import select

    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.models import AnalysisResult, CodeFile, Repository, RepositoryAnalysis

    with unit_of_work(engine, write=True) as session:
        ra = session.scalars(select(RepositoryAnalysis).join(Repository).where(Repository.name == repository).order_by(RepositoryAnalysis.id.desc())).first()
        result = session.scalars(select(AnalysisResult).where(AnalysisResult.repository_analysis_id == ra.id)).first()
        session.add(CodeFile(repository_analysis_id=ra.id, analysis_result_id=result.id, path="a.py", language=language))


def _signed_in(web: Any) -> Any:
    client = web.app.test_client()
    response = client.post("/dashboard/sign-in", data={"token": web.tokens["read"], "next": "/dashboard/"})
    assert response.status_code == 303
    return client


def test_the_cookie_is_http_only_strict_session_and_secure_over_https(web: Any) -> None:
    client = web.app.test_client()
    plain = client.post("/dashboard/sign-in", data={"token": web.tokens["read"]})
    cookie = plain.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/dashboard" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie and "Secure" not in cookie
    secure = client.post("/dashboard/sign-in", data={"token": web.tokens["read"]}, base_url="https://coe.example")
    assert "Secure" in secure.headers["Set-Cookie"]


def test_cross_site_sign_in_and_out_are_refused_and_next_stays_on_the_dashboard(web: Any) -> None:
    client = web.app.test_client()
    token = web.tokens["read"]
    assert client.post("/dashboard/sign-in", data={"token": token}, headers={"Origin": "https://evil.example"}).status_code == 403
    assert client.post("/dashboard/sign-in", data={"token": token}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert client.post("/dashboard/sign-out", headers={"Origin": "null"}).status_code == 403
    for target in ("https://evil.example/", "//evil.example/x", "/api/v1/analyses", "/dashboard\\@evil"):
        response = client.post("/dashboard/sign-in", data={"token": token, "next": target})
        assert response.headers["Location"].endswith("/dashboard/"), target


def test_a_bad_token_is_refused_and_the_api_ignores_the_cookie(web: Any) -> None:
    client = web.app.test_client()
    refused = client.post("/dashboard/sign-in", data={"token": "coe_not-a-real-token-at-all-0000000000"})
    assert b"refused" in refused.data and "Set-Cookie" not in refused.headers
    signed = _signed_in(web)
    assert signed.get("/dashboard/").status_code == 200
    assert signed.get("/api/v1/repositories").status_code == 401  # the cookie is not an API credential
    assert signed.get("/dashboard/data/repositories/1/ranks").status_code == 404  # signed in, unknown repository
    assert client.get("/dashboard/data/repositories/1/ranks").status_code == 401


def test_with_auth_off_loopback_needs_no_sign_in(web_database_url: str, tmp_path: Any) -> None:
    from tests.webapp.conftest import build_web

    built = build_web(web_database_url, tmp_path, auth="off")
    try:
        assert built.app.test_client().get("/dashboard/").status_code == 200
    finally:
        built.coe.shutdown()


def test_portfolio_sorts_filters_and_pages_in_the_database(web: Any, seed: Any) -> None:
    seed(results={"ast": _ast(10, 2.5, 4), "techspec": {"languages": {"Python": {"bytes": 900}}, "language_totals": {"bytes": 900}}},
         url="https://example.org/alpha.git", name="alpha")
    seed(results={"ast": _ast(30, 6.0, 12), "git": {"truck_factor": {"value": 2}, "hotspots": [{"path": "b.py"}, {"path": "c.py"}]}},
         url="https://example.org/beta.git", name="beta")
    seed(results={"ast": _ast(20, 4.0, 8)}, url="https://example.org/beta.git", name="beta")  # beta's newer analysis
    seed(status="failed", results={}, url="https://example.org/gamma.git", name="gamma")
    engine = web.engine
    _code_file(engine, "alpha", "python")
    by_name = portfolio_page(engine)
    assert [r["name"] for r in by_name.rows] == ["alpha", "beta", "gamma"] and by_name.total == 3
    by_functions = portfolio_page(engine, sort="functions", descending=True)
    assert [(r["name"], r["functions"]) for r in by_functions.rows] == [("beta", 20.0), ("alpha", 10.0), ("gamma", None)]
    assert portfolio_page(engine, sort="p90_complexity").rows[0]["p90_complexity"] == 4.0
    assert [r["name"] for r in portfolio_page(engine, language="Python").rows] == ["alpha"]
    assert [r["name"] for r in portfolio_page(engine, name="ET").rows] == ["beta"]
    assert [r["name"] for r in portfolio_page(engine, name="%").rows] == []  # LIKE wildcards are literal
    second = portfolio_page(engine, page=2, per_page=2)
    assert [r["name"] for r in second.rows] == ["gamma"] and second.pages == 2
    beta = next(r["id"] for r in by_name.rows if r["name"] == "beta")
    assert [p["value"] for p in measure_history(engine, [beta], "functions")[beta]] == [30.0, 20.0]
    assert by_name.rows[1]["truck_factor"] is None  # the newest analysis of beta has no git result
    assert [p["value"] for p in measure_history(engine, [beta], "hotspots")[beta]] == [2, None]  # counted in the database
    seed(results={"git": {"hotspots": [{"path": "a.py"}] * 3}}, url="https://example.org/delta.git", name="delta")
    seed(results={"git": {"hotspots": {"not": "an array"}}}, url="https://example.org/eps.git", name="eps")
    by_hotspots = portfolio_page(engine, sort="hotspots", descending=True)
    assert [(r["name"], r["hotspots"]) for r in by_hotspots.rows][:2] == [("delta", 3), ("alpha", None)]
    assert {r["name"]: r["hotspots"] for r in by_hotspots.rows}["eps"] is None  # not an array: no count, no error
    with pytest.raises(PortfolioError):
        portfolio_page(engine, sort="password")
    with pytest.raises(PortfolioError):
        measure_history(engine, [beta], "last_commit_at")


def test_bad_input_on_dashboard_pages(web: Any, seed: Any) -> None:
    client = _signed_in(web)
    assert client.get("/dashboard/?sort=nope").status_code == 422
    assert client.get("/dashboard/?page=-1&q=%00%27").status_code == 200  # a bad page number is page 1
    repository = web.coe.store.list_repositories().items if seed(results={"ast": _ast(1, 1, 1)}) else []
    repository_id = repository[0]["id"]
    assert client.get(f"/dashboard/data/repositories/{repository_id}/nothing").status_code == 404
    assert client.get(f"/dashboard/data/repositories/{repository_id}/history?measure=drop").status_code == 422
    missing = client.get(f"/dashboard/data/repositories/{repository_id}/coupling").get_json()
    assert missing["rows"] == [] and "git" in missing["missing"]  # says what is missing
    assert client.get(f"/dashboard/repositories/{repository_id}/download/sbom").status_code == 404
    page = client.get("/dashboard/repositories/99999999999999999999")
    assert page.status_code == 404 and b"Not found" in page.data


def test_chart_data_is_compressed_when_accepted(web: Any, seed: Any) -> None:
    files = {f"src/module_{i}.py": {"loc": 10 + i, "complexity": i, "symbols": [{"kind": "function", "name": f"f{i}", "complexity": i}]} for i in range(60)}
    seed(results={"ast": {"files": files}})
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    client = _signed_in(web)
    plain = client.get(f"/dashboard/data/repositories/{repository_id}/tree")
    packed = client.get(f"/dashboard/data/repositories/{repository_id}/tree", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and len(packed.data) < len(plain.data)
    assert len(plain.get_json()["rows"]) == 60


@pytest.mark.parametrize("language", ['"', "'", "a.b", "$[0]", "\\", "}{"])
def test_hostile_language_filters_match_nothing(web: Any, seed: Any, language: str) -> None:
    seed(results={"ast": _ast(1, 1, 1)}, name="one")
    _code_file(web.engine, "one", "python")
    assert portfolio_page(web.engine, language=language).rows == []


def test_system_health_needs_the_admin_scope(web: Any, seed: Any) -> None:
    seed()
    reader = _signed_in(web)
    assert reader.get("/dashboard/health").status_code == 403
    assert reader.get("/dashboard/data/health/jobs").status_code == 403
    admin = web.app.test_client()
    admin.post("/dashboard/sign-in", data={"token": web.tokens["admin"]})
    web.client.as_token(web.tokens["read"]).get("/api/v1/analyses")
    web.coe.api_log.flush()
    assert admin.get("/dashboard/health").status_code == 200
    routes = admin.get("/dashboard/data/health/routes").get_json()["rows"]
    assert any(r["route"] == "/api/v1/analyses" and r["requests"] >= 1 for r in routes)
    assert admin.get("/dashboard/data/health/nothing").status_code == 404


def test_a_third_party_result_is_shown_from_what_its_analyzer_declares(web: Any, seed: Any, manager_with: Any) -> None:
    from tests.db.analyzers import Inventory

    class Summarized(Inventory):
        def summary(self, data: dict[str, Any]) -> dict[str, Any]:
            return {"files counted": len(data["files"]), "nested": {"ignored": True}}

    class Broken(Inventory):
        name = "broken"

        def summary(self, data: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("secret internals")

    manager = manager_with(Summarized(), Broken())
    web.coe.manager_factory = lambda: manager
    files = {"a.py": {"lines": 3, "size": 30}, "b.txt": {"lines": 1, "size": 5}}
    seed(results={"inventory": {"files": files}, "broken": {"files": files}, "gone": {"x": 1}}, name="third")
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    page = _signed_in(web).get(f"/dashboard/repositories/{repository_id}").get_data(as_text=True)
    inventory = page[page.index('id="plugin-inventory"'):]  # sections in name order: broken, gone, inventory
    assert "files counted" in inventory and "<dd>2</dd>" in inventory and "ignored" not in inventory
    assert "code_files (2 rows)" in inventory and "ast_nodes (1 rows)" in inventory and "requests" in inventory
    assert "RuntimeError while describing the result" in page and "secret internals" not in page
    assert "the analyzer &#39;gone&#39; is not installed" in page


def test_charts_of_an_analysis_without_git_and_ast_say_both_are_missing() -> None:
    from coe_webapp.dashboard.charts import REPOSITORY_CHARTS, hotspots

    assert hotspots({})["missing"] == "the git and ast analyzers have no result in this analysis"
    for name, build in REPOSITORY_CHARTS.items():
        assert build({"techspec": {}})["rows"] == [], name


def test_plugins_contribute_dashboard_panels_shown_as_text(web: Any, seed: Any) -> None:
    from coe_framework.plugin.hookspecs import hookimpl
    from coe_framework.plugin.manager import PluginManager

    class Panels:
        @hookimpl
        def coe_dashboard_panels(self, repository: dict[str, Any], results: dict[str, Any], register: Any) -> None:
            register({"title": f"Hot files of {repository['name']}", "figures": {"commits": results["git"]["commits"]},
                      "columns": ["path", "note"], "rows": [{"path": "a.py", "note": "<script>alert(1)</script>"}]})
            register({"figures": "no title"})

    class Raises:
        @hookimpl
        def coe_dashboard_panels(self, repository: dict[str, Any], results: dict[str, Any], register: Any) -> None:
            raise RuntimeError("boom")

    manager = PluginManager({})
    manager.register(Panels(), "panels")
    manager.register(Raises(), "raises")
    web.coe.manager_factory = lambda: manager
    seed(results={"git": {"commits": 41}}, name="paneled")
    repository_id = web.coe.store.list_repositories().items[0]["id"]
    page = _signed_in(web).get(f"/dashboard/repositories/{repository_id}").get_data(as_text=True)
    assert "Hot files of paneled" in page and "<dd>41</dd>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert page.count('class="card panel"') == 1  # the malformed panel is left out, the raising hook too
    assert "boom" in manager.load_errors["raises"] and "title" in manager.load_errors["panels"]
