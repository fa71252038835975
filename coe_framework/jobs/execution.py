"""Running one leased job through the service path the CLI uses.

:func:`execute` takes a :class:`~coe_framework.jobs.leases.Lease` and calls
:func:`coe_framework.service.run_stored_request`, so results are stored
exactly as ``coe analyze`` stores them. Around that call it keeps the lease
alive (a heartbeat thread), lets cancellation in (a cheap, rate-limited
``cancelled()``), and settles the job itself: the service's status writes
pass through :class:`LeaseGuardedStore`, which applies progress only while
this worker holds the lease and defers the final status to :func:`execute`.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable

from sqlalchemy.exc import SQLAlchemyError

from ..db.models import FINISHED_STATUSES
from ..errors import CoeError, first_line, one_line
from .leases import JobQueue, Lease

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store
    from ..plugins import PluginManager

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """This worker no longer holds the job's lease; another may be running it."""


class LeaseGuardedStore:
    """The store, as the service sees it while a leased job runs.

    The service writes status and progress through ``update_request``. Here
    progress is written only while this worker holds the lease (so a worker
    that lost its lease cannot overwrite a newer run's progress), and a final
    status is recorded for :func:`execute` instead of written: the job's end
    (finished, retried or failed) is decided under the lease guard. Every
    other call goes to the real store unchanged.
    """

    def __init__(self, store: "Store", queue: JobQueue, lease: Lease):
        self._store = store
        self._queue = queue
        self._lease = lease
        #: Until when this worker surely holds the lease (the database's expiry only moves later).
        self._held_until = lease.expires_at
        #: (status, error) the service reported last, if final.
        self.final: tuple[str, str | None] | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _hold(self) -> None:
        """Renew the lease before a write, or raise :class:`LeaseLost`.

        With at least half a lease left the write goes ahead without asking
        the database; otherwise the lease is renewed first. Either way a
        long stretch of lease remains for the write, so no other worker can
        take the job over meanwhile, and a worker that lost the lease (its
        analysis then ends "cancelled") writes no results over the new
        owner's.
        """
        if self._queue.clock() + self._queue.lease / 2 < self._held_until:
            return  # at least half a lease left: no one can have taken it over
        if not self._queue.heartbeat(self._lease):
            raise LeaseLost(f"job {self._lease.request_id}: lease lost by {self._lease.owner}")
        self._held_until = self._queue.clock() + self._queue.lease

    def start_repository_analysis(self, request_id: int, prepared: Any) -> int:
        self._hold()
        return self._store.start_repository_analysis(request_id, prepared)

    def save_repository_outcome(self, repository_analysis_id: int, record: Any) -> int:
        self._hold()
        return self._store.save_repository_outcome(repository_analysis_id, record)

    def update_request(
        self,
        request_id: int,
        *,
        status: str | None = None,
        progress: float | None = None,
        progress_message: str | None = None,
        error: str | None = None,
        expect_status: Iterable[str] | None = None,
    ) -> bool:
        if request_id != self._lease.request_id:
            return self._store.update_request(
                request_id, status=status, progress=progress, progress_message=progress_message,
                error=error, expect_status=expect_status,
            )
        if status in FINISHED_STATUSES:
            self.final = (status, error)
            return True
        if progress is not None or progress_message is not None:
            return self._queue.report_progress(self._lease, progress if progress is not None else 0.0, progress_message or "")
        # "running": the claim already made it so; say whether that still holds.
        try:
            self._hold()
        except LeaseLost:
            return False
        return True


class CancelWatch:
    """``cancelled()`` for the runner: true once cancellation was asked or the lease was lost.

    The runner polls it many times a second; the database is asked at most
    once per ``interval`` seconds.
    """

    def __init__(self, queue: JobQueue, lease: Lease, interval: float = 1.0, clock: Callable[[], float] = time.monotonic,
                 time_limit: float | None = None):
        self.queue = queue
        self.lease = lease
        self.interval = interval
        self.clock = clock
        self._stop = threading.Event()
        self._checked = -float("inf")
        self.deadline = clock() + time_limit if time_limit else None

    @property
    def timed_out(self) -> bool:
        """True once the job ran past its time limit (it is stopped like a cancelled one).

        Read from the clock, not from a flag: analyzers run in forked
        processes, which check their own copy of this object.
        """
        return self.deadline is not None and self.clock() > self.deadline

    def stop(self) -> None:
        """Make every later call return True (lease lost, shutting down)."""
        self._stop.set()

    def __call__(self) -> bool:
        if self._stop.is_set():
            return True
        now = self.clock()
        if self.deadline is not None and now > self.deadline:
            self._stop.set()
            return True
        if now - self._checked >= self.interval:
            self._checked = now
            try:
                if self.queue.should_stop(self.lease):
                    self._stop.set()
            except SQLAlchemyError:
                log.warning("job %s: cannot read its cancellation flag; carrying on", self.lease.request_id)
        return self._stop.is_set()


class Heartbeat:
    """Renews a lease every ``interval`` seconds on a daemon thread until stopped."""

    def __init__(self, queue: JobQueue, lease: Lease, interval: float, on_lost: Callable[[], None]):
        self.queue = queue
        self.lease = lease
        self.interval = interval
        self.on_lost = on_lost
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"coe-heartbeat-{lease.request_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                held = self.queue.heartbeat(self.lease)
            except Exception as exc:  # noqa: BLE001 - a dead heartbeat thread would let the lease expire under a live job
                # The lease has slack for a few missed beats; keep trying.
                log.warning("job %s: heartbeat failed: %s: %s", self.lease.request_id, type(exc).__name__, exc)
                continue
            if not held:
                self.lost = True
                log.warning("job %s: lease lost by %s", self.lease.request_id, self.lease.owner)
                self.on_lost()
                return

    def __enter__(self) -> "Heartbeat":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join(5)


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
    from ..repos import SourcePolicy
    from ..service import run_stored_request

    watch = CancelWatch(queue, lease, cancel_check_seconds, time_limit=time_limit)
    guarded = LeaseGuardedStore(store, queue, lease)
    with Heartbeat(queue, lease, heartbeat_seconds, watch.stop) as heartbeat:
        try:
            request = store.get_analysis(lease.request_id)
            # Requests from the CLI (and watches added there) may name local paths; every other source gets the server's policy.
            policy = SourcePolicy() if request is not None and request.get("source") in LOCAL_SOURCES else SourcePolicy.for_server()
            report = run_stored_request(
                manager, guarded, lease.request_id, policy=policy, workers=file_workers, cancelled=watch,  # type: ignore[arg-type]
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
            status = queue.retry_or_fail(lease, reason[:2000])
            return JobResult(lease.request_id, status or "lost", reason)
    status, error = guarded.final or (report.status, None)
    if watch.timed_out and status == "cancelled":
        status, error = "failed", f"the job exceeded its time limit of {time_limit:g}s"
    if not queue.finish(lease, status, error):
        log.warning("job %s finished as %s but its lease was lost; leaving the row to its new owner", lease.request_id, status)
        return JobResult(lease.request_id, "lost", error)
    return JobResult(lease.request_id, status, error)
