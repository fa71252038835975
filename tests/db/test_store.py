"""The shared queries: CRUD, pagination, guarded transitions, normalized rows, rollback, cached reads."""
from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import create_engine, func, select

from coe_framework.db.models import AnalysisRequest, AnalysisResult, CodeFile, Repository, RepositoryAnalysis
from coe_framework.analysis.normalize import normalize_rows, save_outcome
from coe_framework.db.store import NotFound, Store, StoreError, decode_cursor, encode_cursor, request_hash

from .analyzers import BadRows, Inventory
from .helpers import outcome, prepared, stored_analysis


def count(store: Store, model: Any) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_create_read_update_delete(store: Store) -> None:
    request, created = store.create_request([{"url": "https://example.com/a.git", "ref": None, "name": "a"}], analyzers=["count"], options={"count": {"suffix": ".py"}})
    assert created and request["status"] == "queued" and request["options"] == {"count": {"suffix": ".py"}}
    assert store.get_analysis(request["id"])["analyzers"] == ["count"]
    assert store.update_request(request["id"], status="running", expect_status=("queued",))
    assert not store.update_request(request["id"], status="running", expect_status=("queued",)), "guarded transition"
    assert store.update_request(request["id"], progress=0.5, progress_message="half")
    running = store.get_analysis(request["id"])
    assert running["progress"] == 0.5 and running["started_at"] is not None
    assert store.update_request(request["id"], status="succeeded")
    assert store.get_analysis(request["id"])["finished_at"] is not None
    assert store.delete_analysis(request["id"])
    assert store.get_analysis(request["id"]) is None
    assert not store.delete_analysis(request["id"])
    with pytest.raises(StoreError, match="unknown status"):
        store.update_request(1, status="exploded")


def test_results_and_normalized_rows_are_stored_and_queryable(store: Store, manager_with: Any) -> None:
    manager = manager_with(Inventory(), BadRows())
    files = {"src/a.py": {"lines": 10, "size": 100}, "README": {"lines": 2, "size": 20}}
    analysis_id = stored_analysis(store, results={"inventory": {"files": files}, "badrows": {"ok": True}}, manager=manager)
    results = {r["analyzer"]: r for r in store.get_results(analysis_id)}
    assert results["inventory"]["status"] == "succeeded" and results["inventory"]["data"] == {"files": files}
    assert results["badrows"]["status"] == "failed" and "unknown key 'colour'" in results["badrows"]["error"]
    page = store.list_rows("code_files", request_id=analysis_id)
    assert sorted((r["path"], r["lines"]) for r in page.items) == [("README", 2), ("src/a.py", 10)]
    assert [r["name"] for r in store.list_rows("ast_nodes", request_id=analysis_id).items] == ["a.py"]
    deps = store.list_rows("tech_dependencies", filters={"ecosystem": "pypi", "name": "requests"}).items
    assert deps[0]["constraint"] == ">=2" and deps[0]["direct"] is True
    analysis = store.get_analysis(analysis_id)
    ra = analysis["repository_analyses"][0]
    assert ra["line_count"] == 12 and ra["commit"] == "a" * 40 and ra["commit_date"] == "2024-01-01T08:00:00Z"
    assert store.results_for_commit("https://example.com/org/app.git", "a" * 40, "inventory")[0]["id"] == results["inventory"]["id"]
    repo = store.find_repository("https://example.com/org/app.git")
    assert repo["last_commit_sha"] == "a" * 40
    assert {r["analyzer"] for r in store.latest_results(repo["id"])} == {"inventory"}
    with pytest.raises(StoreError, match="cannot filter"):
        store.list_rows("code_files", filters={"nope": 1})
    with pytest.raises(StoreError, match="unknown table"):
        store.list_rows("users")


def test_normalize_rows_rejects_what_the_tables_cannot_hold() -> None:
    assert normalize_rows("x", {"code_files": [{"path": "a", "lines": 3.0}]})["code_files"][0]["lines"] == 3
    for bad, message in [
        ({"users": []}, "unknown table 'users'"),
        ({"code_files": [{"path": "a", "colour": 1}]}, "unknown key 'colour'"),
        ({"code_files": [{"path": "a", "lines": "many"}]}, "expected an integer"),
        ({"code_files": [{"lines": 1}]}, "lacks required key 'path'"),
        ({"code_files": "nope"}, "must be a list"),
        ([], "expected a dict"),
    ]:
        with pytest.raises(StoreError, match=message):
            normalize_rows("x", bad)


