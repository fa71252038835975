"""The lease protocol on SQLite and PostgreSQL: claim, expiry, reaping, retry limit, redelivery, cancel."""
from __future__ import annotations

import threading
from typing import Any, Callable

import pytest

from coe_framework.db.models import PRIORITY_BULK, PRIORITY_INTERACTIVE
from coe_framework.queue.leases import JobNotFound, JobQueue

from .conftest import FakeClock, request_row


def test_claim_takes_the_highest_priority_then_the_oldest(queue: JobQueue, make_job: Callable[..., int], store: Any) -> None:
    bulk_old = make_job(priority=PRIORITY_BULK)
    interactive = make_job(priority=PRIORITY_INTERACTIVE)
    bulk_new = make_job(priority=PRIORITY_BULK)

    order = [queue.claim_next(f"w{i}") for i in range(4)]

    assert [lease.request_id if lease else None for lease in order] == [interactive, bulk_old, bulk_new, None]
    row = request_row(store, interactive)
    assert row["status"] == "running" and row["attempts"] == 1 and row["started_at"] is not None


def test_competing_claimers_never_share_a_job(store: Any, make_job: Callable[..., int]) -> None:
    ids = {make_job() for _ in range(12)}
    claimed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def claimer(name: str) -> None:
        queue = JobQueue(store.engine)
        try:
            while (lease := queue.claim_next(name)) is not None:
                with lock:
                    claimed.append(lease.request_id)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert not errors
    assert sorted(claimed) == sorted(ids)


def test_an_expired_lease_is_reaped_and_the_old_owner_can_no_longer_write(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    request_id = make_job()
    first = queue.claim_next("dead-worker")
    assert first is not None

    clock.advance(59)
    assert not queue.reap()
    clock.advance(2)
    report = queue.reap()

    assert report.requeued == [request_id]
    row = request_row(store, request_id)
    assert row["status"] == "queued"
    assert "dead-worker" in row["error"] and "attempt 1 of 3" in row["error"]
    second = queue.claim_next("live-worker")
    assert second is not None and second.attempt == 2
    # Every write of the first owner is refused now.
    assert queue.heartbeat(first) is False
    assert queue.report_progress(first, 0.5, "half") is False
    assert queue.finish(first, "succeeded") is False
    assert queue.should_stop(first) is True
    assert queue.finish(second, "succeeded") is True
    assert request_row(store, request_id)["status"] == "succeeded"


def test_heartbeats_keep_a_lease_alive(queue: JobQueue, clock: FakeClock, make_job: Callable[..., int]) -> None:
    make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    for _ in range(5):
        clock.advance(40)
        assert queue.heartbeat(lease) is True
        assert not queue.reap()
    clock.advance(61)
    assert queue.reap().requeued == [lease.request_id]


def test_a_job_whose_workers_keep_dying_fails_after_max_attempts(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    request_id = make_job(max_attempts=2)
    for attempt in (1, 2):
        lease = queue.claim_next(f"worker-{attempt}")
        assert lease is not None and lease.attempt == attempt
        clock.advance(61)
        report = queue.reap()

    assert report.failed == [request_id] and not report.requeued
    row = request_row(store, request_id)
    assert row["status"] == "failed" and row["finished_at"] is not None
    assert row["error"].startswith("gave up: attempt 2 of 2: worker worker-2 stopped renewing its lease")
    assert queue.claim_next("another") is None


def test_a_failed_attempt_is_retried_until_the_limit(queue: JobQueue, make_job: Callable[..., int], store: Any) -> None:
    request_id = make_job(max_attempts=2)
    first = queue.claim_next("w1")
    assert first is not None
    assert queue.retry_or_fail(first, "OperationalError: server closed the connection") == "queued"
    assert "attempt 1 of 2 failed, will retry" in request_row(store, request_id)["error"]
    second = queue.claim_next("w2")
    assert second is not None
    assert queue.retry_or_fail(second, "OperationalError: again") == "failed"
    row = request_row(store, request_id)
    assert row["status"] == "failed" and row["error"] == "gave up after 2 attempts: OperationalError: again"
    # The first owner's late report changes nothing.
    assert queue.retry_or_fail(first, "late") is None


def test_redelivery_claims_only_a_job_that_is_free_to_run(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    request_id = make_job(max_attempts=2)
    first = queue.claim(request_id, "w1")
    assert first.outcome == "claimed" and first.lease is not None

    assert queue.claim(request_id, "w2").outcome == "busy"  # the first holder is alive
    clock.advance(61)
    second = queue.claim(request_id, "w2")  # the first holder died: take over
    assert second.outcome == "claimed" and second.lease is not None and second.lease.attempt == 2
    assert queue.finish(second.lease, "succeeded")
    assert queue.claim(request_id, "w3").outcome == "finished"
    assert request_row(store, request_id)["status"] == "succeeded"

    with pytest.raises(JobNotFound):
        queue.claim(10_000_000, "w4")


def test_redelivery_after_the_last_attempt_died_fails_the_job(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    request_id = make_job(max_attempts=1)
    assert queue.claim(request_id, "w1").lease is not None
    clock.advance(61)
    assert queue.claim(request_id, "w2").outcome == "failed"
    assert request_row(store, request_id)["error"].startswith("gave up: attempt 1 of 1: worker w1")


def test_cancel_a_queued_job_at_once_and_a_running_one_at_its_next_check(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    running_id = make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    queued_id = make_job()

    assert queue.request_cancel(queued_id) == "cancelled"
    assert queue.claim_next("other") is None
    assert queue.claim(queued_id, "other").outcome == "finished"

    assert queue.should_stop(lease) is False
    assert queue.request_cancel(running_id) == "running"
    assert queue.should_stop(lease) is True
    assert queue.finish(lease, "cancelled")
    assert queue.request_cancel(running_id) == "cancelled"  # finished: unchanged
    with pytest.raises(JobNotFound):
        queue.request_cancel(10_000_000)


def test_a_cancelled_job_whose_worker_died_is_reaped_as_cancelled(
    queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any
) -> None:
    request_id = make_job()
    assert queue.claim_next("worker") is not None
    queue.request_cancel(request_id)
    clock.advance(61)
    assert queue.reap().cancelled == [request_id]
    assert request_row(store, request_id)["status"] == "cancelled"


def test_overview_counts_jobs_and_lists_leases(queue: JobQueue, make_job: Callable[..., int]) -> None:
    make_job()
    make_job()
    lease = queue.claim_next("worker")
    assert lease is not None
    overview = queue.overview()
    assert overview["counts"] == {"queued": 1, "running": 1}
    assert overview["oldest_queued"] is not None
    assert [row["lease_owner"] for row in overview["running"]] == ["worker"]


def test_queued_jobs_not_sent_lately_are_taken_once_for_sending(queue: JobQueue, clock: FakeClock, make_job: Callable[..., int], store: Any) -> None:
    never_sent, sent_now, running = make_job(priority=PRIORITY_BULK), make_job(), make_job(priority=PRIORITY_INTERACTIVE)
    assert queue.claim(running, "w").lease is not None
    queue.mark_published([sent_now])
    assert queue.take_unsent(60) == [never_sent]  # created long before the fake clock's now
    assert queue.take_unsent(60) == []  # marked as sent: a second reaper does not send it too
    clock.advance(61)
    assert queue.take_unsent(60) == [sent_now, never_sent]  # still queued a minute after sending: lost
    other = JobQueue(store.engine, clock=clock)
    assert other.take_unsent(60) == [] and queue.take_unsent(60) == []
