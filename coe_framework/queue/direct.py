"""A lease for an analysis its own process runs (``coe analyze``).

A direct run has a request row like a queued job, so it shows in the API and
``coe jobs status``. Holding a lease on it, renewed by a heartbeat thread,
makes a run whose process died (``kill -9``, a lost machine, a database that
went away under it) end as failed once the lease expires: ``coe jobs reap``
and every worker's reaper settle it. ``coe cancel`` reaches it through the
same flag workers read.
"""
from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import Engine

from .guard import CancelWatch, Heartbeat
from .leases import DIRECT_RUN_LABEL, JobQueue, new_owner
from ..settings import environ
from .settings import JobSettings

log = logging.getLogger(__name__)


class DirectRun:
    """Holds the lease of one direct run while it runs; a context manager.

    ``cancelled`` is the runner's stop check: true once ``coe cancel`` (or
    the API) asked for it, the lease was lost, or ``also`` says so.
    """

    def __init__(self, engine: Engine, request_id: int, settings: JobSettings | None = None):
        # Only the lease settings matter here: a broker setting meant for workers must not stop a CLI run.
        settings = settings or JobSettings.from_env({**environ(), "COE_EXECUTOR": "inline"})
        self.queue = JobQueue(engine, lease_seconds=settings.lease_seconds)
        self.request_id = request_id
        self.settings = settings
        self.lease = self.queue.hold(request_id, new_owner(DIRECT_RUN_LABEL))
        self._heartbeat: Heartbeat | None = None
        self._watch = CancelWatch(self.queue, self.lease, settings.cancel_check_seconds) if self.lease else None

    def cancelled(self, also: Callable[[], bool] | None = None) -> Callable[[], bool]:
        """The stop check to hand to the runner."""
        watch = self._watch
        if watch is None:
            return also or (lambda: False)
        return (lambda: watch() or also()) if also else watch

    def __enter__(self) -> "DirectRun":
        if self.lease is None or self._watch is None:  # someone else settled the row first
            log.warning("analysis %s: could not take its lease; it will not be reaped if this process dies", self.request_id)
            return self
        self._heartbeat = Heartbeat(self.queue, self.lease, self.settings.heartbeat_seconds, self._watch.stop)
        self._heartbeat.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._heartbeat is not None:
            self._heartbeat.__exit__(*exc)
