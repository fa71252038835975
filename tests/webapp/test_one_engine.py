"""A ``coe serve`` process (the app and the in-process job runtime) holds one engine and one Store cache."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.pool import Pool

from tests.db.helpers import stored_analysis

from .conftest import build_web


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The process-wide job runtime, as ``coe serve`` builds it (threads executor), forgotten afterwards."""
    from coe_framework import jobs

    monkeypatch.setenv("COE_EXECUTOR", "threads")
    jobs.shutdown(wait=False)
    yield jobs.get_runtime()
    jobs.shutdown(wait=False)


def test_the_app_and_the_job_runtime_share_one_engine_and_one_cache(web_database_url: str, tmp_path: Path, runtime: Any) -> None:
    pools: set[int] = set()

    def opened(_dbapi_connection: Any, record: Any) -> None:
        pools.add(id(record._ConnectionRecord__pool))  # the pool this connection belongs to

    event.listen(Pool, "connect", opened)
    web = build_web(web_database_url, tmp_path)
    try:
        coe = web.coe
        coe.engine.dispose()  # every connection from here on is counted
        pools.clear()
        assert web.client.get("/ready").status_code == 200
        assert runtime.store.engine is coe.engine, "the job runtime uses the app's engine"
        assert runtime.store.cache is coe.store.cache, "and the app's Store cache"
        runtime.queue.claim_next("probe")
        analysis = stored_analysis(runtime.store)
        assert coe.store.get_analysis(analysis)["status"] == "succeeded"  # now cached by the app
        assert runtime.store.delete_analysis(analysis)
        assert coe.store.get_analysis(analysis) is None, "an eviction by the job runtime is seen by the app"
        assert pools == {id(coe.engine.pool)}, "one connection pool in the process"
    finally:
        event.remove(Pool, "connect", opened)
        web.coe.shutdown()
