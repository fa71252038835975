"""The dashboard's routes: pages rendered on the server, chart data as small JSON tables.

Everything lives under ``/dashboard`` (``/`` redirects there). Pages and
chart data read the same database the API reads: the portfolio through
:mod:`coe_framework.db.portfolio`, a repository page's figures and charts
from the aggregates stored per repository analysis
(:mod:`coe_framework.db.chart_aggregates`), so a cold request reads one
small row, never a whole result document; what was read is kept per process,
since a finished analysis never changes. Only the file page, the SBOM
download and plugin panels read whole payloads. No page downloads a result
document.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from apiflask import APIBlueprint
from flask import Response, current_app, jsonify, redirect, render_template, request, url_for

from sqlalchemy import func, select

from coe_framework.vulns import queries as vulns
from coe_framework.analysis.cache import MemoryCache
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import DependencyVulnerability, Vulnerability
from coe_framework.analysis import aggregates
from coe_framework.db import portfolio as folio

from ..problems import Problem
from . import charts, signin

bp = APIBlueprint("dashboard", __name__, enable_openapi=False, template_folder="../templates",
                  static_folder="../static", static_url_path="/static")
PREFIX = "/dashboard"
PER_PAGE = 50
#: The loaded results (and page figures) of this many repository analyses are kept per process.
CHART_CACHE_ENTRIES = 64
#: Aggregated chart tables (small) kept per process: about 14 per repository analysis.
CHART_TABLE_ENTRIES = 1024


class PageNotFound(Exception):
    """An unknown id or path on a dashboard page: the dashboard's own 404 page."""


def _chart_cache(tables: bool = False) -> MemoryCache:
    if tables:
        return current_app.extensions.setdefault("coe_dashboard_chart_tables", MemoryCache(max_entries=CHART_TABLE_ENTRIES))
    return current_app.extensions.setdefault("coe_dashboard_charts", MemoryCache(max_entries=CHART_CACHE_ENTRIES))


def _store() -> Any:
    return current_app.extensions["coe"].store


@bp.errorhandler(signin.SignInRequired)
def _sign_in_required(exc: signin.SignInRequired) -> Any:
    if request.path.startswith(f"{PREFIX}/data/"):
        return jsonify({"detail": exc.reason, "sign_in": url_for("dashboard.sign_in")}), 401
    return redirect(url_for("dashboard.sign_in", next=request.full_path.rstrip("?"), reason=exc.reason), code=303)


@bp.errorhandler(PageNotFound)
def _not_found(exc: PageNotFound) -> Any:
    return render_template("dashboard_not_found.html", detail=str(exc)), 404


def _page(template: str, **context: Any) -> str:
    return render_template(template, auth_enabled=signin.auth_enabled(), **context)


# -- sign-in ---------------------------------------------------------------------


@bp.get("/")
def root() -> Response:
    return redirect(url_for("dashboard.portfolio"))


