"""Operations figures from the database: API latency and errors, the job queue, job durations.

Read by the dashboard's system health page. API figures come from
``api_logs`` (what every worker process logged), so they cover the whole
deployment, not one process.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, select
from sqlalchemy.orm import Session

from .models import AnalysisRequest, ApiLog, utcnow
from .portfolio import read
from .store import iso


def _percentile(session: Session, since: datetime, count: int, share: float) -> float | None:
    """The ``share`` percentile of API durations since ``since`` (nearest rank, in the database)."""
    if count == 0:
        return None
    rank = max(0, min(count - 1, int(share * count + 0.999999) - 1))
    query = (select(ApiLog.duration_ms).where(ApiLog.created_at >= since).order_by(ApiLog.duration_ms).limit(1).offset(rank))
    return session.scalar(query)


def api_summary(engine: Engine, window: timedelta = timedelta(hours=1), routes: int = 15) -> dict[str, Any]:
    """Requests, p50/p95 latency and error rates over ``window``, overall and for the busiest routes."""
    since = utcnow() - window

    def read_page(session: Session) -> dict[str, Any]:
        server_error = func.sum(case((ApiLog.status_code >= 500, 1), else_=0))
        client_error = func.sum(case((ApiLog.status_code.between(400, 499), 1), else_=0))
        total, errors, refused, mean = session.execute(
            select(func.count(), server_error, client_error, func.avg(ApiLog.duration_ms)).where(ApiLog.created_at >= since)
        ).one()
        total = int(total or 0)
        by_route = session.execute(
            select(ApiLog.route, func.count().label("n"), server_error, client_error, func.avg(ApiLog.duration_ms), func.max(ApiLog.duration_ms))
            .where(ApiLog.created_at >= since).group_by(ApiLog.route).order_by(func.count().desc(), ApiLog.route).limit(routes)
        ).all()
        return {
            "since": iso(since),
            "requests": total,
            "server_errors": int(errors or 0),
            "client_errors": int(refused or 0),
            "error_rate": (int(errors or 0) / total) if total else None,
            "mean_ms": float(mean) if mean is not None else None,
            "p50_ms": _percentile(session, since, total, 0.50),
            "p95_ms": _percentile(session, since, total, 0.95),
            "routes": [{"route": route, "requests": n, "server_errors": int(e or 0), "client_errors": int(c or 0),
                        "mean_ms": round(float(avg), 2) if avg is not None else None, "max_ms": worst}
                       for route, n, e, c, avg, worst in by_route],
        }

    return read(engine, read_page)


def queue_summary(engine: Engine) -> dict[str, Any]:
    """Analyses by status, and the workers holding a lease now."""

    def read_page(session: Session) -> dict[str, Any]:
        counts = dict(session.execute(select(AnalysisRequest.status, func.count()).group_by(AnalysisRequest.status)).all())
        workers = session.execute(
            select(AnalysisRequest.lease_owner, func.count()).where(AnalysisRequest.status == "running", AnalysisRequest.lease_owner.is_not(None))
            .group_by(AnalysisRequest.lease_owner).order_by(AnalysisRequest.lease_owner)
        ).all()
        return {"by_status": {k: int(v) for k, v in counts.items()}, "workers": [{"worker": w, "running": int(n)} for w, n in workers]}

    return read(engine, read_page)


def job_durations(engine: Engine, limit: int = 50) -> list[dict[str, Any]]:
    """The newest finished analyses with their queue wait and run time in seconds, oldest first."""

    def read_page(session: Session) -> list[dict[str, Any]]:
        rows = session.execute(
            select(AnalysisRequest.id, AnalysisRequest.status, AnalysisRequest.created_at, AnalysisRequest.started_at, AnalysisRequest.finished_at)
            .where(AnalysisRequest.finished_at.is_not(None), AnalysisRequest.started_at.is_not(None))
            .order_by(AnalysisRequest.id.desc()).limit(limit)
        ).all()
        return [{"analysis": i, "status": status, "wait_s": _seconds(created, started), "run_s": _seconds(started, finished)}
                for i, status, created, started, finished in reversed(rows)]

    return read(engine, read_page)


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """Seconds from ``start`` to ``end`` (to the millisecond), or None when either is unknown."""
    return round((end - start).total_seconds(), 3) if start and end else None
