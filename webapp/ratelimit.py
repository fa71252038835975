"""Flask-Limiter storage for one process without a timer thread per request.

``limits``' in-memory storage starts a ``threading.Timer`` to garbage-collect
expired counters whenever the previous one has finished, which under load
means a new thread for most requests. Expired counters are already ignored
on read, so this storage collects garbage inline, at most once a second.
With ``COE_REDIS_URL`` set, the shared Redis storage is used instead.
"""
from __future__ import annotations

import threading
import time

from limits.storage import MemoryStorage

SCHEME = "coe-memory"
_GC_INTERVAL = 1.0


class InlineExpiryMemoryStorage(MemoryStorage):
    """``coe-memory://``: the memory storage, collecting expired counters inline."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        super().__init__(uri, wrap_exceptions, **options)
        self._next_gc = time.monotonic() + _GC_INTERVAL
        self._gc_lock = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # noqa: N802 - replaces the parent's private hook
        now = time.monotonic()
        if now < self._next_gc or not self._gc_lock.acquire(blocking=False):
            return
        try:
            self._next_gc = now + _GC_INTERVAL
            self._MemoryStorage__expire_events()  # type: ignore[attr-defined]
        finally:
            self._gc_lock.release()
