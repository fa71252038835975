"""Writing the ``measures`` table: one row per measure of a repository analysis.

The values are computed by the service from the succeeded results (the
plugins' measure declarations, :mod:`coe_framework.measures.registry`) and
written by the store in the unit of work that stores those results.
"""
from __future__ import annotations

from typing import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import MeasureValue, RepositoryAnalysis, utcnow


def write_measure_values(session: Session, ra: RepositoryAnalysis, values: Mapping[str, tuple[str, float]]) -> int:
    """Store ``values`` (measure key -> (analyzer, value)) for ``ra``; how many rows were written.

    Measures already stored for ``ra`` (a redelivered job) are left as they are.
    """
    if not values:
        return 0
    existing = set(session.scalars(select(MeasureValue.key).where(MeasureValue.repository_analysis_id == ra.id)))
    rows = [
        {
            "repository_id": ra.repository_id,
            "request_id": ra.request_id,
            "repository_analysis_id": ra.id,
            "commit_sha": ra.commit_sha or "",
            "commit_date": ra.commit_date or ra.started_at or utcnow(),
            "analyzer": analyzer,
            "key": key,
            "value": value,
        }
        for key, (analyzer, value) in sorted(values.items())
        if key not in existing
    ]
    if rows:
        session.execute(MeasureValue.__table__.insert(), rows)
    return len(rows)
