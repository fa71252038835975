"""The runner's caches and state store, backed by the database.

* :class:`DatabaseResultCache` serves whole results from succeeded
  ``analysis_results`` rows by their ``cache_key``, so a second analysis of
  an unchanged repository is a cache hit even in a new process.
* :class:`DatabaseBlobCache` keeps per-file outputs in ``blob_cache``, so a
  new commit re-runs only changed blobs.
* :class:`DatabaseStateStore` keeps incremental analyzers' state in
  ``analyzer_state``.

Each has the store's memory (and Redis) cache in front; entries are
immutable, so nothing needs invalidating.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

from sqlalchemy import Table, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.orm import Session

from .engine import chunks
from .models import AnalysisResult, AnalyzerState, BlobCacheEntry, utcnow

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store

def upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], *, update: Sequence[str] = ()) -> None:
    """INSERT rows; a row whose primary key exists gets the ``update`` columns written, or is skipped.

    ``ON CONFLICT`` on SQLite and PostgreSQL, ``ON DUPLICATE KEY UPDATE`` on
    MariaDB/MySQL (where "skip" assigns the key to itself: ``INSERT IGNORE``
    would also turn real errors into warnings).
    """
    if not rows:
        return
    name = session.get_bind().dialect.name
    if name in ("mysql", "mariadb"):
        statement = mysql.insert(table)
        keys = [c.name for c in table.primary_key.columns]
        changes = {c: statement.inserted[c] for c in update} or {keys[0]: table.c[keys[0]]}
        session.execute(statement.on_duplicate_key_update(changes), list(rows))
        return
    statement = (sqlite if name == "sqlite" else postgresql).insert(table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(table.primary_key.columns), set_={c: statement.excluded[c] for c in update}
        )
    else:
        statement = statement.on_conflict_do_nothing()
    session.execute(statement, list(rows))


def insert_ignoring_duplicates(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows, skipping any whose primary key already exists (concurrent writers agree on values)."""
    upsert(session, table, rows)


class _Cached:
    """Memory/Redis first, the database for the rest, copying database hits into the cache."""

    namespace = ""

    def __init__(self, store: "Store"):
        self.store = store

    def _from_database(self, session: Session, keys: Sequence[str]) -> dict[str, Any]:
        raise NotImplementedError

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]:
        wanted = list(dict.fromkeys(keys))
        prefixed = {self.namespace + k: k for k in wanted}
        found = {prefixed[k]: v for k, v in self.store.cache.get_many(prefixed).items()}
        missing = [k for k in wanted if k not in found]
        if missing:
            def read(session: Session) -> dict[str, Any]:
                out: dict[str, Any] = {}
                for chunk in chunks(missing):
                    out.update(self._from_database(session, chunk))
                return out

            fresh = self.store._read(read)
            if fresh:
                self.store.cache.put_many({self.namespace + k: v for k, v in fresh.items()})
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
        self.store.cache.put_many({self.namespace + k: v for k, v in items.items()})


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
        with self.store.session() as session:
            for chunk in chunks(rows):
                insert_ignoring_duplicates(session, BlobCacheEntry.__table__, chunk)  # type: ignore[arg-type]
        self.store.cache.put_many({self.namespace + k: v for k, v in items.items()})


class DatabaseStateStore:
    """Analyzer state between runs; the newest write wins."""

    def __init__(self, store: "Store"):
        self.store = store

    def get_state(self, key: str) -> Any:
        return self.store._read(lambda s: s.scalar(select(AnalyzerState.value).where(AnalyzerState.key == key)))

    def put_state(self, key: str, value: Any) -> None:
        table = AnalyzerState.__table__
        with self.store.session() as session:
            upsert(session, table, [{"key": key, "value": value, "updated_at": utcnow()}], update=("value", "updated_at"))
