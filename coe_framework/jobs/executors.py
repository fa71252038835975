"""Executors: one interface, three ways to run queued analysis requests.

* :class:`InlineExecutor` runs the job in the caller's thread (the CLI).
* :class:`ThreadExecutor` runs jobs on a pool of threads inside the current
  process (the embedded default of ``coe serve``): each thread claims the
  best queued job, so priorities hold and no broker is needed; a reaper
  thread returns jobs of dead workers to the queue.
* :class:`CeleryExecutor` hands the request id to Celery workers
  (``coe worker``) through Redis or RabbitMQ.

Every executor runs a job the same way (:class:`JobRuntime.run_claimed`),
and the database lease decides who runs what, so mixing executors on one
database is safe.
"""
from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any, Callable, Protocol

from ..errors import one_line
from .execution import JobResult, execute
from .leases import JobQueue, Lease, ReapReport, new_owner
from .settings import JobSettings

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store
    from ..plugins import PluginManager

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
            from ..plugins import get_manager

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


class Executor(Protocol):
    """Hands queued analysis requests to something that runs them."""

    name: str

    def submit(self, request_id: int) -> None:
        """Make sure the queued request ``request_id`` will run."""

    def close(self, wait: bool = True) -> None:
        """Stop accepting work; with ``wait``, let running jobs finish."""


class InlineExecutor:
    """Runs each job at once in the calling thread (the CLI)."""

    name = "inline"

    def __init__(self, runtime: JobRuntime):
        self.runtime = runtime
        #: The last job's result, for callers that want it.
        self.last: JobResult | None = None

    def submit(self, request_id: int) -> None:
        self.last = self.runtime.run_request(request_id, "inline")

    def close(self, wait: bool = True) -> None:
        return None


class Reaper:
    """Returns expired leases to the queue every ``interval`` seconds on a daemon thread.

    ``after_pass``, when given, runs after every pass (Celery sends lost
    messages again there).
    """

    def __init__(self, queue_of: Callable[[], JobQueue], interval: float, on_requeued: Callable[[list[int]], None],
                 after_pass: Callable[[], None] | None = None):
        self.queue_of = queue_of
        self.interval = interval
        self.on_requeued = on_requeued
        self.after_pass = after_pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="coe-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> ReapReport:
        """One pass; errors are logged, never raised (the next pass tries again)."""
        try:
            report = self.queue_of().reap()
        except Exception:  # noqa: BLE001 - a reaper must outlive a database hiccup
            log.warning("reaping expired job leases failed", exc_info=True)
            return ReapReport()
        if report:
            log.warning("reaper: requeued %s, failed %s, cancelled %s", report.requeued, report.failed, report.cancelled)
        if report.requeued:
            self.on_requeued(report.requeued)
        if self.after_pass is not None:
            try:
                self.after_pass()
            except Exception:  # noqa: BLE001 - like reaping, retried on the next pass
                log.warning("the reaper's follow-up failed", exc_info=True)
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()


class ThreadExecutor:
    """Claims and runs queued jobs on ``settings.threads`` threads of this process."""

    name = "threads"

    def __init__(self, runtime: JobRuntime):
        self.runtime = runtime
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._reaper = Reaper(lambda: self.runtime.queue, runtime.settings.reap_seconds, lambda _ids: self._wake.set())

    def start(self) -> None:
        """Start the worker threads and the reaper (idempotent)."""
        with self._lock:
            if self._threads or self._stopping.is_set():
                return
            for index in range(self.runtime.settings.threads):
                thread = threading.Thread(target=self._work, args=(index,), name=f"coe-job-{index}", daemon=True)
                thread.start()
                self._threads.append(thread)
            self._reaper.start()

    def submit(self, request_id: int) -> None:
        """The request is already queued in the database: wake an idle thread to claim it."""
        if self._stopping.is_set():
            raise RuntimeError("the job executor is shutting down")
        self.start()
        self._wake.set()

    def _work(self, index: int) -> None:
        settings = self.runtime.settings
        while not self._stopping.is_set():
            try:
                lease = self.runtime.queue.claim_next(new_owner(f"t{index}"))
            except Exception:  # noqa: BLE001 - keep the thread alive through database hiccups
                log.warning("claiming a job failed", exc_info=True)
                lease = None
                self._stopping.wait(settings.poll_seconds)
            if lease is None:
                if self._wake.wait(settings.poll_seconds):
                    self._wake.clear()
                continue
            try:
                self.runtime.run_claimed(lease)
            except Exception:  # noqa: BLE001 - the lease expires and the reaper retries the job
                log.exception("job %s: unexpected executor failure", lease.request_id)

    def close(self, wait: bool = True) -> None:
        """Stop claiming; running jobs finish when ``wait`` (their lease otherwise expires)."""
        self._stopping.set()
        self._reaper.stop()
        self._wake.set()
        if wait:
            for thread in self._threads:
                thread.join()


class CeleryExecutor:
    """Publishes the request id to the Celery queue; ``coe worker`` processes run it."""

    name = "celery"

    def __init__(self, runtime: JobRuntime):
        from .celery_app import create_app

        self.runtime = runtime
        self.app = create_app(runtime.settings)

    def submit(self, request_id: int) -> None:
        from .celery_app import publish

        queue = self.runtime.queue
        publish(self.app, self.runtime.settings, request_id, queue.priority(request_id))
        queue.mark_published([request_id])

    def close(self, wait: bool = True) -> None:
        self.app.close()


def create_executor(settings: JobSettings, runtime: JobRuntime | None = None) -> Any:
    """The executor ``settings.executor`` names."""
    runtime = runtime or JobRuntime(settings)
    kinds = {"inline": InlineExecutor, "threads": ThreadExecutor, "celery": CeleryExecutor}
    return kinds[settings.executor](runtime)
