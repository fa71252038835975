"""The main job's step after saving results: documents and correlations."""
from __future__ import annotations

from coe_framework.db.engine import unit_of_work
from coe_framework.outputs.insights import correlations_for, publish_insights
from coe_framework.outputs.rag.storage import iter_documents


class _FailingStore:
    """A store whose reads fail: the analysis must not fail with it."""

    engine = None

    def session(self):  # pragma: no cover - never reached
        raise AssertionError


def test_a_failure_becomes_a_note_never_an_error(stored_three) -> None:
    notes = publish_insights(_FailingStore(), stored_three.analysis_id, stored_three.manager)
    assert len(notes) == 1 and notes[0].startswith("RAG documents and correlations not stored: ")


def test_publishing_again_replaces_and_reads_only_the_given_git_dirs(stored_three) -> None:
    with unit_of_work(stored_three.store.engine) as session:
        before = sorted(d["id"] for d in iter_documents(session, stored_three.analysis_id))
    # No git directory given: documents come from results only, nothing is located elsewhere.
    notes = publish_insights(stored_three.store, stored_three.analysis_id, stored_three.manager, prepared=())
    assert "correlations stored for 3 repository pair(s)" in notes
    with unit_of_work(stored_three.store.engine) as session:
        kinds = {d["kind"] for d in iter_documents(session, stored_three.analysis_id)}
        assert kinds == {"overview", "techspec", "git_summary"}
        assert len(correlations_for(session, stored_three.analysis_id)) == 3
    from coe_framework.outputs.insights import store_insights

    store_insights(stored_three.store, stored_three.analysis_id, stored_three.manager)  # put the full set back
    with unit_of_work(stored_three.store.engine) as session:
        assert sorted(d["id"] for d in iter_documents(session, stored_three.analysis_id)) == before


def test_the_main_job_stores_documents_and_correlations(store, tmp_path) -> None:
    """``coe analyze`` with a store: documents and correlations are there without another step."""
    from coe_framework.analysis.service import analyze_repositories

    from .conftest import build_three, rag_manager

    repos = build_three(tmp_path)
    report = analyze_repositories(rag_manager(), [str(repos["beta"].path), str(repos["gamma"].path)], store=store, workers=1)
    analysis_id = report.extra["analysis_id"]
    assert "correlations stored for 1 repository pair(s)" in report.notes
    with unit_of_work(store.engine) as session:
        kinds = {d["kind"] for d in iter_documents(session, analysis_id)}
        pairs = correlations_for(session, analysis_id)
    assert {"overview", "techspec", "git_summary", "code"} <= kinds
    assert [(p["repository_a"]["name"], p["repository_b"]["name"], p["similarity"]) for p in pairs] == [("beta", "gamma", 0.3125)]
