"""RAG documents from real analyses: stable ids, metadata, chunks, docs sections, plugin isolation."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.outputs.rag.collect import METADATA_KEYS, build_documents, document_id
from coe_framework.analysis.service import analyze_repositories

from .conftest import ADA, ALPHA_APP, build_three, rag_manager


def _analyse(manager: Any, path: str) -> tuple[dict[str, Any], dict[str, Any]]:
    report = analyze_repositories(manager, [path], store=None, workers=1)
    outcome, prepared = report.repositories[0], report.prepared[0]
    assert outcome.status == "succeeded", outcome.errors
    repository = {"url": prepared.source.url, "name": prepared.source.name, "commit": prepared.commit, "path": str(prepared.git_dir)}
    return repository, {name: o.data for name, o in outcome.outcomes.items() if o.ok}


@pytest.fixture(scope="module")
def alpha(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    repos = build_three(tmp_path_factory.mktemp("docs"))
    manager = rag_manager()
    repository, results = _analyse(manager, str(repos["alpha"].path))
    return {"repo": repos["alpha"], "repository": repository, "results": results, "manager": manager,
            "documents": build_documents(manager, repository, results)}


def test_every_builtin_kind_is_made_with_full_metadata(alpha) -> None:
    built = alpha["documents"]
    assert built.errors == {}
    kinds = {d.kind for d in built.documents}
    assert {"overview", "techspec", "git_summary", "code", "docs"} <= kinds
    for doc in built.documents:
        assert set(METADATA_KEYS) <= set(doc.metadata), doc.kind
        assert doc.metadata["repository_url"] == alpha["repository"]["url"]
        assert doc.metadata["commit_sha"] == alpha["repository"]["commit"]
        assert doc.metadata["kind"] == doc.kind and doc.metadata["document_id"] == doc.id
        assert all(v is None or isinstance(v, (str, int, float, bool)) for v in doc.metadata.values())
    assert len({d.id for d in built.documents}) == len(built.documents)
    code = [d for d in built.documents if d.kind == "code"]
    assert all(d.metadata["path"] and d.metadata["line_start"] and d.metadata["language"] == "python" for d in code)


def test_ids_are_stable_across_runs_and_change_with_the_commit(alpha) -> None:
    manager = rag_manager()  # a new manager and runner: nothing shared with the first run
    repository, results = _analyse(manager, str(alpha["repo"].path))
    again = build_documents(manager, repository, results)
    first = {d.id: (d.kind, d.text, d.metadata) for d in alpha["documents"].documents}
    assert {d.id: (d.kind, d.text, d.metadata) for d in again.documents} == first
    overview = next(d for d in again.documents if d.kind == "overview")
    assert overview.id == document_id(repository["url"], repository["commit"], "coe", "overview")

    alpha["repo"].commit({"NOTES.md": "new\n"}, author=ADA)
    repository2, results2 = _analyse(manager, str(alpha["repo"].path))
    later = build_documents(manager, repository2, results2)
    assert not ({d.id for d in later.documents} & set(first))


def test_no_code_chunk_splits_a_function(alpha) -> None:
    code = [d for d in alpha["documents"].documents if d.kind == "code" and d.metadata["path"] == "app.py"]
    functions = [s for s in alpha["results"]["ast"]["files"]["app.py"]["symbols"] if s["kind"] in ("function", "method")]
    assert functions
    for fn in functions:
        holders = [d for d in code if d.metadata["line_start"] <= fn["line_start"] and fn["line_end"] <= d.metadata["line_end"]]
        assert len(holders) == 1, fn["qualified_name"]
        for doc in code:
            overlaps = doc.metadata["line_start"] <= fn["line_end"] and fn["line_start"] <= doc.metadata["line_end"]
            assert not overlaps or doc is holders[0], (fn["qualified_name"], doc.metadata)
    # The chunks reassemble the file's non-blank lines in order.
    lines = ALPHA_APP.splitlines()
    covered = sorted({n for d in code for n in range(d.metadata["line_start"], d.metadata["line_end"] + 1)})
    assert [n for n in range(1, len(lines) + 1) if lines[n - 1].strip()] == [n for n in covered if lines[n - 1].strip()]
    service = next(d for d in code if d.metadata["symbol"] == "Service")
    assert service.metadata["symbol_kind"] == "class" and "def stop(self)" in service.text


def test_readme_sections_follow_headings_not_code_fences(alpha) -> None:
    docs = [d for d in alpha["documents"].documents if d.kind == "docs" and d.metadata["path"] == "README.md"]
    assert [d.metadata["title"] for d in docs] == ["Alpha", "Alpha > Install", "Alpha > Usage"]
    install = docs[1]
    assert "pip install alpha" in install.text and install.metadata["line_start"] == 5


class _Broken:
    @hookimpl
    def coe_rag_documents(self, repository, results, register):
        register(text="kept?", kind="broken", key="first")
        raise RuntimeError("boom\nsecond line")


class _BadMetadata:
    @hookimpl
    def coe_rag_documents(self, register):
        register(text="x", kind="bad", key="k", metadata={"nested": {"no": 1}})


class _Embedder:
    @hookimpl
    def coe_embed_documents(self, documents):
        for doc in documents:
            doc["embedding"] = [float(len(doc["text"])), 1.0]
            doc["metadata"]["embedding_model"] = "length-v1"


def test_one_failing_plugin_costs_only_its_own_documents(alpha) -> None:
    manager = rag_manager()
    manager.register(_Broken(), "broken")
    manager.register(_BadMetadata(), "badmeta")
    built = build_documents(manager, alpha["repository"], alpha["results"])
    assert built.errors["broken"] == "RuntimeError: boom"
    assert "metadata 'nested'" in built.errors["badmeta"]
    assert not [d for d in built.documents if d.plugin in ("broken", "badmeta")]
    assert {d.id for d in built.documents} == {d.id for d in alpha["documents"].documents}


def test_embedding_plugins_attach_vectors(alpha) -> None:
    manager = rag_manager()
    manager.register(_Embedder(), "embedder")
    built = build_documents(manager, alpha["repository"], alpha["results"])
    assert all(d.embedding == [float(len(d.text)), 1.0] and d.metadata["embedding_model"] == "length-v1" for d in built.documents)
    assert all(d.embedding is None for d in build_documents(manager, alpha["repository"], alpha["results"], embed=False).documents)


def test_documents_without_a_readable_repository_come_from_results_only(alpha) -> None:
    built = build_documents(alpha["manager"], {**alpha["repository"], "path": None}, alpha["results"])
    assert built.errors == {}
    assert {d.kind for d in built.documents} == {"overview", "techspec", "git_summary"}


class _Prolific:
    @hookimpl
    def coe_rag_documents(self, register):
        for index in range(10):
            try:
                register(text=f"doc {index}", kind="note", key=str(index))
            except Exception:  # noqa: BLE001 - a plugin that swallows errors still cannot pass the cap
                pass


def test_documents_per_plugin_are_capped(alpha, monkeypatch) -> None:
    from coe_framework.outputs.rag import collect as rag

    monkeypatch.setattr(rag, "MAX_DOCUMENTS_PER_PLUGIN", 3)
    manager = rag_manager()
    manager.register(_Prolific(), "prolific")
    built = build_documents(manager, {**alpha["repository"], "path": None}, alpha["results"])
    assert [d.text for d in built.documents if d.plugin == "prolific"] == ["doc 0", "doc 1", "doc 2"]
    assert built.errors == {}  # the plugin swallowed the signal; its documents are still capped
