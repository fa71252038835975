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
from typing import Any, Protocol

from .execution import JobResult
from ..queue.leases import new_owner
from .reaper import Reaper
from .runtime import JobRuntime
from ..queue.settings import JobSettings

__all__ = ["CeleryExecutor", "Executor", "InlineExecutor", "JobRuntime", "Reaper", "ThreadExecutor", "create_executor"]

log = logging.getLogger(__name__)


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
