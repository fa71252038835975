"""The dashboard in a real browser: headless Chromium (Debian's package) driven by Playwright.

One database seeded with real analyses of generated repositories, one
server and one browser for the whole module. Each page must load without a
console error, each chart must hold exactly the rows its data endpoint
returns, links must lead portfolio -> repository -> file, a 360 px wide
page must not scroll sideways, and the API docs must render with every
request to another host blocked. Screenshots of every page at 360 and 1920
px go to build/dashboard-screenshots/ (git-ignored).
"""
from __future__ import annotations

import json
import shutil
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from coe_framework.db.engine import get_engine, unit_of_work
from coe_framework.db.models import utcnow
from coe_framework.testing.gitrepo import GitRepoFactory

playwright_sync = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "dashboard-screenshots"
#: axe-core, the accessibility rules engine (MPL-2.0, vendored as a test asset with its licenses).
AXE = Path(__file__).resolve().parent / "assets" / "axe-core" / "axe.min.js"
AXE_RUN = "axe.run(document, {resultTypes: ['violations']}).then(r => r.violations)"
WIDTHS = (360, 1920)
CHARTS = ("hotspots", "tree", "complexity", "ranks", "ownership", "coupling", "age", "activity", "languages", "history")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("no Chromium on this machine (apt-get install chromium; .ci/run installs it)")


