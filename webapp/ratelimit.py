"""One request budget per caller across the whole API, counted by ``limits``.

The API has a single application-wide limit (``COE_RATE_LIMIT``) keyed by
token, or by client address without one. Counting it is one fixed-window
``hit`` in a ``limits`` storage: Redis when ``COE_REDIS_URL`` is set, so all
workers share the budget, else this process's memory. Resolving per-route,
per-blueprint and meta limits on every request (what a general-purpose
extension does) cost about a third of a cached read's CPU, for limits this
API does not have.

When Redis is unreachable the check falls back to process memory and tries
Redis again after :data:`RETRY_STORAGE_SECONDS`: a throttle must never turn a
working API into an unavailable one.
"""
from __future__ import annotations

import logging
import math
import threading
import time

from limits import RateLimitItem, parse
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter

from coe_framework.errors import BadInput

log = logging.getLogger(__name__)

#: Seconds between attempts to return to a shared storage that failed.
RETRY_STORAGE_SECONDS = 30.0
_GC_INTERVAL = 1.0
#: Keeps the API's counters apart from anything else counting in the same Redis.
_NAMESPACE = "coe-api"


class InlineExpiryMemoryStorage(MemoryStorage):
    """The memory storage, collecting expired counters inline at most once a second.

    ``limits``' memory storage starts a ``threading.Timer`` to collect expired
    counters whenever the previous one has finished, which under load means a
    new thread for most requests. Expired counters are already ignored on
    read, so collecting them inline, rarely, is enough.
    """

    def __init__(self) -> None:
        super().__init__()
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


class RateLimitError(BadInput, ValueError):
    """``COE_RATE_LIMIT`` or the storage address is unusable (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


class RateLimiter:
    """The API's budget: :meth:`retry_after` is ``None`` while a caller is within it."""

    def __init__(self, limit: str, storage_uri: str | None = None):
        try:
            self.item: RateLimitItem = parse(limit)
        except ValueError:
            raise RateLimitError(f"COE_RATE_LIMIT must look like '6000 per minute', got {limit!r}") from None
        self._memory = FixedWindowRateLimiter(InlineExpiryMemoryStorage())
        self._shared: FixedWindowRateLimiter | None = None
        if storage_uri:
            try:
                # Short socket timeouts: a Redis that stops answering costs one request a
                # fraction of a second before the memory fallback takes over.
                storage: Storage = storage_from_string(storage_uri, wrap_exceptions=True, socket_timeout=0.5, socket_connect_timeout=0.5)
            except Exception as exc:  # noqa: BLE001 - limits raises several types for a bad address
                # The message may quote the address, password included: name the error only.
                raise RateLimitError(f"rate limit storage {storage_uri.split('@')[-1]!r} is unusable ({type(exc).__name__}); check COE_REDIS_URL") from None
            self._shared = FixedWindowRateLimiter(storage)
        self._shared_down_until = 0.0

    @property
    def shared(self) -> bool:
        """True when counting in the shared storage (not the fallback)."""
        return self._shared is not None and time.monotonic() >= self._shared_down_until

    def retry_after(self, key: str) -> int | None:
        """Count one request of ``key``; ``None`` when allowed, else whole seconds to wait."""
        if self.shared:
            assert self._shared is not None
            try:
                return self._count(self._shared, key)
            except StorageError as exc:
                self._shared_down_until = time.monotonic() + RETRY_STORAGE_SECONDS
                log.warning("rate limit storage unreachable (%s); counting in process memory for %.0f s",
                            type(exc.storage_error).__name__, RETRY_STORAGE_SECONDS)
        return self._count(self._memory, key)

    def _count(self, limiter: FixedWindowRateLimiter, key: str) -> int | None:
        if limiter.hit(self.item, _NAMESPACE, key):
            return None
        reset_at = limiter.get_window_stats(self.item, _NAMESPACE, key).reset_time
        return max(1, math.ceil(reset_at - time.time()))
