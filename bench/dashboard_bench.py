"""Benchmark of the dashboard's server side: a repository page on a real analysis, and a portfolio of 1,000 repositories.

Run by hand (never as a test)::

    COE_DATABASE_URL=sqlite:///$PWD/.coe/dev.db .venv/bin/coe analyze .coe/flask   # a real analysis to read
    .venv/bin/python bench/dashboard_bench.py --database sqlite:///$PWD/.coe/dev.db --repository 1 [--portfolio 1000] [--rounds 20]

Part 1, the repository page of ``--repository``: the page itself and every
chart data request it makes, in-process through the app's WSGI interface.
*Cold* builds a fresh app for each round (empty result and chart caches, as
after a restart); *warm* repeats on one app. Reported: median and worst
server time of the page plus all its data requests, and the bytes a browser
receives with ``Accept-Encoding: gzip, deflate, br, zstd``: page and data
alone, and with the dashboard's static assets (the vendored ECharts
included) on a first visit.

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


def timed(client: Any, path: str) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(path, headers={"Accept-Encoding": ENCODINGS}, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    body = response.get_data()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"{path}: HTTP {response.status_code}")
    return elapsed, len(body)


def repository_page(url: str, repository_id: int, rounds: int) -> None:
    paths = [f"/dashboard/repositories/{repository_id}"] + [f"/dashboard/data/repositories/{repository_id}/{c}" for c in CHARTS]

    def one(client: Any) -> tuple[float, int]:
        total, size = 0.0, 0
        for path in paths:
            seconds, length = timed(client, path)
            total, size = total + seconds, size + length
        return total, size

    cold = []
    for _ in range(rounds):
        app = build_app(url)
        cold.append(one(app.test_client())[0])
        app.extensions["coe"].shutdown()
    app = build_app(url)
    client = app.test_client()
    one(client)
    warm = [one(client)[0] for _ in range(rounds)]
    _seconds, data_bytes = one(client)
    assets = sum(timed(client, path)[1] for path in ASSETS)
    raw = sum(len(client.get(p, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_data()) for p in paths)
    print(f"repository page ({len(paths)} requests: the page and {len(CHARTS)} chart data tables)")
    print(f"  cold (fresh app): median {statistics.median(cold) * 1000:.1f} ms, worst {max(cold) * 1000:.1f} ms over {rounds}")
    print(f"  warm:             median {statistics.median(warm) * 1000:.1f} ms, worst {max(warm) * 1000:.1f} ms over {rounds}")
    print(f"  payload: page and data {data_bytes / 1024:.1f} kB compressed ({raw / 1024:.1f} kB uncompressed); "
          f"with static assets on a first visit {(data_bytes + assets) / 1024:.1f} kB")


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
                        "hotspots": [{"path": f"src/m{j}.py", "score": 0.1} for j in range(25)]},
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
    args = parser.parse_args(argv)
    if args.database:
        repository_page(args.database, args.repository, args.rounds)
    if args.portfolio:
        portfolio(args.portfolio, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
