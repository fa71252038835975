"""Caches for results that never change.

Results for a commit are immutable, so entries are keyed by content (commit or
blob SHA, analyzer, version, options) and need no invalidation; the bounds and
TTL only limit memory. :class:`MemoryCache` is a bounded LRU with a TTL and
hit/miss counters; :class:`RedisCache` is a shared second level used when
``COE_REDIS_URL`` is set, and :class:`TieredCache` puts the two together
(:func:`default_cache` builds that from the environment).
"""
from __future__ import annotations

import json
import logging
import threading
import time
from collections import OrderedDict
from typing import Any, Iterable, Mapping, Protocol

log = logging.getLogger(__name__)


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

    def delete_many(self, keys: Iterable[str]) -> None:
        """Forget ``keys`` (for entries whose subject was deleted)."""
        with self._lock:
            for key in keys:
                self._data.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def items(self) -> list[tuple[str, Any]]:
        """A snapshot of every entry (expired ones included), for sweeps over the whole cache."""
        with self._lock:
            return [(key, item[1]) for key, item in self._data.items()]

    def __len__(self) -> int:
        return len(self._data)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def stats(self) -> dict[str, Any]:
        return {"entries": len(self._data), "hits": self.hits, "misses": self.misses, "hit_ratio": self.hit_ratio}


class RedisCache:
    """A shared cache in Redis: JSON values under a key prefix, each with a TTL.

    The cache is an accelerator, never a dependency: when Redis is down a
    read is a miss and a write is dropped (both logged once a minute), so
    analyses and API reads carry on.
    """

    def __init__(self, url: str, *, prefix: str = "coe:", ttl: float | None = 7 * 24 * 3600, client: Any = None):
        import redis

        self.prefix = prefix
        self.ttl = ttl
        self.client = client if client is not None else redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        self.errors = 0
        self._last_warning = 0.0

    def _warn(self, exc: Exception) -> None:
        with self._lock:
            self.errors += 1
            now = time.monotonic()
            if now - self._last_warning < 60:
                return
            self._last_warning = now
        log.warning("redis cache unavailable, continuing without it: %s", exc)

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        if not wanted:
            return {}
        try:
            raw = self.client.mget([self.prefix + k for k in wanted])
        except Exception as exc:  # noqa: BLE001 - any Redis failure is a miss
            self._warn(exc)
            raw = [None] * len(wanted)
        out: dict[str, Any] = {}
        for key, value in zip(wanted, raw):
            if value is None:
                continue
            try:
                out[key] = json.loads(value)
            except ValueError:
                continue
        with self._lock:
            self.hits += len(out)
            self.misses += len(wanted) - len(out)
        return out

    def put_many(self, items: Mapping[str, Any]) -> None:
        if not items:
            return
        try:
            pipe = self.client.pipeline(transaction=False)
            for key, value in items.items():
                text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
                if self.ttl:
                    pipe.set(self.prefix + key, text, ex=max(1, int(self.ttl)))
                else:
                    pipe.set(self.prefix + key, text)
            pipe.execute()
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    def delete_many(self, keys: Iterable[str]) -> None:
        names = [self.prefix + k for k in keys]
        if not names:
            return
        try:
            self.client.delete(*names)
        except Exception as exc:  # noqa: BLE001
            self._warn(exc)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def stats(self) -> dict[str, Any]:
        return {"hits": self.hits, "misses": self.misses, "errors": self.errors, "hit_ratio": self.hit_ratio}


class TieredCache:
    """A fast first level (memory) backed by an optional shared second level (Redis).

    Reads try the first level, then the second, and copy second-level hits
    into the first. Writes and deletes go to both. ``hits`` counts keys found
    at either level, ``misses`` keys found at neither.
    """

    def __init__(self, first: MemoryCache, second: RedisCache | None = None):
        self.first = first
        self.second = second
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        found = self.first.get_many(wanted)
        if self.second is not None and len(found) < len(wanted):
            more = self.second.get_many([k for k in wanted if k not in found])
            if more:
                self.first.put_many(more)
                found.update(more)
        with self._lock:
            self.hits += len(found)
            self.misses += len(wanted) - len(found)
        return found

    def get(self, key: str, default: Any = None) -> Any:
        return self.get_many([key]).get(key, default)

    def put_many(self, items: Mapping[str, Any]) -> None:
        self.first.put_many(dict(items))
        if self.second is not None:
            self.second.put_many(items)

    def put(self, key: str, value: Any) -> None:
        self.put_many({key: value})

    def delete_many(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        self.first.delete_many(keys)
        if self.second is not None:
            self.second.delete_many(keys)

    @property
    def hit_ratio(self) -> float:
        total = self.hits + self.misses
        return self.hits / total if total else 0.0

    def stats(self) -> dict[str, Any]:
        """Counters for metrics: overall and per level."""
        return {
            "hits": self.hits,
            "misses": self.misses,
            "hit_ratio": self.hit_ratio,
            "memory": self.first.stats(),
            "redis": self.second.stats() if self.second is not None else None,
        }


def default_cache(env: Mapping[str, str] | None = None, *, prefix: str = "coe:") -> TieredCache:
    """Memory LRU (``COE_CACHE_SIZE`` entries, ``COE_CACHE_TTL`` seconds) plus Redis when ``COE_REDIS_URL`` is set."""
    if env is None:
        from ..settings import environ

        env = environ()

    def number(name: str, default: float) -> float:
        raw = env.get(name, "").strip()
        try:
            return float(raw) if raw else default
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None

    memory = MemoryCache(int(number("COE_CACHE_SIZE", 10_000)), number("COE_CACHE_TTL", 3600) or None)
    url = env.get("COE_REDIS_URL", "").strip()
    second = RedisCache(url, prefix=prefix, ttl=number("COE_REDIS_TTL", 7 * 24 * 3600) or None) if url else None
    return TieredCache(memory, second)
