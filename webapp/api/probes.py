"""Probes and scrapes: ``/health`` (liveness), ``/ready`` (database and migrations), ``/metrics``."""
from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import text

from coe_framework.db.models import utcnow
from coe_framework.db.store import iso

from ..problems import Problem
from ..schemas import HealthOut, ReadyOut
from .common import coe

bp = APIBlueprint("probes", __name__, tag="Operations")


@bp.get("/health")
@bp.doc(summary="Liveness", description="The process answers; nothing else is checked. `timestamp` and `service` are what the original services' probe also said.")
@bp.output(HealthOut)
def health() -> Any:
    return {"status": "ok", "timestamp": iso(utcnow()), "service": "coe"}


@bp.get("/ready")
@bp.doc(summary="Readiness", description="The database answers and its migrations validate; 503 otherwise.")
@bp.output(ReadyOut)
def ready() -> Any:
    from coe_migrate.migrate import MigrationError, check_startup

    engine = coe().engine
    retry = {"Retry-After": str(coe().settings.retry_after_seconds)}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means not ready
        raise Problem(503, "the database is unreachable", kind="not-ready", headers=retry) from None
    try:
        check_startup(engine)
    except MigrationError:
        raise Problem(503, "the database's migrations do not validate or are not applied", kind="not-ready", headers=retry) from None
    except Exception:  # noqa: BLE001
        raise Problem(503, "the migration ledger could not be read", kind="not-ready", headers=retry) from None
    return {"status": "ready", "database": "reachable", "migrations": "valid"}


@bp.get("/metrics")
@bp.doc(
    summary="Prometheus metrics",
    description="Requests and latency by route, jobs by state, cache hit ratios, API log buffer and database pool usage.",
    responses={200: {"description": "Prometheus text exposition format", "content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    return Response(coe().metrics.render(), mimetype=CONTENT_TYPE_LATEST.split(";")[0], headers={"Content-Type": CONTENT_TYPE_LATEST})
