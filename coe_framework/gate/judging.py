"""Finding what a gate judges: the analysis at the commit (stored, else made now) and its baseline."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sqlalchemy import select

from ..db.models import RepositoryAnalysis
from ..plugin.manager import PluginManager
from ..repository.sources import PreparedRepository, pin_commit
from .evaluate import Baseline, GateOutcome


@dataclass
class Judged:
    """The repository analysis a gate is evaluated on, its results and baseline."""

    repository: dict[str, Any]
    repository_analysis_id: int
    analysis_id: int
    results: Mapping[str, Mapping[str, Any]]
    baseline: Baseline | None
    reused: bool
    notes: list[str] = field(default_factory=list)
    gate_id: int | None = None

    def save(self, store: Any, outcome: GateOutcome) -> int:
        """Store the gate's outcome with the analysis."""
        from .storage import save_gate

        with store.session() as session:
            ra = session.get(RepositoryAnalysis, self.repository_analysis_id)
            assert ra is not None
            self.gate_id = save_gate(session, ra, outcome)
        return self.gate_id


def _analysis_at(manager: PluginManager, store: Any, prepared: PreparedRepository, needed: Sequence[str],
                 to_run: Sequence[str], workers: int | None, notes: list[str]) -> tuple[int, bool]:
    """``(repository analysis id, reused)`` of a finished analysis at ``prepared.commit`` with ``needed``."""
    from ..measures.queries import usable_analysis
    from ..analysis.service import analyze_repositories

    known = store.find_repository(prepared.source.url)
    if known is not None:
        with store.session() as session:
            found = usable_analysis(session, int(known["id"]), list(needed), commit=prepared.commit)
            if found is not None:
                return int(found.id), True
    report = analyze_repositories(manager, [prepared], analyzers=list(to_run), workers=workers, store=store)
    notes.extend(report.notes)
    request_id = int(report.extra["analysis_id"])
    with store.session() as session:
        ra_id = session.scalar(select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == request_id))
    assert ra_id is not None
    return int(ra_id), False


def judge(manager: PluginManager, store: Any, prepared: PreparedRepository, needed: Sequence[str],
          to_run: Sequence[str], *, wants_baseline: bool, baseline_ref: str | None, workers: int | None) -> Judged:
    """The analysis of ``prepared`` (reused when stored) and, when ``wants_baseline``, its baseline:
    the analysis at ``baseline_ref``, else the repository's previous stored analysis at another commit."""
    from ..measures.queries import results_of, usable_analysis

    notes: list[str] = []
    ra_id, reused = _analysis_at(manager, store, prepared, needed, to_run, workers, notes)
    with store.session() as session:
        ra = session.get(RepositoryAnalysis, ra_id)
        assert ra is not None
        repository = {"id": ra.repository_id, "url": ra.repository.url, "name": ra.repository.name}
        request_id = int(ra.request_id)
        results = results_of(session, ra_id, list(to_run))
    baseline: Baseline | None = None
    if wants_baseline:
        base_id: int | None = None
        if baseline_ref:
            pinned = pin_commit(prepared, baseline_ref)
            base_id, _ = _analysis_at(manager, store, pinned, needed, to_run, workers, notes)
        else:
            with store.session() as session:
                found = usable_analysis(session, repository["id"], list(needed), before_id=ra_id, other_than_commit=prepared.commit)
                base_id = int(found.id) if found is not None else None
        if base_id is not None:
            with store.session() as session:
                base = session.get(RepositoryAnalysis, base_id)
                assert base is not None
                baseline = Baseline(base_id, base.commit_sha or "", results_of(session, base_id, list(to_run)))
    return Judged(repository, ra_id, request_id, results, baseline, reused, notes)

