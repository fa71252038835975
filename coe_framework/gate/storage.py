"""Stored gate results (``gate_results``), deleted with their analysis."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.models import GateResult, RepositoryAnalysis
from ..db.store import iso
from .evaluate import GateOutcome


def save_gate(session: Session, ra: RepositoryAnalysis, outcome: GateOutcome) -> int:
    """Store one evaluated gate for ``ra``; its id."""
    row = GateResult(
        request_id=ra.request_id,
        repository_analysis_id=ra.id,
        baseline_repository_analysis_id=outcome.baseline.repository_analysis_id if outcome.baseline else None,
        baseline_commit=outcome.baseline.commit if outcome.baseline else None,
        passed=outcome.passed,
        conditions=[v.to_dict() for v in outcome.verdicts],
        source=outcome.source[:1024],
    )
    session.add(row)
    session.flush()
    return int(row.id)


def gate_dict(row: GateResult, commit: str | None) -> dict[str, Any]:
    """A stored gate result as the API shows it."""
    return {
        "id": row.id,
        "analysis_id": row.request_id,
        "repository_analysis_id": row.repository_analysis_id,
        "commit": commit,
        "passed": row.passed,
        "baseline": {"repository_analysis_id": row.baseline_repository_analysis_id, "commit": row.baseline_commit}
        if row.baseline_commit else None,
        "source": row.source,
        "conditions": row.conditions,
        "created_at": iso(row.created_at),
    }


def gates_of(session: Session, request_id: int) -> list[dict[str, Any]]:
    """Every gate evaluated on an analysis, newest first."""
    query = (
        select(GateResult, RepositoryAnalysis.commit_sha)
        .join(RepositoryAnalysis, GateResult.repository_analysis_id == RepositoryAnalysis.id)
        .where(GateResult.request_id == request_id)
        .order_by(GateResult.id.desc())
    )
    return [gate_dict(row, commit) for row, commit in session.execute(query)]