def test_redelivered_results_are_written_once(store: Store) -> None:
    request, _ = store.create_request([{"url": "https://example.com/org/app.git", "name": "app"}], status="running")
    prep = prepared()
    first = store.start_repository_analysis(request["id"], prep)
    assert store.start_repository_analysis(request["id"], prep) == first
    assert save_outcome(store, first, outcome(prep, {"count": {"files": 1}})) == 1
    assert save_outcome(store, first, outcome(prep, {"count": {"files": 1}})) == 0
    assert count(store, AnalysisResult) == 1 and count(store, RepositoryAnalysis) == 1 and count(store, Repository) == 1
    with pytest.raises(NotFound):
        save_outcome(store, 999_999, outcome(prep, {}))


def test_cursor_pagination_walks_every_row_once_newest_first(store: Store) -> None:
    ids = [store.create_request([{"url": f"https://example.com/{i}.git", "name": str(i)}])[0]["id"] for i in range(7)]
    seen: list[int] = []
    cursor = None
    while True:
        page = store.list_analyses(limit=3, cursor=cursor)
        seen += [item["id"] for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == sorted(ids, reverse=True)
    store.update_request(ids[0], status="failed")
    assert [a["id"] for a in store.list_analyses(status="failed").items] == [ids[0]]
    with pytest.raises(StoreError, match="invalid cursor"):
        store.list_analyses(cursor="!!not-a-cursor")
    with pytest.raises(StoreError, match="limit"):
        store.list_analyses(limit=0)
    assert decode_cursor(encode_cursor(42)) == 42


def test_filter_analyses_by_repository(store: Store) -> None:
    first = stored_analysis(store, url="https://example.com/one.git")
    stored_analysis(store, url="https://example.com/two.git")
    assert [a["id"] for a in store.list_analyses(repository="https://example.com/one.git").items] == [first]
    repo = store.find_repository("https://example.com/one.git")
    assert [a["id"] for a in store.list_analyses(repository=repo["id"]).items] == [first]
    assert [ra["request_id"] for ra in store.repository_analyses(repo["id"]).items] == [first]
    assert [r["url"] for r in store.list_repositories().items] == ["https://example.com/two.git", "https://example.com/one.git"]


def test_idempotency_key_and_request_hash(store: Store) -> None:
    repos = [{"url": "https://example.com/a.git", "name": "a"}]
    first, created = store.create_request(repos, idempotency_key="key-1")
    again, created_again = store.create_request(repos, idempotency_key="key-1")
    assert created and not created_again and again["id"] == first["id"]
    digest = request_hash([("https://example.com/a.git", "c" * 40)], ["git", "ast"], {})
    assert digest == request_hash([("https://example.com/a.git", "c" * 40)], ["ast", "git"], {})
    assert digest != request_hash([("https://example.com/a.git", "d" * 40)], ["ast", "git"], {})
    done, _ = store.create_request(repos, request_hash=digest, status="running")
    assert store.find_request_by_hash(digest) is None
    store.update_request(done["id"], status="succeeded")
    assert store.find_request_by_hash(digest)["id"] == done["id"]


def test_cancel(store: Store) -> None:
    queued, _ = store.create_request([{"url": "https://example.com/a.git", "name": "a"}])
    assert store.request_cancel(queued["id"])
    assert store.get_analysis(queued["id"])["status"] == "cancelled"
    running, _ = store.create_request([{"url": "https://example.com/a.git", "name": "a"}], status="running")
    assert store.request_cancel(running["id"]) and store.is_cancel_requested(running["id"])
    assert store.get_analysis(running["id"])["status"] == "running"
    assert not store.request_cancel(queued["id"]), "already finished"


def test_failure_inside_a_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError, match="injected"):
        with store.session() as session:
            repo = Store.upsert_repository(session, "https://example.com/x.git", "x")
            session.flush()
            request = AnalysisRequest(repositories=[], status="running")
            session.add(request)
            session.flush()
            session.add(RepositoryAnalysis(request_id=request.id, repository_id=repo.id, status="running"))
            session.flush()
            raise RuntimeError("injected failure")
    assert count(store, Repository) == 0 and count(store, AnalysisRequest) == 0 and count(store, RepositoryAnalysis) == 0


