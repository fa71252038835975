"""Search end to end on SQLite and PostgreSQL: indexing after an analysis, ranking, filters, pages, vectors, deletion."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import SearchIndexEntry, VectorEmbedding
from coe_framework.search import SearchError, search

from .conftest import ToyEmbedder


def run_search(store: Any, query: str, manager: Any = None, **kwargs: Any) -> Any:
    with unit_of_work(store.engine) as session:
        return search(session, query, manager=manager, **kwargs)


def paths(page: Any) -> list[str | None]:
    return [hit["metadata"].get("path") for hit in page.items]


def test_an_analysis_indexes_its_documents_and_code_words_find_identifiers(store, shop_repo, make_manager, analyse) -> None:
    report = analyse(make_manager(), str(shop_repo.path))
    assert any(note.startswith("search index: ") for note in report.notes)
    page = run_search(store, "retry policy", k=3)
    top = page.items[0]
    assert top["metadata"]["path"] == "shop/retry.py" and top["metadata"]["symbol"] == "RetryPolicy"
    assert set(top) == {"id", "score", "text", "metadata", "highlights"}
    assert top["metadata"]["analysis_id"] == report.extra["analysis_id"]
    assert any(span for h in top["highlights"] for span in h["matches"]), "the matched words are located"
    fragment = top["highlights"][0]
    start, end = fragment["matches"][0]
    assert fragment["fragment"][start:end].lower() in {"retry", "policy"}
    assert paths(run_search(store, "register_blueprints", k=1)) == ["shop/web/app.py"]
    assert paths(run_search(store, "which services use Kafka", k=1)) == ["shop/events.py"]
    assert page.explain["vector"]["path"] is None and page.explain["fusion"] == "lexical only"


def test_filters_narrow_every_way(store, shop_repo, make_manager, analyse, make_repo) -> None:
    other = make_repo("other", files={"lib/retry_helpers.py": "def retry_forever(fn):\n    while True:\n        fn()\n"})
    first = analyse(make_manager(), str(shop_repo.path)).extra["analysis_id"]
    second = analyse(make_manager(), str(other.path)).extra["analysis_id"]
    everywhere = {p for p in paths(run_search(store, "retry", k=20))}
    assert {"shop/retry.py", "lib/retry_helpers.py"} <= everywhere
    assert set(paths(run_search(store, "retry", k=20, filters={"analysis": second}))) <= {"lib/retry_helpers.py", None}
    assert "lib/retry_helpers.py" not in paths(run_search(store, "retry", k=20, filters={"repository": "shop"}))
    assert "shop/retry.py" not in paths(run_search(store, "retry", k=20, filters={"commit": other.head[:10]}))
    code_only = run_search(store, "retry", k=20, filters={"type": ["code"], "language": "Python", "path_prefix": "shop/"})
    assert code_only.items and all(h["metadata"]["kind"] == "code" and h["metadata"]["path"].startswith("shop/") for h in code_only.items)
    assert run_search(store, "retry", filters={"path_prefix": "shop%"}).items == [], "LIKE wildcards are literal"
    docs = run_search(store, "deployment nginx", filters={"type": "docs", "analysis": first})
    assert docs.items and docs.items[0]["metadata"]["kind"] == "docs"


def test_pages_follow_the_cursor_without_overlap(store, shop_repo, make_manager, analyse) -> None:
    analyse(make_manager(), str(shop_repo.path))
    everything = run_search(store, "shop retry blueprint kafka policy", k=50)
    first = run_search(store, "shop retry blueprint kafka policy", k=2)
    assert first.next_cursor and [h["id"] for h in first.items] == [h["id"] for h in everything.items[:2]]
    second = run_search(store, "shop retry blueprint kafka policy", k=2, cursor=first.next_cursor)
    assert [h["id"] for h in second.items] == [h["id"] for h in everything.items[2:4]]
    with pytest.raises(SearchError, match="invalid cursor"):
        run_search(store, "another query", k=2, cursor=first.next_cursor)


def test_the_same_commit_analysed_twice_gives_each_document_once(store, shop_repo, make_manager, analyse) -> None:
    analyse(make_manager(), str(shop_repo.path))
    latest = analyse(make_manager(), str(shop_repo.path)).extra["analysis_id"]
    page = run_search(store, "retry policy backoff", k=50)
    ids = [h["id"] for h in page.items]
    assert len(ids) == len(set(ids))
    assert page.items[0]["metadata"]["analysis_id"] == latest, "the newest copy is shown"


@pytest.mark.parametrize(
    ("query", "kwargs", "field"),
    [
        ("", {}, "query"),
        ("   ", {}, "query"),
        ("x" * 100_000, {}, "query"),
        ("*** --- \"\"", {}, "query"),
        ("retry", {"k": 0}, "k"),
        ("retry", {"k": 10_000}, "k"),
        ("retry", {"k": "5"}, "k"),
        ("retry", {"filters": {"owner": "me"}}, "filters.owner"),
        ("retry", {"filters": {"analysis": "1; DROP TABLE x"}}, "filters.analysis"),
        ("retry", {"filters": {"commit": "' OR 1=1 --"}}, "filters.commit"),
        ("retry", {"filters": {"type": "Code; --"}}, "filters.type"),
        ("retry", {"filters": ["analysis"]}, "filters"),
        ("retry", {"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_input_is_a_search_error_naming_the_field(store, query, kwargs, field) -> None:
    with pytest.raises(SearchError) as caught:
        run_search(store, query, **kwargs)
    assert caught.value.field == field


@pytest.mark.parametrize("query", ['"retry', "retry*", "NEAR(retry policy)", "-retry", "retry OR", "'; DROP TABLE search_index; --", "100%_\\"])
def test_operator_syntax_and_sql_are_plain_words(store, shop_repo, make_manager, analyse, query) -> None:
    analyse(make_manager(), str(shop_repo.path))
    page = run_search(store, query)
    assert isinstance(page.items, list)
    with unit_of_work(store.engine) as session:
        assert session.scalar(select(func.count()).select_from(SearchIndexEntry)) > 0


def test_vectors_are_stored_once_per_document_and_fused_with_lexical(store, shop_repo, make_manager, analyse) -> None:
    embedder = ToyEmbedder()
    manager = make_manager(("toy-embedder", embedder))
    report = analyse(manager, str(shop_repo.path))
    with unit_of_work(store.engine) as session:
        stored = session.scalar(select(func.count()).select_from(VectorEmbedding))
        assert stored == sum(embedder.calls) > 0
        assert session.scalar(select(VectorEmbedding.dimension).limit(1)) == 64
    assert any(note.startswith(f"embeddings ({embedder.name}): {stored} computed") for note in report.notes)
    again = analyse(manager, str(shop_repo.path))
    assert sum(embedder.calls) == stored, "the same commit: every vector is reused"
    assert any(f"0 computed, {stored} reused" in note for note in again.notes)
    page = run_search(store, "retry policy", manager)
    assert page.explain["vector"]["path"].startswith("exact in-process scan") and page.explain["vector"]["model"] == embedder.name
    assert page.explain["fusion"].startswith("reciprocal rank fusion")
    assert page.items[0]["metadata"]["path"] == "shop/retry.py"
    lexical_only = run_search(store, "retry policy", None)
    assert lexical_only.explain["fusion"] == "lexical only"
    from coe_framework.outputs.rag.storage import iter_documents

    with unit_of_work(store.engine) as session:
        exported = list(iter_documents(session, report.extra["analysis_id"]))
    assert exported and all(len(d["embedding"]) == 64 for d in exported), "exports carry the stored vectors"


def test_a_failing_provider_leaves_the_analysis_succeeded_and_says_so(store, shop_repo, make_manager, analyse) -> None:
    report = analyse(make_manager(("broken-embedder", ToyEmbedder(fail=True))), str(shop_repo.path))
    assert report.status == "succeeded"
    assert any("embedding provider failed (TimeoutError" in note and "lexical" in note for note in report.notes)
    page = run_search(store, "retry policy", make_manager(("broken-embedder", ToyEmbedder(fail=True))))
    assert page.items and page.explain["vector"]["reason"] == "no document has an embedding"


def test_deleting_an_analysis_deletes_its_index_rows_and_unshared_vectors(store, shop_repo, make_manager, analyse) -> None:
    manager = make_manager(("toy-embedder", ToyEmbedder()))
    first = analyse(manager, str(shop_repo.path)).extra["analysis_id"]
    second = analyse(manager, str(shop_repo.path)).extra["analysis_id"]

    def counts() -> tuple[int, int]:
        with unit_of_work(store.engine) as session:
            return (session.scalar(select(func.count()).select_from(SearchIndexEntry)),
                    session.scalar(select(func.count()).select_from(VectorEmbedding)))

    indexed, vectors = counts()
    assert store.delete_analysis(first)
    assert counts() == (indexed // 2, vectors), "vectors still serve the other analysis of the commit"
    assert run_search(store, "retry policy").items[0]["metadata"]["analysis_id"] == second
    assert store.delete_analysis(second)
    assert counts() == (0, 0)
    assert run_search(store, "retry policy").items == [], "nothing left in the full-text engine either"
