"""Benchmark of the dashboard's server side: a repository page on a real analysis, and a portfolio of 1,000 repositories.

Run by hand (never as a test)::

    COE_DATABASE_URL=sqlite:///$PWD/.coe/dev.db .venv/bin/coe analyze .coe/flask   # a real analysis to read
    .venv/bin/python bench/dashboard_bench.py --database sqlite:///$PWD/.coe/dev.db --repository 1 [--portfolio 1000] [--rounds 20] [--cold-rounds 5] [--first-view-rounds 3]

Part 1, the repository page of ``--repository``: the page itself and every
chart data request it makes, in-process through the app's WSGI interface.
*Cold* is the request as the first one of a fresh app (empty result and
chart caches, as after a restart); *warm* repeats on one app. Reported, for
the page alone, for each data request, and for the page with all its data:
median and worst server time, and the bytes a browser receives with
``Accept-Encoding: gzip, deflate, br, zstd`` (and the static assets, the
vendored ECharts included, on a first visit).

*First view* (``--first-view-rounds``) is the cold page of an analysis
stored without chart aggregates (imported, or stored before they existed):
its ``chart_aggregates`` rows are deleted first, so the page and its data
compute and store them (and the measures) again. *Aggregation* is what
storing the analysis adds: every chart aggregate computed from the loaded
payloads, and the measures read in the database.

Part 2, the portfolio: ``--portfolio`` generated repositories, each with an
analysis whose ast, git and techspec results and dependency rows have the
shapes the analyzers write, in a temporary SQLite database; the median and
worst server time of one page (50 rows) for several sorts and filters.
"""
from __future__ import annotations

import argparse
import gzip
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

ENCODINGS = "gzip, deflate, br, zstd"
CHARTS = ("hotspots", "tree", "complexity", "ranks", "functions", "ownership", "coupling", "age", "activity", "languages", "dependencies", "history")
ASSETS = ("/static/dashboard.css", "/static/dashboard.js", "/static/vendor/echarts/echarts.min.js")


def build_app(url: str) -> Any:
    from coe_webapp import WebSettings, create_app

    app = create_app(WebSettings.from_env(database_url=url, auth="off", flows_dir=tempfile.mkdtemp(), api_log_enabled=False,
                                          rate_limit_enabled=False, check_migrations=False))
    return app


#: CPU seconds of this process spent in the requests timed so far (the app runs in-process): less noisy than wall time.
CPU = {"seconds": 0.0}


