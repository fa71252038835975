"""What keeps a leased job honest while it runs: lease renewal, cancellation, guarded status.

* :class:`Heartbeat` renews the lease on a thread;
* :class:`CancelWatch` is the runner's cheap ``cancelled()``;
* :class:`LeaseGuard` is the service's status port
  (:class:`~coe_framework.analysis.status.StatusPort`) for a leased job: it
  wraps the store's (:class:`~coe_framework.db.request_status.RequestStatus`),
  writes progress only while this worker holds the lease, and keeps the
  final status for the executor, which settles the job.

Used by :mod:`.execution` (queued jobs) and :mod:`.direct` (``coe analyze``).
"""
from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any, Callable

from sqlalchemy.exc import SQLAlchemyError

from .leases import JobQueue, Lease

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.status import StatusPort

log = logging.getLogger(__name__)


class LeaseLost(Exception):
    """This worker no longer holds the job's lease; another may be running it."""


class LeaseGuard:
    """The status port of a leased job: the store's, behind the lease check.

    Progress is written only while this worker holds the lease (so a worker
    that lost its lease cannot overwrite a newer run's progress), and a final
    status is recorded in :attr:`final` instead of written: the job's end
    (finished, retried or failed) is decided under the lease by the
    executor. Before results are written the lease is renewed when needed,
    or :class:`LeaseLost` raised. Reports about another request go to
    ``inner`` unchanged.
    """

    def __init__(self, inner: "StatusPort", queue: JobQueue, lease: Lease):
        self._inner = inner
        self._queue = queue
        self._lease = lease
        #: Until when this worker surely holds the lease (the database's expiry only moves later).
        self._held_until = lease.expires_at
        #: (status, error) the service reported last, if final.
        self.final: tuple[str, str | None] | None = None

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

    def _ours(self, request_id: int) -> bool:
        return request_id == self._lease.request_id

    def running(self, request_id: int) -> bool:
        """The claim already made the job running: say whether that still holds."""
        if not self._ours(request_id):
            return self._inner.running(request_id)
        try:
            self._hold()
        except LeaseLost:
            return False
        return True

    def progress(self, request_id: int, fraction: float, message: str) -> bool:
        """Progress, written only under this worker's lease."""
        if not self._ours(request_id):
            return self._inner.progress(request_id, fraction, message)
        return self._queue.report_progress(self._lease, fraction, message)

    def finished(self, request_id: int, status: str, error: str | None) -> bool:
        """Kept in :attr:`final` for the executor."""
        if not self._ours(request_id):
            return self._inner.finished(request_id, status, error)
        self.final = (status, error)
        return True

    def failed(self, request_id: int, error: str) -> bool:
        """Kept in :attr:`final` for the executor."""
        if not self._ours(request_id):
            return self._inner.failed(request_id, error)
        self.final = ("failed", error)
        return True

    def before_write(self) -> None:
        """Results may be written only under the lease: renew it when due, or raise :class:`LeaseLost`."""
        self._hold()


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
