"""Running one leased job through the service path the CLI uses.

:func:`execute` takes a :class:`~coe_framework.queue.leases.Lease` and calls
:func:`coe_framework.analysis.service.run_stored_request`, so results are stored
exactly as ``coe analyze`` stores them. Around that call it keeps the lease
alive (a heartbeat thread), lets cancellation in (a cheap, rate-limited
``cancelled()``), and settles the job itself: the service reports status and
progress to a :class:`~.guard.LeaseGuard`, which writes progress only while
this worker holds the lease and defers the final status to :func:`execute`.
The request row is read once here and handed to the service.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..db.request_status import RequestStatus
from ..errors import CoeError, first_line, one_line
from ..queue.guard import CancelWatch, Heartbeat, LeaseGuard, LeaseLost
from ..queue.leases import JobQueue, Lease

__all__ = ["CancelWatch", "Heartbeat", "JobResult", "LOCAL_SOURCES", "LeaseGuard", "LeaseLost", "execute", "is_final_error"]

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store
    from ..plugin.manager import PluginManager

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobResult:
    """How one execution of a job ended."""

    request_id: int
    #: The request's status after this execution (queued when it will be retried),
    #: or "lost" when another worker holds the job now.
    status: str
    error: str | None = None


#: Request sources whose repositories were admitted by the CLI's policy (local paths allowed).
LOCAL_SOURCES = frozenset({"cli", "watch-cli"})


def is_final_error(exc: BaseException) -> bool:
    """Errors that will recur on retry: a :class:`~coe_framework.errors.CoeError` that is not
    retryable (bad input such as a refused source, bad options or an unknown analyzer; a row
    that does not exist), and a plain ``ValueError``, bad input before the error kinds existed."""
    if isinstance(exc, CoeError):
        return not exc.retryable
    return isinstance(exc, ValueError)


def execute(
    manager: "PluginManager",
    store: "Store",
    queue: JobQueue,
    lease: Lease,
    *,
    heartbeat_seconds: float = 20.0,
    cancel_check_seconds: float = 1.0,
    file_workers: int = 1,
    time_limit: float | None = None,
) -> JobResult:
    """Run a leased job to its end and settle it under the lease guard.

    Bad input fails the job at once with its one-line message. Any other
    error returns the job to the queue until ``max_attempts`` claims were
    used. A job still running after ``time_limit`` seconds is stopped at its
    next check and fails with the reason (it would run out of time again).
    A worker that is interrupted (KeyboardInterrupt, SystemExit) hands the
    job back before re-raising.
    """
    from ..repository.sources import SourcePolicy
    from ..analysis.service import run_stored_request

    watch = CancelWatch(queue, lease, cancel_check_seconds, time_limit=time_limit)
    guarded = LeaseGuard(RequestStatus(store), queue, lease)
    with Heartbeat(queue, lease, heartbeat_seconds, watch.stop) as heartbeat:
        try:
            request = store.get_analysis(lease.request_id)
            # Requests from the CLI (and watches added there) may name local paths; every other source gets the server's policy.
            policy = SourcePolicy() if request is not None and request.get("source") in LOCAL_SOURCES else SourcePolicy.for_server()
            report = run_stored_request(
                manager, store, lease.request_id, policy=policy, workers=file_workers, cancelled=watch,
                request=request, status=guarded,
            )
        except (KeyboardInterrupt, SystemExit):
            queue.retry_or_fail(lease, "the worker was stopped while running the job")
            raise
        except Exception as exc:  # noqa: BLE001 - every failure ends in a recorded status
            reason = one_line(exc)
            if heartbeat.lost or isinstance(exc, LeaseLost):
                log.warning("job %s: lease lost; the new owner finishes it", lease.request_id)
                return JobResult(lease.request_id, "lost", reason)
            if is_final_error(exc):
                reason = first_line(exc) or reason
                log.info("job %s failed: %s", lease.request_id, reason)
                status = "failed" if queue.finish(lease, "failed", reason[:2000]) else "lost"
                return JobResult(lease.request_id, status, reason)
            log.warning("job %s attempt %d failed: %s", lease.request_id, lease.attempt, reason, exc_info=True)
            retried = queue.retry_or_fail(lease, reason[:2000])
            return JobResult(lease.request_id, retried or "lost", reason)
    status, error = guarded.final or (report.status, None)
    if watch.timed_out and status == "cancelled":
        status, error = "failed", f"the job exceeded its time limit of {time_limit:g}s"
    if not queue.finish(lease, status, error):
        log.warning("job %s finished as %s but its lease was lost; leaving the row to its new owner", lease.request_id, status)
        return JobResult(lease.request_id, "lost", error)
    return JobResult(lease.request_id, status, error)