def timed(client: Any, path: str) -> tuple[float, int]:
    started, started_cpu = time.perf_counter(), time.process_time()
    response = client.get(path, headers={"Accept-Encoding": ENCODINGS}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    body = response.get_data()
    elapsed = time.perf_counter() - started
    CPU["seconds"] += time.process_time() - started_cpu
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed, len(body)


def _milliseconds(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1000:7.1f} ms, worst {max(values) * 1000:7.1f} ms"


def _latest(url: str, repository_id: int) -> Any:
    from coe_framework.db.engine import get_engine
    from coe_framework.db.portfolio import latest_repository_analysis

    engine = get_engine(url)
    return engine, latest_repository_analysis(engine, repository_id)


def forget_aggregates(url: str, repository_id: int) -> None:
    """Delete the stored chart aggregates of the repository's latest analysis (as for one stored before they existed)."""
    from sqlalchemy import delete

    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.models import ChartAggregate

    engine, latest = _latest(url, repository_id)
    with unit_of_work(engine, write=True) as session:
        session.execute(delete(ChartAggregate).where(ChartAggregate.repository_analysis_id == latest["id"]))


def aggregation(url: str, repository_id: int, rounds: int) -> None:
    """CPU and wall time of computing every aggregate from loaded payloads, and of the measures query."""
    from coe_framework.analysis import aggregates as chart_aggregates
    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.portfolio import analysis_measures, result_payloads

    engine, latest = _latest(url, repository_id)
    payloads = result_payloads(engine, latest["id"])
    wall, cpu, measures = [], [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        chart_aggregates.aggregate(payloads)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
        started = time.perf_counter()
        with unit_of_work(engine) as session:
            analysis_measures(session, [latest["id"]])
        measures.append(time.perf_counter() - started)
    print(f"  aggregation when storing: every chart from the payloads {_milliseconds(wall)} (CPU median "
          f"{statistics.median(cpu) * 1000:.1f} ms); measures read in the database {_milliseconds(measures)}")


def repository_page(url: str, repository_id: int, rounds: int, cold_rounds: int, first_view_rounds: int = 0) -> None:
    page = f"/dashboard/repositories/{repository_id}"
    data = [f"/dashboard/data/repositories/{repository_id}/{c}" for c in CHARTS]
    paths = [page] + data

    def sequence(client: Any) -> float:
        return sum(timed(client, path)[0] for path in paths)

    def cold(path: str | None) -> str:
        """Server time of ``path`` as the first request of a fresh app (None: the page and all its data in order)."""
        times, cpu = [], []
        for _ in range(cold_rounds):
            app = build_app(url)
            client = app.test_client()
            before = CPU["seconds"]
            times.append(sequence(client) if path is None else timed(client, path)[0])
            cpu.append(CPU["seconds"] - before)
            app.extensions["coe"].shutdown()
        return f"{_milliseconds(times)} (CPU median {statistics.median(cpu) * 1000:7.1f} ms)"

    app = build_app(url)
    client = app.test_client()
    sequence(client)
    warm = {path: [timed(client, path)[0] for _ in range(rounds)] for path in paths}
    sizes = {path: timed(client, path)[1] for path in paths}
    raw = {path: len(client.get(path, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data()) for path in paths}
    warm_all = [sequence(client) for _ in range(rounds)]
    assets = sum(timed(client, path)[1] for path in ASSETS)
    app.extensions["coe"].shutdown()
    print(f"repository page {repository_id}: server time in-process; warm over {rounds} rounds, "
          f"cold (first request of a fresh app: empty result and chart caches) over {cold_rounds}")
    print(f"  {'request':44s} {'warm':34s} {'cold':56s} compressed (raw)")
    for path in paths:
        label = "page" if path == page else "data " + path.rsplit("/", 1)[1]
        print(f"  {label:44s} {_milliseconds(warm[path]):34s} {cold(path):56s} "
              f"{sizes[path] / 1024:6.1f} kB ({raw[path] / 1024:.1f} kB)")
    print(f"  {'page with its ' + str(len(data)) + ' data requests':44s} {_milliseconds(warm_all):34s} {cold(None):56s} "
          f"{sum(sizes.values()) / 1024:6.1f} kB ({sum(raw.values()) / 1024:.1f} kB)")
    print(f"  with the static assets on a first visit: {(sum(sizes.values()) + assets) / 1024:.1f} kB compressed")
    if first_view_rounds:
        first, cpu = [], []
        for _ in range(first_view_rounds):
            forget_aggregates(url, repository_id)
            app = build_app(url)
            before = CPU["seconds"]
            first.append(sequence(app.test_client()))
            cpu.append(CPU["seconds"] - before)
            app.extensions["coe"].shutdown()
        print(f"  {'first view, no aggregates stored: page and data':44s} {'':34s} {_milliseconds(first)} "
              f"(CPU median {statistics.median(cpu) * 1000:7.1f} ms)")
        aggregation(url, repository_id, max(1, first_view_rounds))


def generated_portfolio(count: int, seed: int = 7) -> str:
    """A temporary SQLite database holding ``count`` repositories, each analyzed once."""
    from coe_framework.db.engine import get_engine, unit_of_work
    from coe_framework.db.models import AnalysisRequest, AnalysisResult, Repository, RepositoryAnalysis, TechDependency, utcnow
    from coe_migrate.migrate import upgrade

    rng = random.Random(seed)
    url = f"sqlite:///{tempfile.mkdtemp(prefix='coe-portfolio-')}/portfolio.sqlite3"
    engine = get_engine(url)
    upgrade(engine)
    languages = ["Python", "JavaScript", "Go", "Java", "Rust", "TypeScript"]
    with unit_of_work(engine, write=True) as session:
        for i in range(count):
            repo = Repository(url=f"https://git.example.org/team/service-{i:04d}.git", name=f"service-{i:04d}")
            session.add(repo)
            request = AnalysisRequest(repositories=[{"url": repo.url, "name": repo.name}], status="succeeded", source="bench",
                                      progress=1.0, started_at=utcnow(), finished_at=utcnow())
            session.add(request)
            session.flush()
            ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha=f"{i:040x}", status="succeeded",
                                    started_at=utcnow(), finished_at=utcnow())
            session.add(ra)
            session.flush()
            functions = rng.randint(10, 5000)
            mine = rng.sample(languages, 2)
            payloads = {
                "ast": {"totals": {"files": rng.randint(5, 900), "loc": functions * 12, "functions": functions},
                        "complexity_percentiles": {"mean": round(rng.uniform(1, 6), 3), "p90": rng.randint(2, 20)},
                        "files": {f"src/m{j}.py": {"loc": 40, "complexity": 3} for j in range(20)}},
                "git": {"commits": rng.randint(10, 20000), "author_count": rng.randint(1, 400),
                        "truck_factor": {"value": rng.randint(1, 9)}, "last_commit_at": f"2025-{rng.randint(1, 12):02d}-01T00:00:00Z",
                        "hotspots": [{"path": f"src/m{j}.py", "score": 0.1} for j in range(rng.randint(0, 40))]},
                "techspec": {"languages": {name: {"bytes": rng.randint(1000, 10**7)} for name in mine},
                             "language_totals": {"bytes": rng.randint(10**4, 10**8)}},
            }
            for analyzer, data in payloads.items():
                result = AnalysisResult(repository_analysis_id=ra.id, analyzer=analyzer, analyzer_version="1", options_hash="x",
                                        status="succeeded", data=data, cache_key=f"{analyzer}-{i}")
                session.add(result)
                session.flush()
                if analyzer == "techspec":
                    session.add_all(TechDependency(repository_analysis_id=ra.id, analysis_result_id=result.id, ecosystem="pypi",
                                                   name=f"dep{k}", direct=True) for k in range(rng.randint(0, 40)))
    engine.dispose()
    return url


def portfolio(count: int, rounds: int) -> None:
    started = time.perf_counter()
    url = generated_portfolio(count)
    print(f"portfolio of {count} generated repositories (built in {time.perf_counter() - started:.1f} s)")
    app = build_app(url)
    client = app.test_client()
    cases = {
        "by name, page 1": "/dashboard/",
        "by name, page 20": "/dashboard/?page=20",
        "by p90 complexity, descending": "/dashboard/?sort=p90_complexity&order=desc",
        "by dependencies": "/dashboard/?sort=dependencies",
        "by hotspot count, descending": "/dashboard/?sort=hotspots&order=desc",
        "filtered by name": "/dashboard/?q=service-09",
        "filtered by language, trend of functions": "/dashboard/?language=python&trend=functions",
    }
    for label, path in cases.items():
        timed(client, path)
        times = [timed(client, path)[0] for _ in range(rounds)]
        print(f"  {label:42s} median {statistics.median(times) * 1000:6.1f} ms, worst {max(times) * 1000:6.1f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="URL of a database holding a real analysis (part 1)")
    parser.add_argument("--repository", type=int, default=1, help="repository id for part 1")
    parser.add_argument("--portfolio", type=int, default=1000, help="generated repositories for part 2 (0: skip)")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--cold-rounds", type=int, default=5, help="fresh apps per cold figure of part 1")
    parser.add_argument("--first-view-rounds", type=int, default=0,
                        help="part 1: rounds of the first view of the analysis with its chart aggregates deleted first (0: skip)")
    args = parser.parse_args(argv)
    if args.database:
        repository_page(args.database, args.repository, args.rounds, args.cold_rounds, args.first_view_rounds)
    if args.portfolio:
        portfolio(args.portfolio, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
