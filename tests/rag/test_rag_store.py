"""Stored documents: replacement, filters, pagination, and the same commit in two analyses."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.db.models import RepositoryAnalysis
from coe_framework.db.store import NotFound, StoreError
from coe_framework.outputs.rag.collect import Document, document_id
from coe_framework.outputs.rag.storage import iter_documents, list_documents, replace_documents

COMMIT = "c" * 40


def _analysis(store: Any, url: str = "https://git.example.com/r.git") -> tuple[int, int]:
    """A request with one repository analysis at COMMIT: ``(request id, repository analysis id)``."""
    request, _ = store.create_request([{"url": url}], status="running")
    with store.session() as session:
        repo = store.upsert_repository(session, url, "r")
        session.flush()
        ra = RepositoryAnalysis(request_id=request["id"], repository_id=repo.id, commit_sha=COMMIT, status="succeeded")
        session.add(ra)
        session.flush()
        return request["id"], ra.id


def _docs(url: str = "https://git.example.com/r.git", n: int = 7) -> list[Document]:
    docs = []
    for i in range(n):
        kind, path = ("code", f"src/m{i % 3}.py") if i else ("overview", None)
        doc_id = document_id(url, COMMIT, "p", f"k{i}")
        docs.append(Document(doc_id, kind, f"text {i}", {"document_id": doc_id, "kind": kind, "path": path}, "p", f"k{i}",
                             embedding=[float(i)] if i == 1 else None))
    return docs


def test_replace_filter_and_paginate(store) -> None:
    analysis_id, ra_id = _analysis(store)
    with store.session() as session:
        assert replace_documents(session, ra_id, _docs(n=3)) == 3
    with store.session() as session:  # building again replaces, never duplicates
        assert replace_documents(session, ra_id, _docs()) == 7
    with store.session() as session:
        seen, cursor = [], None
        while True:
            page = list_documents(session, analysis_id, after=cursor, limit=3)
            seen += [d["id"] for d in page.items]
            cursor = page.next_cursor
            if cursor is None:
                break
        assert sorted(seen) == sorted(d.id for d in _docs()) and len(seen) == 7
        code = list_documents(session, analysis_id, kind="code", limit=50).items
        assert len(code) == 6 and {d["kind"] for d in code} == {"code"}
        one_path = list_documents(session, analysis_id, path="src/m1.py").items
        assert sorted(d["metadata"]["path"] for d in one_path) == ["src/m1.py"] * 2
        assert list_documents(session, analysis_id, kind="code", path="nope.py").items == []
        with_vector = next(d for d in iter_documents(session, analysis_id) if d["id"] == _docs()[1].id)
        assert with_vector["embedding"] == [1.0] and "embedding" not in with_vector["metadata"]
        with pytest.raises(NotFound):
            list_documents(session, analysis_id + 100)
        with pytest.raises(StoreError, match="invalid cursor"):
            list_documents(session, analysis_id, after="not-a-cursor")


def test_the_same_commit_in_two_analyses_keeps_both_document_sets(store) -> None:
    first, ra_first = _analysis(store)
    second, ra_second = _analysis(store)
    for ra_id in (ra_first, ra_second):
        with store.session() as session:
            replace_documents(session, ra_id, _docs())
    with store.session() as session:
        ids_first = [d["id"] for d in iter_documents(session, first)]
        ids_second = [d["id"] for d in iter_documents(session, second)]
    assert ids_first == ids_second and len(ids_first) == 7
