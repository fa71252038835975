"""The runner's caches and state store, backed by the database.

* :class:`DatabaseResultCache` serves whole results from succeeded
  ``analysis_results`` rows by their ``cache_key``, so a second analysis of
  an unchanged repository is a cache hit even in a new process.
* :class:`DatabaseBlobCache` keeps per-file outputs in ``blob_cache``, so a
  new commit re-runs only changed blobs.
* :class:`DatabaseStateStore` keeps incremental analyzers' state in
  ``analyzer_state``.

Each has the process's memory (and Redis) cache in front (the store's read
cache, passed in); entries are immutable, so nothing needs invalidating.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Protocol, Sequence

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from .engine import chunks, read, unit_of_work
from .models import AnalysisResult, AnalyzerState, BlobCacheEntry, utcnow
from .upsert import insert_ignoring_duplicates, upsert

__all__ = ["DatabaseBlobCache", "DatabaseResultCache", "DatabaseStateStore", "KeyValues", "insert_ignoring_duplicates", "upsert"]


class KeyValues(Protocol):
    """What these caches need from the cache in front of them: batched gets and puts of JSON values."""

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...

    def put_many(self, items: Mapping[str, Any]) -> None: ...


class _Cached:
    """Memory/Redis first, the database for the rest, copying database hits into the cache."""

    namespace = ""

    def __init__(self, engine: Engine, cache: KeyValues):
        self.engine = engine
        self.cache = cache

    def _from_database(self, session: Session, keys: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        prefixed = {self.namespace + k: k for k in wanted}
        found = {prefixed[k]: v for k, v in self.cache.get_many(prefixed).items()}
        missing = [k for k in wanted if k not in found]
        if missing:
            def fetch(session: Session) -> dict[str, Any]:
                out: dict[str, Any] = {}
                for chunk in chunks(missing):
                    out.update(self._from_database(session, chunk))
                return out

            fresh = read(self.engine, fetch)
            if fresh:
                self.cache.put_many({self.namespace + k: v for k, v in fresh.items()})
                found.update(fresh)
        return found


class DatabaseResultCache(_Cached):
    """Whole analyzer results by the runner's result cache key."""

    namespace = "result:"

    def _from_database(self, session: Session, keys: Sequence[str]) -> dict[str, Any]:
        rows = session.execute(
            select(AnalysisResult.cache_key, AnalysisResult.data)
            .where(AnalysisResult.cache_key.in_(keys), AnalysisResult.status == "succeeded")
            .order_by(AnalysisResult.id.desc())
        )
        out: dict[str, Any] = {}
        for key, data in rows:
            if data is not None:
                out.setdefault(key, data)
        return out

    def put_many(self, items: Mapping[str, Any]) -> None:
        # The rows themselves are written with the analysis (Store.save_repository_outcome);
        # until then the memory cache serves them.
        self.cache.put_many({self.namespace + k: v for k, v in items.items()})


class DatabaseBlobCache(_Cached):
    """Per-file outputs by (analyzer, version, options, path, blob SHA) key."""

    namespace = "blob:"

    def _from_database(self, session: Session, keys: Sequence[str]) -> dict[str, Any]:
        rows = session.execute(select(BlobCacheEntry.key, BlobCacheEntry.value).where(BlobCacheEntry.key.in_(keys)))
        return {key: value for key, value in rows}

    def put_many(self, items: Mapping[str, Any]) -> None:
        if not items:
            return
        now = utcnow()
        rows = [{"key": k, "value": v, "created_at": now} for k, v in items.items()]
        with unit_of_work(self.engine, write=True) as session:
            for chunk in chunks(rows):
                insert_ignoring_duplicates(session, BlobCacheEntry.__table__, chunk)
        self.cache.put_many({self.namespace + k: v for k, v in items.items()})


class DatabaseStateStore:
    """Analyzer state between runs; the newest write wins."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def get_state(self, key: str) -> Any:
        return read(self.engine, lambda s: s.scalar(select(AnalyzerState.value).where(AnalyzerState.key == key)))

    def put_state(self, key: str, value: Any) -> None:
        table = AnalyzerState.__table__
        with unit_of_work(self.engine, write=True) as session:
            upsert(session, table, [{"key": key, "value": value, "updated_at": utcnow()}], update=("value", "updated_at"))
