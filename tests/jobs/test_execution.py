"""Running leased jobs through the service path: results, retries, redelivery, cancellation, executors."""
from __future__ import annotations

import time
from typing import Any, Callable

import pytest

from coe_framework.analysis import service
from coe_framework.jobs import executors as executors_module
from coe_framework.db.request_status import RequestStatus
from coe_framework.queue.guard import CancelWatch, Heartbeat, LeaseGuard
from coe_framework.jobs.executors import InlineExecutor, JobRuntime, ThreadExecutor
from coe_framework.queue.leases import JobQueue

from .conftest import FakeClock, request_row, sqlite_only


def wait_for(predicate: Callable[[], bool], seconds: float = 30.0) -> bool:
    """Poll until ``predicate`` holds or ``seconds`` pass (a safety net, never a timing check)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def results_of(store: Any, request_id: int) -> dict[str, dict[str, Any]]:
    rows = store.get_results(request_id)
    names = [r["analyzer"] for r in rows]
    assert len(names) == len(set(names)), f"duplicate results: {names}"
    return {r["analyzer"]: r for r in rows}


def test_inline_executor_stores_results_like_the_cli(runtime: JobRuntime, make_request: Callable[..., int], store: Any) -> None:
    request_id = make_request(files=3)
    executor = InlineExecutor(runtime)

    executor.submit(request_id)

    assert executor.last is not None and executor.last.status == "succeeded"
    row = request_row(store, request_id)
    assert row["status"] == "succeeded" and row["attempts"] == 1 and row["progress"] == 1.0
    assert row["repository_analyses"][0]["status"] == "succeeded"
    assert results_of(store, request_id)["jobcount"]["data"] == {"files": 3, "bytes": 21}


def test_a_redelivered_job_runs_once(runtime: JobRuntime, make_request: Callable[..., int], store: Any) -> None:
    request_id = make_request()
    first = runtime.run_request(request_id)
    again = runtime.run_request(request_id)

    assert first.status == "succeeded"
    assert again.status == "succeeded" and again.error == "finished"
    assert request_row(store, request_id)["attempts"] == 1
    assert list(results_of(store, request_id)) == ["jobcount"]


@pytest.fixture
def taken_over_job(settings: Any, store: Any, job_manager: Any, make_request: Callable[..., int], clock: FakeClock) -> Any:
    """A job whose first worker stalled past its lease; a second worker claimed it since."""
    request_id = make_request()
    queue = JobQueue(store.engine, lease_seconds=60, clock=clock)
    runtime = JobRuntime(settings, store, job_manager, queue=queue)
    stalled = queue.claim_next("stalled-worker")
    assert stalled is not None
    clock.advance(61)
    assert queue.reap().requeued == [request_id]
    taken_over = queue.claim_next("second-worker")
    assert taken_over is not None
    return runtime, request_id, stalled, taken_over


def test_a_worker_that_lost_its_lease_writes_nothing_twice(taken_over_job: Any, store: Any) -> None:
    """The stalled first worker finishes after the second one succeeded."""
    runtime, request_id, stalled, taken_over = taken_over_job
    assert runtime.run_claimed(taken_over).status == "succeeded"

    late = runtime.run_claimed(stalled)

    assert late.status == "lost"
    row = request_row(store, request_id)
    assert row["status"] == "succeeded" and row["attempts"] == 2
    assert len(row["repository_analyses"]) == 1
    assert list(results_of(store, request_id)) == ["jobcount"]


def test_a_stalled_worker_that_wakes_first_writes_nothing(taken_over_job: Any, store: Any) -> None:
    """The stalled worker runs before the new owner does: it must store nothing at all."""
    runtime, request_id, stalled, taken_over = taken_over_job

    assert runtime.run_claimed(stalled).status == "lost"
    row = request_row(store, request_id)
    assert row["status"] == "running" and row["repository_analyses"] == []

    assert runtime.run_claimed(taken_over).status == "succeeded"
    assert results_of(store, request_id)["jobcount"]["status"] == "succeeded"


@sqlite_only
def test_bad_input_fails_at_once_with_the_reason(runtime: JobRuntime, make_request: Callable[..., int], store: Any, tmp_path: Any) -> None:
    request_id = make_request(url=str(tmp_path / "missing-repository"))

    result = runtime.run_request(request_id)

    assert result.status == "failed"
    row = request_row(store, request_id)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "missing-repository" in row["error"] and "\n" not in row["error"]


def test_a_passing_failure_is_retried_then_succeeds(
    runtime: JobRuntime, make_request: Callable[..., int], store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = make_request()
    real = service.run_stored_request
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "run_stored_request", flaky)
    first = runtime.run_request(request_id)
    assert first.status == "queued"
    assert "will retry: ConnectionError: database went away" in request_row(store, request_id)["error"]

    second = runtime.run_request(request_id)

    assert second.status == "succeeded"
    row = request_row(store, request_id)
    assert row["status"] == "succeeded" and row["attempts"] == 2 and row["error"] is None


@sqlite_only
def test_a_failure_on_the_last_attempt_fails_the_job(
    runtime: JobRuntime, make_request: Callable[..., int], store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = make_request(max_attempts=1)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("database went away")

    monkeypatch.setattr(service, "run_stored_request", broken)

    assert runtime.run_request(request_id).status == "failed"
    assert request_row(store, request_id)["error"] == "gave up after 1 attempts: ConnectionError: database went away"


def test_cancel_reaches_a_running_job(runtime: JobRuntime, make_request: Callable[..., int], store: Any) -> None:
    request_id = make_request(analyzers=("jobcount", "jobslow"), options={"jobslow": {"seconds": 60}})
    executor = ThreadExecutor(runtime)
    try:
        executor.submit(request_id)
        assert wait_for(lambda: request_row(store, request_id)["status"] == "running")
        assert runtime.queue.request_cancel(request_id) == "running"
        assert wait_for(lambda: request_row(store, request_id)["status"] != "running")
    finally:
        executor.close()
    row = request_row(store, request_id)
    assert row["status"] == "cancelled"
    results = results_of(store, request_id)
    assert results["jobslow"]["status"] == "cancelled"


@sqlite_only
def test_a_job_that_cannot_start_here_goes_back_to_the_queue_at_once(
    runtime: JobRuntime, make_request: Callable[..., int], store: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    request_id = make_request()

    def broken(self: Any) -> Any:
        raise RuntimeError("plugin manager failed to load")

    monkeypatch.setattr(JobRuntime, "manager", property(broken))

    assert runtime.run_request(request_id).status == "queued"
    row = request_row(store, request_id)
    assert row["status"] == "queued" and row["attempts"] == 1
    assert row["error"] == "attempt 1 of 3 failed, will retry: RuntimeError: plugin manager failed to load"


@sqlite_only
def test_a_job_past_its_time_limit_stops_and_fails(settings: Any, store: Any, job_manager: Any, make_request: Callable[..., int]) -> None:
    request_id = make_request(analyzers=("jobslow",), options={"jobslow": {"seconds": 60}})
    runtime = JobRuntime(settings, store, job_manager, time_limit=0.5)

    result = runtime.run_request(request_id)

    assert result.status == "failed"
    row = request_row(store, request_id)
    assert row["status"] == "failed" and row["error"] == "the job exceeded its time limit of 0.5s"


@sqlite_only
def test_threads_executor_runs_every_queued_job_once_interactive_first(
    runtime: JobRuntime, make_request: Callable[..., int], store: Any
) -> None:
    bulk = [make_request(priority=0) for _ in range(4)]
    interactive = make_request(priority=100)
    executor = ThreadExecutor(runtime)
    try:
        executor.submit(interactive)
        assert wait_for(lambda: all(request_row(store, i)["status"] == "succeeded" for i in [*bulk, interactive]))
    finally:
        executor.close()
    started = {i: request_row(store, i)["started_at"] for i in [*bulk, interactive]}
    assert started[interactive] <= min(started[i] for i in bulk)
    for request_id in [*bulk, interactive]:
        assert request_row(store, request_id)["attempts"] == 1
        assert list(results_of(store, request_id)) == ["jobcount"]


@sqlite_only
def test_threads_executor_reaps_and_reruns_a_dead_workers_job(
    settings: Any, store: Any, job_manager: Any, make_request: Callable[..., int]
) -> None:
    request_id = make_request()
    dead = JobQueue(store.engine, lease_seconds=0.5).claim_next("dead-worker")
    assert dead is not None
    runtime = JobRuntime(settings, store, job_manager)
    executor = ThreadExecutor(runtime)
    try:
        executor.start()
        assert wait_for(lambda: request_row(store, request_id)["status"] == "succeeded")
    finally:
        executor.close()
    assert request_row(store, request_id)["attempts"] == 2


@sqlite_only
def test_the_runner_sees_cancellation_at_most_once_per_interval(queue: JobQueue, make_job: Callable[..., int]) -> None:
    make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    ticks = iter([0.0, 0.2, 0.5, 1.1, 1.2])
    lookups: list[int] = []
    real = queue.should_stop
    queue.should_stop = lambda held: lookups.append(1) or real(held)  # type: ignore[method-assign]
    watch = CancelWatch(queue, lease, interval=1.0, clock=lambda: next(ticks))

    seen = [watch(), watch(), watch()]
    queue.request_cancel(lease.request_id)
    seen += [watch(), watch()]

    assert seen == [False, False, False, True, True]
    assert len(lookups) == 2


@sqlite_only
def test_heartbeat_notices_a_lost_lease_and_stops_the_job(queue: JobQueue, make_job: Callable[..., int], clock: FakeClock) -> None:
    make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    clock.advance(61)
    queue.reap()
    watch = CancelWatch(queue, lease, interval=3600)
    with Heartbeat(queue, lease, 0.05, watch.stop) as beat:
        assert wait_for(lambda: beat.lost)
    assert watch() is True


@sqlite_only
def test_progress_and_status_writes_follow_the_lease(queue: JobQueue, make_job: Callable[..., int], store: Any, clock: FakeClock) -> None:
    request_id = make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    guarded = LeaseGuard(RequestStatus(store), queue, lease)

    assert guarded.progress(request_id, 0.4, "jobcount: half")
    assert guarded.finished(request_id, "succeeded", None)
    row = request_row(store, request_id)
    # Progress went in; the final status waits for the executor to settle the job.
    assert row["status"] == "running" and row["progress"] == 0.4 and row["progress_message"] == "jobcount: half"
    assert guarded.final == ("succeeded", None)

    clock.advance(61)
    queue.reap()
    assert not guarded.progress(request_id, 0.9, "late")
    assert request_row(store, request_id)["progress_message"] != "late"


@sqlite_only
def test_submit_and_cancel_use_the_configured_executor(
    monkeypatch: pytest.MonkeyPatch, store: Any, job_manager: Any, make_request: Callable[..., int]
) -> None:
    from coe_framework import jobs

    monkeypatch.setenv("COE_EXECUTOR", "inline")
    monkeypatch.setattr(executors_module.JobRuntime, "manager", property(lambda self: job_manager))
    jobs.shutdown()
    try:
        done = make_request()
        jobs.submit(done)
        assert request_row(store, done)["status"] == "succeeded"
        assert jobs.cancel(done) == "succeeded"
        queued = make_request()
        assert jobs.cancel(queued) == "cancelled"
        assert isinstance(jobs.get_executor(), InlineExecutor)
    finally:
        jobs.shutdown()
