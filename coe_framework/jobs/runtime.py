"""What running jobs needs in one process: settings, the store, the queue, the plugins.

Shared by every executor (:mod:`.executors`) and by Celery workers
(:mod:`.celery_app`); it knows neither.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from ..errors import one_line
from .execution import JobResult, execute
from ..queue.leases import JobQueue, Lease, new_owner
from ..queue.settings import JobSettings

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store
    from ..plugin.manager import PluginManager

log = logging.getLogger(__name__)


class JobRuntime:
    """What running jobs needs in one process: settings, the store, the queue, the plugins."""

    def __init__(
        self,
        settings: JobSettings,
        store: "Store | None" = None,
        manager: "PluginManager | None" = None,
        *,
        time_limit: float | None = None,
        queue: JobQueue | None = None,
    ):
        self.settings = settings
        self._store = store
        self._manager = manager
        self._queue = queue
        self._lock = threading.Lock()
        #: Seconds after which a running job is stopped and failed (None: no limit).
        self.time_limit = time_limit

    @property
    def store(self) -> "Store":
        with self._lock:
            if self._store is None:
                from ..analysis.process_store import open_store

                self._store = open_store()
            return self._store

    @property
    def manager(self) -> "PluginManager":
        if self._manager is None:
            from ..plugin.manager import get_manager

            self._manager = get_manager()
        return self._manager

    @property
    def queue(self) -> JobQueue:
        if self._queue is None:
            self._queue = JobQueue(self.store.engine, lease_seconds=self.settings.lease_seconds)
        return self._queue

    def run_claimed(self, lease: Lease) -> JobResult:
        """Run a job this process has leased, to its end.

        :func:`execute` settles every outcome of the analysis; a failure
        around it (the plugins or the store cannot be loaded here) hands the
        job back at once rather than leaving it to the lease's expiry.
        """
        try:
            return execute(
                self.manager,
                self.store,
                self.queue,
                lease,
                heartbeat_seconds=self.settings.heartbeat_seconds,
                cancel_check_seconds=self.settings.cancel_check_seconds,
                file_workers=self.settings.file_workers,
                time_limit=self.time_limit,
            )
        except Exception as exc:  # noqa: BLE001 - settle the lease, whatever went wrong
            reason = one_line(exc)
            log.exception("job %s: could not be run in this process", lease.request_id)
            status = self.queue.retry_or_fail(lease, reason[:2000])
            return JobResult(lease.request_id, status or "lost", reason)

    def run_request(self, request_id: int, label: str = "inline") -> JobResult:
        """Claim one named job and run it; a job that is not free to run is left alone."""
        claim = self.queue.claim(request_id, new_owner(label))
        if claim.lease is None:
            log.info("job %s not run: %s (%s)", request_id, claim.outcome, claim.status)
            return JobResult(request_id, claim.status, None if claim.outcome == "claimed" else claim.outcome)
        return self.run_claimed(claim.lease)