def _service_repo(factory: GitRepoFactory) -> Any:
    """A small service: three authors, files that change together, functions of several complexities."""
    repo = factory("orders-service")
    branches = "\n".join(f"    if kind == {i}:\n        return {i}" for i in range(12))
    repo.commit({
        "orders/api.py": f"def route(kind):\n{branches}\n    return None\n\n\ndef ping():\n    return 'ok'\n",
        "orders/models.py": "class Order:\n    def total(self, items):\n        s = 0\n        for i in items:\n            if i:\n                s += i\n        return s\n",
        "orders/__init__.py": "",
        "requirements.txt": "flask==3.0.0\nsqlalchemy>=2.0\n",
        "README.md": "# Orders\n",
    }, "initial service", author=("Grace Hopper", "grace@example.com"))
    for round_ in range(5):
        author = [("Grace Hopper", "grace@example.com"), ("Alan Turing", "alan@example.com"), ("Ada Lovelace", "ada@example.com")][round_ % 3]
        repo.commit({
            "orders/api.py": f"def route(kind):\n{branches}\n    return {round_}\n\n\ndef ping():\n    return 'ok'\n",
            "orders/models.py": f"class Order:\n    def total(self, items):\n        s = {round_ + 1}\n        for i in items:\n            if i:\n                s += i\n        return s\n",
        }, f"change api and models together ({round_})", author=author)
    return repo


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server on loopback over a database holding real analyses; yields its URL and tokens."""
    from werkzeug.serving import make_server

    from coe_framework.analysis.process_store import open_store
    from coe_framework.plugin.manager import PluginManager
    from coe_framework.analysis.service import analyze_repositories
    from coe_webapp import WebSettings, create_app
    from coe_webapp.tokens import issue_token

    root = tmp_path_factory.mktemp("dashboard")
    url = f"sqlite:///{root / 'dashboard.sqlite3'}"
    store = open_store(url)
    factory = GitRepoFactory(root / "repos")
    sample = factory.sample("sample")
    service = _service_repo(factory)
    manager = PluginManager({})
    manager.load_entrypoints()
    analyze_repositories(manager, [str(sample.path), str(service.path)], store=store, workers=1)
    sample.commit({"src/extra.py": "def extra(a, b):\n    if a and b:\n        return 1\n    return 2\n"}, "add extra")
    analyze_repositories(manager, [str(sample.path)], store=store, workers=1)
    engine = get_engine(url)
    with unit_of_work(engine) as session:
        read = issue_token(session, label="dashboard", scopes=["read"]).token
        admin = issue_token(session, label="operator", scopes=["admin"]).token
        past = utcnow() - timedelta(days=2)
        expired = issue_token(session, label="old", scopes=["read"], expires_in=timedelta(days=1), now=past).token
    app = create_app(WebSettings.from_env(database_url=url, flows_dir=str(root / "flows"), check_migrations=False))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "token": read, "admin": admin, "expired": expired, "engine": engine, "store": store, "app": app}
    server.shutdown()
    app.extensions["coe"].shutdown()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = _chromium()
    with playwright_sync.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
        yield launched
        launched.close()


class Visit:
    """A browser context that records console errors and blocks every host but the test server."""

    def __init__(self, browser: Any, site: dict[str, Any], width: int = 1280, bypass_csp: bool = False):
        self.site = site
        # bypass_csp only to inject the accessibility checker: the pages' policy allows no inline script.
        self.context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=bypass_csp)
        self.errors: list[str] = []
        self.outside: list[str] = []
        own = urlsplit(site["url"]).netloc
        self.context.route("**/*", lambda route: route.continue_() if urlsplit(route.request.url).netloc == own or route.request.url.startswith("data:")
                           else (self.outside.append(route.request.url), route.abort()))
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def go(self, path: str) -> Any:
        return self.page.goto(self.site["url"] + path)

    def sign_in(self, token: str | None = None) -> None:
        self.go("/dashboard/sign-in")
        self.page.fill("#token", token or self.site["token"])
        self.page.click("button[type=submit]")

    def charts_ready(self) -> None:
        self.page.wait_for_function("[...document.querySelectorAll('.chart[data-src], .spark')].every(e => e.dataset.ready)")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser: Any, site: dict[str, Any]) -> Iterator[Any]:
    opened: list[Visit] = []

    def make(width: int = 1280, bypass_csp: bool = False) -> Visit:
        opened.append(Visit(browser, site, width, bypass_csp))
        return opened[-1]

    yield make
    for v in opened:
        v.close()


def _repository_id(site: dict[str, Any], name: str) -> int:
    from coe_framework.db.portfolio import portfolio_page

    return next(r["id"] for r in portfolio_page(site["engine"]).rows if r["name"] == name)


def _count(page: Any, chart: str) -> int:
    """Points, bars, leaves or links the chart library holds for one chart."""
    return page.evaluate(
        """(id) => {
            const el = document.getElementById('chart-' + id);
            const option = echarts.getInstanceByDom(el).getOption();
            const series = option.series[0];
            if (series.type === 'treemap') {
                const leaves = (nodes) => nodes.reduce((n, node) => n + (node.children ? leaves(node.children) : 1), 0);
                return leaves(series.data);
            }
            if (series.type === 'graph') return series.links.length;
            return series.data.length;
        }""",
        chart,
    )


def test_sign_in_out_and_a_refused_or_expired_token(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.go("/dashboard/")
    assert "/dashboard/sign-in" in v.page.url  # no token: the sign-in page, never a blank chart
    v.sign_in("coe_" + "x" * 43)
    assert "refused" in v.page.inner_text("main")
    v.sign_in()
    v.page.wait_for_selector("#portfolio")
    cookie = next(c for c in v.context.cookies() if c["name"] == "coe_dashboard")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["expires"] == -1  # a session cookie
    assert "coe_dashboard" not in v.page.evaluate("document.cookie")  # page scripts cannot read it
    assert site["token"] not in v.page.url
    v.page.click("text=Sign out")
    v.page.wait_for_selector("#token")
    v.go("/dashboard/")
    assert "/dashboard/sign-in" in v.page.url
    expired = visit()
    expired.context.add_cookies([{"name": "coe_dashboard", "value": site["expired"], "url": site["url"] + "/dashboard/"}])
    expired.go("/dashboard/")
    assert "/dashboard/sign-in" in expired.page.url and "expired" in expired.page.inner_text("main")
    assert not v.errors and not expired.errors


def test_portfolio_to_repository_to_file_with_charts_holding_the_served_data(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in()
    v.page.wait_for_selector("#portfolio")
    names = v.page.locator("#portfolio tbody a.repo-link").all_inner_texts()
    assert sorted(names) == ["orders-service", "sample"]
    v.charts_ready()
    trends = v.page.evaluate("""[...document.querySelectorAll('#portfolio tbody tr')].map(tr => [
        tr.querySelector('a.repo-link').textContent,
        echarts.getInstanceByDom(tr.querySelector('.spark')).getOption().series[0].data.length])""")
    assert dict(trends) == {"sample": 2, "orders-service": 1}  # one point per stored analysis
    v.page.click("#portfolio a.repo-link:text-is('orders-service')")
    v.page.wait_for_selector("h1:text-is('orders-service')")
    v.charts_ready()
    repository_id = _repository_id(site, "orders-service")
    for chart in CHARTS:
        served = v.page.request.get(f"{site['url']}/dashboard/data/repositories/{repository_id}/{chart}").json()
        assert served["rows"], f"{chart} has no data"
        assert _count(v.page, chart) == len(served["rows"]), chart
        assert v.page.locator(f"#table-{chart} tbody tr").count() == len(served["rows"]), chart
    assert v.page.locator("#table-functions tbody tr").first.inner_text().startswith("route")
    v.page.click("section[aria-labelledby=h-hotspots] summary")
    v.page.click("#table-hotspots a:text-is('orders/api.py')")
    v.page.wait_for_selector("h1.path:text-is('orders/api.py')")
    assert "route" in v.page.inner_text("#file-functions")
    assert "orders/models.py" in v.page.inner_text("#file-coupling")
    assert not v.errors and not v.outside


def test_downloads_and_the_dashboards_own_404(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in()
    repository_id = _repository_id(site, "sample")
    for kind, media in (("sbom", "application/vnd.cyclonedx+json"), ("sarif", "application/sarif+json"), ("report", "text/markdown")):
        response = v.page.request.get(f"{site['url']}/dashboard/repositories/{repository_id}/download/{kind}")
        assert response.status == 200 and response.headers["content-type"].startswith(media)
    sbom = v.page.request.get(f"{site['url']}/dashboard/repositories/{repository_id}/download/sbom").json()
    assert {c["name"] for c in sbom["components"]} >= {"requests", "left-pad"}
    for path in ("/dashboard/repositories/987654", f"/dashboard/repositories/{repository_id}/files/no/such/file.py"):
        response = v.go(path)
        assert response.status == 404 and v.page.inner_text("h1") == "Not found"
    # The browser reports the 404 status of the page itself; nothing else may fail.
    assert [e for e in v.errors if "status of 404" not in e] == []


def test_repository_history_holds_every_stored_analysis(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in()
    repository_id = _repository_id(site, "sample")
    v.go(f"/dashboard/repositories/{repository_id}")
    v.charts_ready()
    v.page.select_option("#history-measure", "functions")
    v.page.wait_for_function("document.getElementById('chart-history').dataset.ready")
    served = v.page.request.get(f"{site['url']}/dashboard/data/repositories/{repository_id}/history?measure=functions").json()
    first, second = (row["value"] for row in served["rows"])  # two analyses, oldest first
    assert second == first + 1  # the second commit added one function
    assert _count(v.page, "history") == 2
    assert not v.errors


@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_the_width_and_is_photographed(visit: Any, site: dict[str, Any], width: int) -> None:
    v = visit(width)
    v.sign_in(site["admin"])
    pages = _pages(site)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, path in pages.items():
        v.go(path)
        v.charts_ready()
        overflow = v.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px"
        v.page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
    v.go("/dashboard/sign-in")
    v.page.screenshot(path=str(SCREENSHOTS / f"sign-in-{width}.png"))
    assert [e for e in v.errors if "status of 404" not in e] == [] and not v.outside


def _pages(site: dict[str, Any]) -> dict[str, str]:
    repository_id = _repository_id(site, "orders-service")
    return {
        "portfolio": "/dashboard/",
        "repository": f"/dashboard/repositories/{repository_id}",
        "file": f"/dashboard/repositories/{repository_id}/files/orders/api.py",
        "analysis": "/dashboard/analyses/1",
        "analyses": "/dashboard/analyses",
        "health": "/dashboard/health",
        "not-found": "/dashboard/repositories/987654",
    }


@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_or_critical_accessibility_violation_on_any_page(visit: Any, site: dict[str, Any], width: int) -> None:
    v = visit(width, bypass_csp=True)
    v.sign_in(site["admin"])
    found: dict[str, list[str]] = {}
    for name, path in {**_pages(site), "sign-in": "/dashboard/sign-in"}.items():
        v.go(path)
        if name != "sign-in":
            v.charts_ready()
        v.page.add_script_tag(path=str(AXE))
        violations = v.page.evaluate(AXE_RUN)
        severe = [f"{x['id']} ({x['impact']}): {x['nodes'][0]['target']}" for x in violations if x["impact"] in ("serious", "critical")]
        if severe:
            found[name] = severe
    assert found == {}
    # The checker does see a violation: a button with no name on the last page.
    v.page.evaluate("document.querySelector('main').append(document.createElement('button'))")
    assert "button-name" in [x["id"] for x in v.page.evaluate(AXE_RUN) if x["impact"] == "critical"]


def test_keyboard_reaches_the_content_and_the_charts_tables(visit: Any) -> None:
    v = visit()
    v.sign_in()
    v.page.wait_for_selector("#portfolio")
    v.page.keyboard.press("Tab")
    assert v.page.evaluate("document.activeElement.className") == "skip"
    v.page.keyboard.press("Enter")
    focused = [v.page.evaluate("document.activeElement.textContent.trim()") for _ in range(40) if v.page.keyboard.press("Tab") is None]
    assert any(text in ("orders-service", "sample") for text in focused)


def test_a_running_analysis_shows_its_progress_live_then_its_outcome(visit: Any, site: dict[str, Any]) -> None:
    store = site["store"]
    running, _created = store.create_request([{"url": "https://example.org/live.git", "name": "live"}], status="running", source="api")
    store.update_request(running["id"], progress=0.25, progress_message="live: ast 3/12 files")
    v = visit()
    v.sign_in()
    v.go(f"/dashboard/analyses/{running['id']}")
    v.page.wait_for_function("document.getElementById('progress').dataset.events_seen")
    assert v.page.inner_text("#stage") == "live: ast 3/12 files"
    store.update_request(running["id"], progress=0.5, progress_message="live: git mining 1200 commits")
    v.page.wait_for_function("document.getElementById('stage').textContent.includes('1200 commits')")
    assert v.page.get_attribute("#progress-bar", "value") == "0.5"
    store.update_request(running["id"], status="failed", error="the repository could not be cloned")
    v.page.wait_for_function("document.getElementById('status').textContent === 'failed' && document.getElementById('progress').dataset.finished")
    assert "could not be cloned" in v.page.inner_text("#progress")
    assert not v.errors


def test_an_analysis_of_two_repositories_shows_each_outcome_and_their_correlation(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in()
    v.go("/dashboard/analyses/1")
    outcomes = v.page.inner_text("#outcomes")
    assert "sample" in outcomes and "orders-service" in outcomes and "ast succeeded" in outcomes
    assert v.page.locator("#correlations tbody tr").count() == 1
    v.page.click("#outcomes a:text-is('orders-service')")
    v.page.wait_for_selector("h1:text-is('orders-service')")
    assert not v.errors


def test_system_health_for_an_operator(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in(site["admin"])
    v.go("/dashboard/")
    site["app"].extensions["coe"].api_log.flush()  # the requests so far are in api_logs now
    v.page.click("text=System health")
    v.page.wait_for_selector("h1:text-is('System health')")
    v.charts_ready()
    for chart in ("jobs", "routes"):
        served = v.page.request.get(f"{site['url']}/dashboard/data/health/{chart}").json()
        assert served["rows"], chart
        assert _count(v.page, chart) == len(served["rows"]), chart
    figures = v.page.inner_text(".figures")
    assert "API p95 (ms)" in figures and "Pool in use" in figures and "Queued" in figures
    reader = visit()
    reader.sign_in()
    assert reader.page.locator("text=System health").count() == 0
    assert reader.go("/dashboard/health").status == 403
    assert not v.errors


def test_api_docs_render_with_no_other_host_reachable(visit: Any) -> None:
    v = visit()
    v.go("/docs")
    v.page.wait_for_selector(".swagger-ui .info .title")
    assert "CoE API" in v.page.inner_text(".swagger-ui .info .title")
    assert v.page.locator(".opblock").count() > 10
    assert not v.outside, f"the docs asked other hosts: {v.outside[:3]}"
    v.page.screenshot(path=str(SCREENSHOTS / "api-docs-1280.png"))


def test_activity_switches_between_months_and_weeks(visit: Any, site: dict[str, Any]) -> None:
    v = visit()
    v.sign_in()
    repository_id = _repository_id(site, "orders-service")
    v.go(f"/dashboard/repositories/{repository_id}")
    v.charts_ready()
    base = f"{site['url']}/dashboard/data/repositories/{repository_id}"
    assert _count(v.page, "activity") == len(v.page.request.get(f"{base}/activity").json()["rows"])
    v.page.select_option("#activity-period", label="week")
    v.page.wait_for_function("document.getElementById('chart-activity').dataset.ready")
    weeks = v.page.request.get(f"{base}/activity-weeks").json()
    assert weeks["rows"] and weeks["columns"][0]["label"] == "Week"
    assert _count(v.page, "activity") == len(weeks["rows"]) and v.page.locator("#table-activity tbody tr").count() == len(weeks["rows"])
    assert not v.errors
