"""``/api/v1/measures``, ``/api/v1/repositories/{id}/measures`` and ``/api/v1/analyses/{id}/gate``."""
from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from coe_framework.analysis.normalize import save_outcome
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import RepositoryAnalysis
from coe_framework.gate.conditions import parse_condition
from coe_framework.gate.evaluate import evaluate
from coe_framework.gate.storage import save_gate
from coe_framework.measures import catalogue
from tests.db.helpers import outcome, prepared

URL = "https://example.com/org/app.git"


def _ast(mean: float, functions: int) -> dict[str, Any]:
    return {"totals": {"files": 2, "loc": 10 * functions, "functions": functions}, "complexity_percentiles": {"mean": mean, "p90": 2 * mean},
            "rank_distribution": {"A": functions, "B": 0, "C": 0, "D": 0, "E": 0, "F": 0}}


def _analysis(web: Any, commit: str, date: str, mean: float, functions: int) -> tuple[int, int]:
    """A stored analysis through the store's own save path (which writes the measures); (request id, repository analysis id)."""
    store = web.coe.store
    request, _ = store.create_request([{"url": URL, "ref": "main", "name": "app"}], analyzers=["ast"], status="running")
    prep = dataclasses.replace(prepared(URL, commit=commit), commit_date=date)
    ra_id = store.start_repository_analysis(request["id"], prep)
    save_outcome(store, ra_id, outcome(prep, {"ast": _ast(mean, functions)}), web.coe.manager)
    store.update_request(request["id"], status="succeeded", progress=1.0)
    return int(request["id"]), ra_id


@pytest.fixture
def two(web: Any) -> tuple[int, int, int]:
    first, _ = _analysis(web, "a" * 40, "2024-01-01T10:00:00+00:00", 2.0, 3)
    second, _ = _analysis(web, "b" * 40, "2024-03-01T10:00:00+00:00", 3.5, 5)
    repository = web.coe.store.find_repository(URL)["id"]
    return repository, first, second


def test_a_repository_trend(web: Any, two: tuple[int, int, int]) -> None:
    repository, first, second = two
    response = web.as_("read").get(f"/api/v1/repositories/{repository}/measures?key=mean_complexity")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [(p["analysis_id"], p["value"], p["commit"][:1]) for p in items] == [(second, 3.5, "b"), (first, 2.0, "a")]
    assert items[0]["commit_date"] == "2024-03-01T10:00:00Z" and items[0]["analyzer"] == "ast"

    since = web.as_("read").get(f"/api/v1/repositories/{repository}/measures?key=functions&since=2024-02-01").get_json()["items"]
    assert [p["value"] for p in since] == [5.0]
    every = web.as_("read").get(f"/api/v1/repositories/{repository}/measures").get_json()["items"]
    assert {"lines", "functions", "mean_complexity", "functions_rank_a"} <= {p["key"] for p in every}


def test_trend_pages_follow_the_link_header(web: Any, two: tuple[int, int, int]) -> None:
    repository, first, second = two
    page = web.as_("read").get(f"/api/v1/repositories/{repository}/measures?key=lines&limit=1")
    assert page.get_json()["items"][0]["analysis_id"] == second
    link = page.headers["Link"]
    assert 'rel="next"' in link and "key=lines" in link
    cursor = page.get_json()["next_cursor"]
    rest = web.as_("read").get(f"/api/v1/repositories/{repository}/measures?key=lines&limit=1&cursor={cursor}")
    assert [p["analysis_id"] for p in rest.get_json()["items"]] == [first] and rest.get_json()["next_cursor"] is None


@pytest.mark.parametrize(("query", "field"), [
    ("key=mean_cx", "key"), ("key=new_functions_rank_d_or_worse", "key"), ("since=yesterday", "since"),
    ("cursor=bm9wZQ", "cursor"), ("limit=0", "limit"),
])
def test_bad_trend_queries_are_422_problems(web: Any, two: tuple[int, int, int], query: str, field: str) -> None:
    response = web.as_("read").get(f"/api/v1/repositories/{two[0]}/measures?{query}")
    assert response.status_code == 422 and response.content_type == "application/problem+json"
    assert field in response.get_data(as_text=True)


def test_unknown_repository_and_no_token(web: Any) -> None:
    missing = web.as_("read").get("/api/v1/repositories/999/measures")
    assert missing.status_code == 404 and missing.content_type == "application/problem+json"
    assert web.as_(None).get("/api/v1/repositories/1/measures").status_code == 401
    assert web.as_(None).get("/api/v1/analyses/1/gate").status_code == 401


def test_the_measure_catalogue(web: Any) -> None:
    items = {m["key"]: m for m in web.as_("read").get("/api/v1/measures").get_json()["items"]}
    assert items["mean_complexity"]["analyzer"] == "ast" and items["mean_complexity"]["better"] == "lower"
    assert items["new_functions_rank_d_or_worse"]["needs_baseline"] is True


def test_an_analysis_gate(web: Any, two: tuple[int, int, int]) -> None:
    _repository, first, second = two
    assert web.as_("read").get(f"/api/v1/analyses/{second}/gate").status_code == 404, "no gate evaluated yet"
    assert web.as_("read").get("/api/v1/analyses/999/gate").status_code == 404
    measures = catalogue(web.coe.manager)
    conditions = [parse_condition("mean_complexity <= 3", measures, "--condition 1"), parse_condition("delta(functions) >= 0", measures, "--condition 2")]
    with unit_of_work(web.engine, write=True) as session:
        ra = session.query(RepositoryAnalysis).filter_by(request_id=second).one()
        base = session.query(RepositoryAnalysis).filter_by(request_id=first).one()
        from coe_framework.gate.evaluate import Baseline
        from coe_framework.measures.queries import results_of

        verdict = evaluate(conditions, measures, results_of(session, ra.id, ["ast"]),
                           Baseline(base.id, base.commit_sha, results_of(session, base.id, ["ast"])), "command line")
        save_gate(session, ra, verdict)
    body = web.as_("read").get(f"/api/v1/analyses/{second}/gate").get_json()
    latest = body["latest"]
    assert latest["passed"] is False and latest["baseline"]["commit"] == "a" * 40 and latest["commit"] == "b" * 40
    assert [(c["condition"], c["status"], c["actual"]) for c in latest["conditions"]] == [
        ("mean_complexity <= 3", "failed", 3.5), ("delta(functions) >= 0", "passed", 2.0)]
    assert web.as_("admin").delete(f"/api/v1/analyses/{second}").status_code in (200, 204)
    assert web.as_("read").get(f"/api/v1/analyses/{second}/gate").status_code == 404
    remaining = web.as_("read").get(f"/api/v1/repositories/{_repository}/measures?key=lines").get_json()["items"]
    assert [p["analysis_id"] for p in remaining] == [first], "measures go with their analysis"
