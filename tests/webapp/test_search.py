"""``POST /api/v1/rag-documents/search``: hits, pages and problem+json for bad input."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.analysis.process_store import store_for

from tests.search.conftest import FILES

URL = "/api/v1/rag-documents/search"


@pytest.fixture
def searchable(web: Any, make_repo: Any) -> Any:
    from coe_framework.analysis.service import analyze_repositories
    from coe_framework.testing.environment import build_manager

    repo = make_repo("shop", files=FILES)
    analyze_repositories(build_manager(builtins=["ast", "techspec"]), [str(repo.path)], workers=1, store=store_for(web.engine))
    return web


def test_search_answers_hits_and_pages(searchable: Any) -> None:
    client = searchable.as_("read")
    first = client.post(URL, json={"query": "retry policy backoff", "k": 1, "explain": True})
    assert first.status_code == 200, first.get_json()
    body = first.get_json()
    assert body["items"][0]["metadata"]["path"] == "shop/retry.py" and body["next_cursor"]
    assert body["explain"]["fusion"] == "lexical only"
    second = client.post(URL, json={"query": "retry policy backoff", "k": 1, "cursor": body["next_cursor"]}).get_json()
    assert second["items"][0]["id"] != body["items"][0]["id"] and "explain" not in second or second["explain"] is None
    narrowed = client.post(URL, json={"query": "retry", "filters": {"type": ["docs"]}}).get_json()
    assert all(hit["metadata"]["kind"] == "docs" for hit in narrowed["items"])


def test_search_needs_a_token(searchable: Any) -> None:
    assert searchable.as_(None).post(URL, json={"query": "retry"}).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"query": ""}, "query"),
        ({"query": "x" * 100_000}, "query"),
        ({"query": "*** \" -"}, "query"),
        ({"query": "retry", "k": 0}, "k"),
        ({"query": "retry", "k": 10_000}, "k"),
        ({"query": "retry", "filters": {"owner": "me"}}, "owner"),
        ({"query": "retry", "filters": {"commit": "'; DROP TABLE x; --"}}, "commit"),
        ({"query": "retry", "cursor": "nope"}, "cursor"),
        ({"query": "retry", "unknown": 1}, "unknown"),
    ],
)
def test_bad_input_is_a_422_problem(searchable: Any, body: dict[str, Any], field: str) -> None:
    response = searchable.as_("read").post(URL, json=body)
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert any(field in error["field"] for error in problem["errors"]), problem
    assert "sql" not in response.get_data(as_text=True).lower()
