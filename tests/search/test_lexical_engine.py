"""The full-text engines under search: one entry per index row, bounded ranking, filters counted within themselves."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, text

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import SearchIndexEntry
from coe_framework.search import lexical, search
from coe_framework.search.indexing import index_analysis, index_everything


def run_search(store: Any, query: str, **kwargs: Any) -> Any:
    with unit_of_work(store.engine) as session:
        return search(session, query, **kwargs)


def paths(page: Any) -> list[str | None]:
    return [hit["metadata"].get("path") for hit in page.items]


def test_indexing_again_leaves_one_full_text_entry_per_row(store, shop_repo, make_manager, analyse) -> None:
    analysis = analyse(make_manager(), str(shop_repo.path)).extra["analysis_id"]
    before = paths(run_search(store, "retry policy", k=20))
    with store.session() as session:
        index_analysis(session, analysis)
    with store.session() as session:
        index_everything(session)
        index_analysis(session, analysis)
    assert paths(run_search(store, "retry policy", k=20)) == before, "no document is found twice"
    if store.engine.dialect.name == "sqlite":  # rows reach FTS5 from the indexer, not a trigger
        with unit_of_work(store.engine) as session:
            rows = session.scalar(select(func.count()).select_from(SearchIndexEntry))
            entries = session.scalar(text("SELECT count(*) FROM search_fts_docsize"))
            triggers = set(session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'search_index'")))
        assert rows == entries > 0
        assert triggers == {"search_index_ad", "search_index_au"}


def test_ranking_is_bounded_to_the_newest_matches(store, make_repo, make_manager, analyse, monkeypatch) -> None:
    files = {f"lib/retry_{n}.py": f"def retry_{n}(fn):\n    return fn()\n" for n in range(6)}
    analyse(make_manager(), str(make_repo("many", files=files).path))
    assert len(run_search(store, "retry", k=20).items) >= 6
    monkeypatch.setattr(lexical, "MAX_RANKED", 2)
    page = run_search(store, "retry", k=20)
    assert 1 <= page.explain["lexical"]["candidates"] <= 2


def test_filters_count_the_newest_matches_among_their_own(store, shop_repo, make_repo, make_manager, analyse, monkeypatch) -> None:
    """An older analysis's matches stay reachable by a filter however many newer documents match."""
    older = analyse(make_manager(), str(shop_repo.path)).extra["analysis_id"]
    files = {f"lib/retry_{n}.py": f"def retry_{n}(fn):\n    return fn()\n" for n in range(6)}
    analyse(make_manager(), str(make_repo("newer", files=files).path))
    monkeypatch.setattr(lexical, "MAX_RANKED", 2)
    assert "shop/retry.py" not in paths(run_search(store, "retry", k=20)), "unfiltered, the newest two are ranked"
    assert "shop/retry.py" in paths(run_search(store, "retry", k=20, filters={"analysis": older}))
    assert "shop/retry.py" in paths(run_search(store, "retry", k=20, filters={"path_prefix": "shop/"}))


def test_sqlite_common_terms_are_counted_up_to_the_threshold(store, shop_repo, make_manager, analyse) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("the bounded count is SQLite's; PostgreSQL reads pg_stats (covered by the benchmark)")
    analyse(make_manager(), str(shop_repo.path))
    backend = lexical.SqliteFts5()
    with unit_of_work(store.engine) as session:
        total = session.scalar(select(func.count()).select_from(SearchIndexEntry))
        kafka = session.scalar(text("SELECT count(*) FROM search_fts WHERE search_fts MATCH '\"kafka\"'"))
        assert 0 < kafka < total
        assert backend.common_terms(session, ["kafka", "zzqqxx"], 0.0) == {"kafka"}
        assert backend.common_terms(session, ["kafka"], (kafka - 0.5) / total) == {"kafka"}
        assert backend.common_terms(session, ["kafka"], kafka / total) == set(), "exactly at the share is not above it"


def test_postgresql_keeps_the_ranked_terms_in_the_row(store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("column storage is PostgreSQL's")
    with unit_of_work(store.engine) as session:
        storage = dict(session.execute(text(
            "SELECT attname, attstorage FROM pg_attribute WHERE attrelid = 'search_index'::regclass "
            "AND attname IN ('terms', 'body')")).all())
    assert storage == {"terms": "m", "body": "e"}, "terms in the row (main), the body text out of it (external)"
