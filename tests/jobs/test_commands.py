"""``coe cancel``, ``coe jobs`` and ``coe worker``: one-line output and one-line errors."""
from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner

from coe_framework import jobs
from coe_framework.cli.main import cli

from .conftest import PLUGIN_FILE, request_row, sqlite_only

pytestmark = sqlite_only


@pytest.fixture(autouse=True)
def _fresh_jobs_runtime(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    monkeypatch.setenv("COE_PLUGIN_MODULES", str(PLUGIN_FILE))
    monkeypatch.setenv("COE_DISABLE_PLUGINS", "git,ast,techspec")
    jobs.shutdown()
    yield
    jobs.shutdown()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cancel_a_queued_analysis_and_refuse_an_unknown_one(make_request: Callable[..., int], store: Any) -> None:
    request_id = make_request()

    result = invoke("cancel", str(request_id))
    assert result.exit_code == 0 and result.output == f"analysis {request_id}: cancelled\n"
    assert request_row(store, request_id)["status"] == "cancelled"

    missing = invoke("cancel", "424242")
    assert missing.exit_code == 2
    assert missing.output.strip() == "coe: error: no analysis request 424242"


def test_jobs_run_then_status(make_request: Callable[..., int], store: Any) -> None:
    first, second = make_request(), make_request()

    one = invoke("jobs", "run", str(first))
    assert one.exit_code == 0 and one.output == f"analysis {first}: succeeded\n"
    status = invoke("jobs", "status")
    assert status.output.splitlines()[0] == "queued=1  succeeded=1"
    drained = invoke("jobs", "run", "--drain")
    assert drained.output.splitlines() == [f"analysis {second}: succeeded", "ran 1 job(s)"]
    assert request_row(store, second)["status"] == "succeeded"
    assert invoke("jobs", "run").exit_code == 2


def test_worker_needs_a_broker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COE_BROKER_URL", raising=False)
    result = invoke("worker")
    assert result.exit_code == 2
    assert result.output.strip() == "coe: error: COE_EXECUTOR=celery needs COE_BROKER_URL (redis://... or amqp://...)"


def test_worker_refuses_a_time_limit_the_broker_would_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
    monkeypatch.setenv("COE_JOB_TIME_LIMIT", "3600")
    result = invoke("worker")
    assert result.exit_code == 2
    assert "COE_JOB_TIME_LIMIT must be below COE_BROKER_CONSUMER_TIMEOUT" in result.output
