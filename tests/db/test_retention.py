"""API call logs are kept for the retention and no longer: the function, the CLI and the web app's thread."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import ApiLog
from coe_framework.db.retention import prune_api_logs

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=timezone.utc)


def _log(request_id: str, created_at: datetime) -> dict[str, Any]:
    return {"request_id": request_id, "method": "GET", "route": "/api/v1/analyses", "path": "/api/v1/analyses",
            "status_code": 200, "duration_ms": 1.0, "created_at": created_at}


def _seed_logs(engine: Any, ages_in_days: list[float]) -> None:
    with unit_of_work(engine, write=True) as session:
        session.execute(ApiLog.__table__.insert(), [_log(f"r{n}", NOW - timedelta(days=age)) for n, age in enumerate(ages_in_days)])


def store_url(store: Any) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def _kept(engine: Any) -> list[str]:
    with unit_of_work(engine) as session:
        return sorted(session.scalars(select(ApiLog.request_id)))


def test_prune_deletes_only_rows_older_than_the_retention_in_batches(store: Any) -> None:
    ages = [40, 35, 31, 30.5, 29, 2, 0]
    _seed_logs(store.engine, ages)
    deleted = prune_api_logs(store.engine, timedelta(days=30), now=NOW, batch_rows=2)  # three batches
    assert deleted == 4
    assert _kept(store.engine) == ["r4", "r5", "r6"]
    assert prune_api_logs(store.engine, timedelta(days=30), now=NOW) == 0


def test_prune_can_stop_after_a_few_batches(store: Any) -> None:
    _seed_logs(store.engine, [40, 39, 38, 37, 36, 1])
    assert prune_api_logs(store.engine, timedelta(days=30), now=NOW, batch_rows=2, max_batches=1) == 2
    assert prune_api_logs(store.engine, timedelta(days=30), now=NOW, batch_rows=2, max_batches=1) == 2
    assert prune_api_logs(store.engine, timedelta(days=30), now=NOW, batch_rows=2, max_batches=5) == 1
    assert _kept(store.engine) == ["r5"]


def test_prune_refuses_a_retention_that_would_delete_everything(store: Any) -> None:
    with pytest.raises(ValueError, match="positive"):
        prune_api_logs(store.engine, timedelta(0))


def test_prune_logs_command(store: Any) -> None:
    from coe_framework.cli.main import cli

    _seed_logs(store.engine, [400, 3])  # relative to a fixed date: the command prunes relative to now
    runner = CliRunner()
    result = runner.invoke(cli, ["db", "--url", store_url(store), "prune-logs", "--older-than", "365"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deleted ") and "older than 365 days" in result.output
    with unit_of_work(store.engine) as session:
        oldest = session.scalar(select(func.min(ApiLog.created_at)))
    assert oldest is None or oldest.replace(tzinfo=timezone.utc) > datetime.now(timezone.utc) - timedelta(days=366)
    refused = runner.invoke(cli, ["db", "--url", store_url(store), "prune-logs", "--older-than", "0"])
    assert refused.exit_code == 2 and "Traceback" not in refused.output


def test_web_log_thread_prunes_with_a_retention(store: Any) -> None:
    from coe_webapp.apilog import ApiLogBuffer

    now = datetime.now(timezone.utc)
    with unit_of_work(store.engine, write=True) as session:
        session.execute(ApiLog.__table__.insert(), [_log("old", now - timedelta(days=10)), _log("new", now - timedelta(hours=1))])
    kept_forever = ApiLogBuffer(store.engine, interval=3600)
    assert kept_forever.prune() == 0 and _kept(store.engine) == ["new", "old"]
    weekly = ApiLogBuffer(store.engine, interval=3600, retention=timedelta(days=7))
    assert weekly.prune() == 1 and weekly.stats()["pruned"] == 1
    assert _kept(store.engine) == ["new"]
