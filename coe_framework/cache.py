"""Caches for results that never change.

Results for a commit are immutable, so entries are keyed by content (commit or
blob SHA, analyzer, version, options) and need no invalidation; the bounds and
TTL only limit memory. :class:`MemoryCache` is a bounded LRU with a TTL and
hit/miss counters.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any, Iterable, Protocol


class KeyValueCache(Protocol):
    """What the runner needs from a cache: batched gets and puts of JSON values."""

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...

    def put_many(self, items: dict[str, Any]) -> None: ...


class MemoryCache:
    """A thread-safe LRU with a per-entry TTL.

    ``max_entries`` bounds memory; ``ttl`` (seconds, None for none) bounds
    staleness for callers that cache things that can change.
    """

    def __init__(self, max_entries: int = 10_000, ttl: float | None = None):
        self.max_entries = max_entries
        self.ttl = ttl
        self._data: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str, default: Any = None) -> Any:
        found = self.get_many([key])
        return found.get(key, default)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        now = time.monotonic()
        out: dict[str, Any] = {}
        with self._lock:
            for key in keys:
                item = self._data.get(key)
                if item is None or (self.ttl is not None and now - item[0] > self.ttl):
                    if item is not None:
                        del self._data[key]
                    self.misses += 1
                    continue
                self._data.move_to_end(key)
                self.hits += 1
                out[key] = item[1]
        return out

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def put_many(self, items: dict[str, Any]) -> None:
        now = time.monotonic()
        with self._lock:
            for key, value in items.items():
                self._data[key] = (now, value)
                self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def stats(self) -> dict[str, Any]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses, "hit_ratio": self.hit_ratio}
