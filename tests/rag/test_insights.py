"""The main job's step after saving results: documents and correlations."""
from __future__ import annotations

from coe_framework.db.engine import unit_of_work
from coe_framework.insights import correlations_for, publish_insights
from coe_framework.rag_store import iter_documents


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
    from coe_framework.insights import store_insights

    store_insights(stored_three.store, stored_three.analysis_id, stored_three.manager)  # put the full set back
    with unit_of_work(stored_three.store.engine) as session:
        assert sorted(d["id"] for d in iter_documents(session, stored_three.analysis_id)) == before