def test_failing_normalized_insert_rolls_back_the_whole_outcome(store: Store, manager_with: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from coe_framework.analysis import normalize as store_module

    manager = manager_with(Inventory())
    request, _ = store.create_request([{"url": "https://example.com/org/app.git", "name": "app"}], status="running")
    prep = prepared()
    ra_id = store.start_repository_analysis(request["id"], prep)
    real = store_module.normalize_rows

    class Injected(BaseException):
        """Not an Exception, so no handler inside the store absorbs it."""

    def explode_after_first(name: str, tables: Any) -> Any:
        if name == "inventory":
            raise Injected("after the first result was flushed")
        return real(name, tables)

    monkeypatch.setattr(store_module, "normalize_rows", explode_after_first)
    with pytest.raises(Injected):
        save_outcome(store, ra_id, outcome(prep, {"count": {"files": 1}, "inventory": {"files": {"a.py": {"lines": 1}}}}), manager)
    assert count(store, AnalysisResult) == 0 and count(store, CodeFile) == 0
    assert store.get_analysis(request["id"])["repository_analyses"][0]["status"] == "running"


def test_finished_reads_are_served_from_cache_while_the_database_is_down(store: Store) -> None:
    analysis_id = stored_analysis(store)
    unfinished, _ = store.create_request([{"url": "https://example.com/u.git", "name": "u"}], status="running")
    assert store.get_analysis(analysis_id)["status"] == "succeeded"
    assert store.get_results(analysis_id)[0]["data"] == {"files": 3}
    store.get_analysis(unfinished["id"])
    hits_before = store.cache.hits
    store.engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:9/none", pool_pre_ping=False)
    assert store.get_analysis(analysis_id)["id"] == analysis_id
    assert store.get_results(analysis_id, "count")[0]["analyzer"] == "count"
    assert store.cache.hits == hits_before + 2
    from sqlalchemy.exc import OperationalError

    with pytest.raises(OperationalError):
        store.get_analysis(unfinished["id"])  # unfinished statuses are never cached


def test_deleted_analysis_is_evicted_from_cache(store: Store) -> None:
    analysis_id = stored_analysis(store)
    store.get_results(analysis_id)
    store.delete_analysis(analysis_id)
    with pytest.raises(NotFound):
        store.get_results(analysis_id)
    assert count(store, AnalysisResult) == 0


def test_correlations(store: Store) -> None:
    request, _ = store.create_request([], status="running")
    for url in ("https://example.com/x.git", "https://example.com/y.git"):
        ra = store.start_repository_analysis(request["id"], prepared(url, url.rsplit("/", 1)[-1]))
        assert ra
    store.save_correlations(request["id"], [{"a": "https://example.com/y.git", "b": "https://example.com/x.git", "shared_dependencies": ["requests"], "similarity": 0.5}])
    from coe_framework.outputs.insights import correlations_for

    with store.session() as session:
        pairs = correlations_for(session, request["id"])
    assert len(pairs) == 1 and pairs[0]["shared_dependencies"] == ["requests"]
    assert pairs[0]["repository_a"]["id"] < pairs[0]["repository_b"]["id"] and pairs[0]["repository_a"]["name"] == "x.git"
    with pytest.raises(NotFound):
        store.save_correlations(request["id"], [{"a": "https://example.com/x.git", "b": "https://nowhere/z.git"}])


def test_a_write_failing_after_the_first_result_leaves_nothing_written(store: Store) -> None:
    """The store's unit of work is whole: a row the database refuses undoes the results flushed before it."""
    from sqlalchemy.exc import IntegrityError

    from coe_framework.db.records import OutcomeRecord, ResultRecord

    request, _ = store.create_request([{"url": "https://example.com/org/app.git", "name": "app"}], status="running")
    ra_id = store.start_repository_analysis(request["id"], prepared())
    good = ResultRecord("count", "1", "opts", "succeeded", data={"files": 1})
    refused = ResultRecord("inventory", "1", "opts", "succeeded", data={"files": {}}, rows={"code_files": [{"path": None, "lines": 1}]})
    with pytest.raises(IntegrityError):
        store.save_repository_outcome(ra_id, OutcomeRecord("succeeded", 1, 1.0, [good, refused], measures={"m": ("count", 1.0)}))
    assert count(store, AnalysisResult) == 0 and count(store, CodeFile) == 0
    assert store.get_analysis(request["id"])["repository_analyses"][0]["status"] == "running"
