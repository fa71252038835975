"""The scheduler of this process: started by ``coe serve`` (each server process) and ``coe worker``.

Every process may start one; the database lease lets one lead at a time,
and the others take over within a lease time when it stops.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

from .scheduler import SchedulerThread, WatchScheduler
from .settings import WatchSettings

log = logging.getLogger(__name__)
_thread: SchedulerThread | None = None
_lock = threading.Lock()


def start_scheduler(submit: Callable[[int], Any] | None = None, engine: Any = None) -> SchedulerThread | None:
    """Start this process's scheduler thread (idempotent); None when ``COE_WATCH_SCHEDULER`` is off.

    ``submit`` hands queued requests to the job executor (the caller's:
    :func:`coe_framework.jobs.submit` in ``coe serve``, a publisher in a Celery
    worker); it is needed to start a scheduler, not to find the running one.
    ``engine`` defaults to ``COE_DATABASE_URL``'s.
    """
    global _thread
    settings = WatchSettings.from_env()
    if not settings.enabled:
        return None
    with _lock:
        if _thread is not None:
            return _thread
        if engine is None:
            from ..db.engine import get_engine

            engine = get_engine()
        if submit is None:
            raise ValueError("the watch scheduler needs the function that submits queued requests")
        _thread = SchedulerThread(WatchScheduler(engine, settings, submit=submit))
        _thread.start()
        log.info("watch scheduler started (a pass every %ss while this process leads)", settings.tick_seconds)
        return _thread


def stop_scheduler(wait: bool = False) -> None:
    """Stop this process's scheduler and give up its lease."""
    global _thread
    with _lock:
        thread, _thread = _thread, None
    if thread is not None:
        thread.stop(wait)
