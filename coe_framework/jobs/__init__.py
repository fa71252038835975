"""Analysis jobs: queued requests leased from the database and run by an executor.

The web app and the CLI use two functions:

* :func:`submit` hands a queued analysis request to the configured executor
  (``COE_EXECUTOR``: ``threads`` by default, ``inline`` or ``celery``);
* :func:`cancel` stops one: a queued request is cancelled at once, a running
  one at its next check (between analyzers and between file batches, within
  about a second).

See :mod:`.leases` for the lease protocol, :mod:`.executors` for the
executors and :mod:`.celery_app` for Celery.
"""
from __future__ import annotations

import threading
from typing import Any

from ..queue.leases import JobNotFound, JobQueue, Lease, ReapReport
from ..queue.settings import JobConfigError, JobSettings

__all__ = [
    "JobConfigError", "JobNotFound", "JobQueue", "JobSettings", "Lease", "ReapReport",
    "cancel", "get_executor", "get_runtime", "shutdown", "start", "submit",
]

_executor: Any = None
_runtime: Any = None
_lock = threading.Lock()


def get_runtime() -> Any:
    """The process-wide :class:`~.executors.JobRuntime` (settings, store, queue, plugins)."""
    global _runtime
    with _lock:
        if _runtime is None:
            from .executors import JobRuntime

            _runtime = JobRuntime(JobSettings.from_env())
        return _runtime


def get_executor() -> Any:
    """The process-wide executor named by the environment (created on first use)."""
    global _executor
    runtime = get_runtime()
    with _lock:
        if _executor is None:
            from .executors import create_executor

            _executor = create_executor(runtime.settings, runtime)
        return _executor


def start() -> None:
    """Start the configured executor's background work now, not at the first :func:`submit`.

    A web process calls this at start-up so requests queued before it started
    (or returned to the queue by the reaper) run without a new submission.
    Only the ``threads`` executor has background work; the others ignore it.
    """
    executor = get_executor()
    if hasattr(executor, "start"):
        executor.start()


def submit(request_id: int) -> None:
    """Hand the queued request ``request_id`` to the configured executor.

    The request row must already exist with status ``queued``. With the
    ``inline`` executor the job runs before this returns; ``threads`` wakes
    an in-process worker; ``celery`` publishes the id to the broker.
    Raises :class:`JobConfigError` for unusable settings.
    """
    get_executor().submit(int(request_id))


def cancel(request_id: int) -> str:
    """Cancel an analysis; returns its status afterwards.

    A queued request becomes ``cancelled`` at once; a running one keeps
    ``running`` until its worker notices (about a second) and ends it
    ``cancelled``; a finished one keeps its status. Raises
    :class:`JobNotFound` for an unknown id.
    """
    return get_runtime().queue.request_cancel(int(request_id))


def shutdown(wait: bool = True) -> None:
    """Stop the process-wide executor (``wait``: let running jobs finish) and forget the settings."""
    global _executor, _runtime
    with _lock:
        executor, _executor, _runtime = _executor, None, None
    if executor is not None:
        executor.close(wait)