@bp.route(f"{PREFIX}/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return _page("dashboard_sign_in.html", reason=request.args.get("reason", "")[:300], next=request.args.get("next", ""))
    signin.check_same_origin()
    token = (request.form.get("token") or "").strip()
    target = request.form.get("next")
    try:
        return signin.signed_in(token, target)
    except Problem as exc:
        # The form again, with the reason (200: the page itself loaded fine; nothing was signed in).
        return _page("dashboard_sign_in.html", reason=f"That token was refused: {exc.message}.", next=target or "")


@bp.post(f"{PREFIX}/sign-out")
def sign_out() -> Response:
    signin.check_same_origin()
    return signin.signed_out()


# -- portfolio -------------------------------------------------------------------


def _text_arg(name: str, limit: int) -> str | None:
    """A filter typed by the user: printable characters only (no NUL reaches the database), bounded."""
    text = "".join(ch for ch in request.args.get(name, "") if ch.isprintable()).strip()[:limit]
    return text or None


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else default


@bp.get(f"{PREFIX}/")
def portfolio() -> Any:
    signin.dashboard_principal()
    sort = request.args.get("sort", "name")
    measure = request.args.get("trend", "mean_complexity")
    try:
        page = folio.portfolio_page(
            current_app.extensions["coe"].engine, sort=sort, descending=request.args.get("order") == "desc",
            name=_text_arg("q", 200), language=_text_arg("language", 64),
            page=_int_arg("page", 1), per_page=PER_PAGE)
        trends = folio.measure_history(current_app.extensions["coe"].engine, [r["id"] for r in page.rows], measure, limit=30)
    except folio.PortfolioError as exc:
        raise Problem(422, str(exc)) from None
    return _page("dashboard_portfolio.html", page=page, trends=trends, measures=folio.MEASURES, trend=measure,
                 trend_measures=folio.TREND_MEASURES, sort=sort, order=request.args.get("order", "asc"),
                 q=_text_arg("q", 200) or "", language=_text_arg("language", 64) or "")


# -- one repository --------------------------------------------------------------


def _repository(repository_id: int) -> dict[str, Any]:
    found = _store().get_repository(repository_id)
    if found is None:
        raise PageNotFound(f"There is no repository {repository_id}.")
    return found


def _engine() -> Any:
    return current_app.extensions["coe"].engine


def _latest(repository_id: int) -> dict[str, Any] | None:
    return folio.latest_repository_analysis(_engine(), repository_id)


def _analysis_key(latest: Mapping[str, Any]) -> str:
    # The analysis id is never reused (unlike a repository analysis id on SQLite), so a cached entry never outlives its rows.
    return f"{latest['analysis_id']}:{latest['id']}"


def _payloads(latest: Mapping[str, Any]) -> dict[str, Any]:
    """The succeeded payloads of a repository analysis by analyzer: the whole documents, for the pages that need them.

    Only the file page, the SBOM download, plugin panels and a chart's first
    view of an analysis stored without aggregates read these; kept per process.
    """

    return _cached(_analysis_key(latest), lambda: folio.result_payloads(_engine(), latest["id"]), tables=False)


def _cached(key: str, build: Callable[[], Any], tables: bool = True) -> Any:
    cache = _chart_cache(tables)
    found = cache.get(key)
    if found is None:
        found = build()
        cache.put(key, found)
    return found


def _charts(repository_id: int) -> dict[str, Any]:
    """What the repository page itself shows of its latest analysis: figures, plugin views and panels, errors.

    Built once per repository analysis and process from small reads: the
    stored figures, each analyzer's status, and the payloads of third-party
    analyzers only; each chart's table comes on its own request (:func:`_chart`).
    """
    latest = _latest(repository_id)
    if latest is None:
        return {"analysis": None}

    def build() -> dict[str, Any]:
        coe = current_app.extensions["coe"]
        errors = folio.analyzer_errors(_engine(), latest["id"])
        others = folio.result_payloads(_engine(), latest["id"], exclude=sorted(charts.BUILT_IN))
        panels: list[dict[str, Any]] = []
        if coe.manager.pm.hook.coe_dashboard_panels.get_hookimpls():  # only then are the whole documents needed
            panels = charts.plugin_panels(coe.manager, _store().get_repository(repository_id) or {}, _payloads(latest))
        return {
            "analysis": latest,
            "errors": errors,
            "figures": [tuple(f) for f in _aggregate(latest, aggregates.FIGURES)],
            "plugins": charts.plugin_views(others, coe.manager.analyzers),
            "panels": panels,
        }

    return _cached(f"page:{_analysis_key(latest)}", build)


def _aggregate(latest: Mapping[str, Any], name: str) -> Any:
    """One stored aggregate of a repository analysis (computed and stored on the first view of an older analysis)."""
    return _cached(f"{_analysis_key(latest)}:{name}", lambda: aggregates.chart(_engine(), latest["id"], name, lambda: _payloads(latest)))


def _chart(repository_id: int, chart: str) -> dict[str, Any]:
    """One chart's table of a repository's latest analysis: its stored aggregate."""
    latest = _latest(repository_id)
    if latest is None:
        return charts.table((), [])
    return _aggregate(latest, chart)


@bp.get(f"{PREFIX}/repositories/<int:repository_id>")
def repository(repository_id: int) -> Any:
    signin.dashboard_principal()
    repo = _repository(repository_id)
    bundle = _charts(repository_id)
    shown = bundle["analysis"]
    newest = folio.newest_repository_analysis(_engine(), repository_id)
    # A newer analysis that failed, was cancelled or is still running: said beside the one shown.
    newer = newest if newest and newest["status"] not in folio.SHOWN_STATUSES and (shown is None or newest["id"] > shown["id"]) else None
    return _page("dashboard_repository.html", repository=repo, analysis=shown, newer=newer, errors=bundle.get("errors", {}),
                 figures=bundle.get("figures", []), plugins=bundle.get("plugins", []), panels=bundle.get("panels", []), measures=folio.MEASURES,
                 trend_measures=folio.TREND_MEASURES)


@bp.get(f"{PREFIX}/data/repositories/<int:repository_id>/<chart>")
def chart_data(repository_id: int, chart: str) -> Any:
    signin.dashboard_principal()
    _repository(repository_id)
    if chart == "history":
        measure = request.args.get("measure", "mean_complexity")
        if measure not in folio.TREND_MEASURES:
            raise Problem(422, f"unknown measure '{measure[:64]}' (one of {', '.join(folio.TREND_MEASURES)})")
        latest = _latest(repository_id)
        # Kept per newest analysis and measure: a new analysis of the repository starts a new key.
        return _cached(f"{_analysis_key(latest) if latest else 'none'}:history:{measure}", lambda: _history(repository_id, measure))
    if chart == "vulnerabilities":
        return _vulnerabilities(repository_id)
    if chart not in charts.REPOSITORY_CHARTS:
        raise Problem(404, f"there is no chart '{chart[:64]}'")
    return _chart(repository_id, chart)


VULNERABILITY_COLUMNS = (("package", "Package"), ("ecosystem", "Ecosystem"), ("version", "Version or constraint"),
                         ("advisory", "Advisory"), ("severity", "Severity"), ("cvss", "CVSS"), ("status", "Status"),
                         ("fixed", "Fixed in"), ("manifest", "Manifest"))


def _vulnerabilities(repository_id: int) -> dict[str, Any]:
    """The latest analysis' dependencies matched to known advisories, read live: an import of
    advisories changes them without a new analysis, so they are never a stored aggregate."""
    latest = _latest(repository_id)
    if latest is None:
        return charts.table((), [])
    with unit_of_work(_engine()) as session:
        loaded = session.scalar(select(Vulnerability.id).limit(1)) is not None
        found = vulns.hits(session, vulns.hits_query(repository_analysis_ids=[latest["id"]]), limit=charts.MAX_ROWS)
        total = session.scalar(select(func.count(DependencyVulnerability.id)).where(DependencyVulnerability.repository_analysis_id == latest["id"]))
    rows = [{"package": h["dependency"]["name"], "ecosystem": h["dependency"]["ecosystem"],
             "version": h["dependency"]["version"] or h["dependency"]["constraint"],
             "advisory": " ".join([h["vulnerability"]["id"], *(f"({a})" for a in h["vulnerability"]["aliases"][:2])]),
             "severity": h["vulnerability"]["severity"], "cvss": h["vulnerability"]["cvss_score"],
             "status": "affected" if h["status"] == "affected" else "may resolve to an affected version",
             "fixed": h["fixed_version"], "manifest": h["dependency"]["manifest"]} for h in found]
    missing = {} if loaded else {"missing": "no advisory is loaded: import OSV data with coe vulns import (docs/vulnerabilities.md)"}
    return charts.table(VULNERABILITY_COLUMNS, rows, total=total, **missing)


def _history(repository_id: int, measure: str) -> dict[str, Any]:
    points = folio.measure_history(current_app.extensions["coe"].engine, [repository_id], measure)[repository_id]
    rows = [{"analysis": p["analysis_id"], "date": p["commit_date"] or p["analyzed_at"], "value": p["value"]} for p in points]
    return charts.table((("analysis", "Analysis"), ("date", "Commit date"), ("value", folio.MEASURES[measure].label)), rows)


@bp.get(f"{PREFIX}/repositories/<int:repository_id>/files/<path:path>")
def file_page(repository_id: int, path: str) -> Any:
    signin.dashboard_principal()
    repo = _repository(repository_id)
    latest = _latest(repository_id)
    details = charts.file_details(_payloads(latest), path) if latest is not None else None
    if details is None:
        raise PageNotFound(f"No analyzer saw a file named {path!r} in {repo['name']}'s latest analysis.")
    return _page("dashboard_file.html", repository=repo, analysis=latest, file=details)


def _download(body: bytes, media_type: str, filename: str) -> Response:
    response = Response(body, mimetype=media_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get(f"{PREFIX}/repositories/<int:repository_id>/download/<kind>")
def download(repository_id: int, kind: str) -> Response:
    """The SBOM, SARIF log or Markdown report of the repository's latest analysis (as the API renders them)."""
    from coe_framework.outputs.report import report_for
    from coe_framework.outputs.sarif import sarif_for
    from coe_plugins.techspec.sbom import build_sbom

    from ..api.common import json_bytes
    from ..database import db

    signin.dashboard_principal()
    repo = _repository(repository_id)
    analysis = _latest(repository_id)
    if analysis is None or kind not in ("sbom", "sarif", "report"):
        raise PageNotFound(f"There is no {kind[:32]} download for {repo['name']}.")
    stem = f"{repo['name']}-{(analysis['commit'] or 'unknown')[:12]}"
    if kind == "sarif":
        return _download(json_bytes(sarif_for(db.session, analysis["analysis_id"], 10)), "application/sarif+json", f"{stem}.sarif")
    if kind == "report":
        return _download(report_for(db.session, analysis["analysis_id"], 10).encode("utf-8"), "text/markdown", f"{stem}.md")
    techspec = folio.result_payloads(_engine(), analysis["id"], only=["techspec"]).get("techspec")
    if techspec is None:
        raise PageNotFound(f"{repo['name']}'s latest analysis has no techspec result, so there is no SBOM.")
    document = build_sbom(techspec, {"name": repo["name"], "url": repo["url"], "commit": analysis["commit"],
                                     "analyzed_at": analysis["analyzed_at"]})
    return _download(json_bytes(document), "application/vnd.cyclonedx+json", f"{stem}.cdx.json")


@bp.app_template_filter("figure")
def figure(value: Any) -> str:
    """A number as the dashboard shows it (thousands separated, two decimals at most)."""
    if isinstance(value, bool) or value is None:
        return "–" if value is None else str(value)
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    if isinstance(value, (int, float)):
        return f"{int(value):,}"
    return str(value)


def sort_link(args: Mapping[str, str], key: str) -> str:
    """The portfolio URL sorted by ``key`` (toggling the order when it already is)."""
    current, order = args.get("sort", "name"), args.get("order", "asc")
    flipped = "desc" if current == key and order == "asc" else "asc"
    return url_for("dashboard.portfolio", **{**args, "sort": key, "order": flipped, "page": 1})


@bp.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"sort_link": sort_link}


# -- analyses --------------------------------------------------------------------


@bp.get(f"{PREFIX}/analyses")
def analyses() -> Any:
    signin.dashboard_principal()
    page = _store().list_analyses(limit=PER_PAGE)
    return _page("dashboard_analyses.html", analyses=page.items)


def _analysis(analysis_id: int) -> dict[str, Any]:
    found = _store().get_analysis(analysis_id)
    if found is None:
        raise PageNotFound(f"There is no analysis {analysis_id}.")
    return found


@bp.get(f"{PREFIX}/analyses/<int:analysis_id>")
def analysis(analysis_id: int) -> Any:
    """An analysis: live progress while it runs, then each repository's outcome and the correlations."""
    from coe_framework.outputs.insights import correlations_for

    from ..database import db

    signin.dashboard_principal()
    found = _analysis(analysis_id)
    outcomes = folio.result_outcomes(current_app.extensions["coe"].engine, analysis_id)
    pairs = correlations_for(db.session, analysis_id) if found["status"] in ("succeeded", "partial") else []
    correlations = charts.table(
        (("a", "Repository"), ("b", "Repository"), ("similarity", "Similarity"), ("dependencies", "Shared dependencies"),
         ("contributors", "Shared contributors")),
        [{"a": p["repository_a"]["name"], "b": p["repository_b"]["name"], "similarity": p["similarity"],
          "dependencies": len(p["shared_dependencies"] or []), "contributors": len(p["shared_contributors"] or [])} for p in pairs])
    return _page("dashboard_analysis.html", analysis=found, outcomes=outcomes, correlations=correlations,
                 finished=found["status"] in ("succeeded", "partial", "failed", "cancelled"))


@bp.get(f"{PREFIX}/analyses/<int:analysis_id>/events")
def analysis_events(analysis_id: int) -> Response:
    """The API's event stream of an analysis, for the signed-in browser (EventSource cannot send a bearer token)."""
    from ..api.analyses import event_stream

    signin.dashboard_principal()
    return event_stream(_analysis(analysis_id))


# -- system health ---------------------------------------------------------------


def _admin() -> None:
    if "admin" not in signin.dashboard_principal().scopes:
        raise Problem(403, "the system health page needs a token with the 'admin' scope", kind="insufficient-scope")


def _gauges() -> list[dict[str, Any]]:
    coe = current_app.extensions["coe"]
    return [{"gauge": name.removeprefix("coe_"), "labels": ", ".join(f"{k}={v}" for k, v in sorted(labels.items())), "value": round(value, 4)}
            for name, _doc, labels, value in coe.metrics.gauges()]


@bp.get(f"{PREFIX}/health")
def health() -> Any:
    """Database pool, API latency and errors (from api_logs), cache hit ratios, queue depth, workers, job durations."""
    from coe_framework.db import health as ops

    _admin()
    engine = current_app.extensions["coe"].engine
    api = ops.api_summary(engine)
    queue = ops.queue_summary(engine)
    gauges = {(g["gauge"], g["labels"]): g["value"] for g in _gauges()}
    figures = [
        ("API requests (last hour)", api["requests"]),
        ("API p95 (ms)", round(api["p95_ms"], 1) if api["p95_ms"] is not None else None),
        ("API p50 (ms)", round(api["p50_ms"], 1) if api["p50_ms"] is not None else None),
        ("Server error rate", f"{api['error_rate'] * 100:.2f}%" if api["error_rate"] is not None else None),
        ("Queued", queue["by_status"].get("queued", 0)),
        ("Running", queue["by_status"].get("running", 0)),
        ("Workers with a lease", len(queue["workers"])),
        ("Pool in use", gauges.get(("db_pool_connections", "state=in_use"))),
        ("Pool overflow", gauges.get(("db_pool_connections", "state=overflow"))),
        ("Query p95 (ms, this process)", gauges.get(("db_query_p95_ms", ""))),
        ("Result cache hit ratio", gauges.get(("cache_hit_ratio", "cache=web_results"))),
    ]
    return _page("dashboard_health.html", figures=[(label, value) for label, value in figures if value is not None], queue=queue)


@bp.get(f"{PREFIX}/data/health/<chart>")
def health_data(chart: str) -> Any:
    from coe_framework.db import health as ops

    _admin()
    engine = current_app.extensions["coe"].engine
    if chart == "jobs":
        return charts.table((("analysis", "Analysis"), ("status", "Status"), ("wait_s", "Waited (s)"), ("run_s", "Ran (s)")), ops.job_durations(engine))
    if chart == "routes":
        return charts.table((("route", "Route"), ("requests", "Requests"), ("server_errors", "5xx"), ("client_errors", "4xx"),
                             ("mean_ms", "Mean (ms)"), ("max_ms", "Max (ms)")), ops.api_summary(engine)["routes"])
    if chart == "gauges":
        return charts.table((("gauge", "Gauge"), ("labels", "Labels"), ("value", "Value")), _gauges())
    raise Problem(404, f"there is no chart '{chart[:64]}'")
