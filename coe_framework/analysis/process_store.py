"""The process's store: one engine and one read cache per database, shared by everything in the process.

The CLI's commands, the job runtime and the web app all reach the database
through :func:`open_store` or :func:`store_for`: the engine is the
process-wide one of :func:`coe_framework.db.engine.get_engine` (one pool per
database), and the read cache in front of it is :func:`process_cache`, so
an analysis the web app evicts is evicted for the job runtime too.

Migrations are checked here, when a command or worker starts using a
database (:func:`open_store` upgrades it, as ``coe db upgrade`` would, and
stops with one line when the ledger does not validate); the web app checks
them in its factory. The store itself never migrates.
"""
from __future__ import annotations

import threading
import weakref

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from .cache import TieredCache, default_cache
from ..db.engine import DatabaseConfigError, get_engine
from ..db.store import ReadCache, Store, cache_prefix, unusable_database

#: One cache per engine, forgotten with the engine (an engine made again gets a new, empty cache).
_caches: "weakref.WeakKeyDictionary[Engine, TieredCache]" = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def process_cache(engine: Engine) -> TieredCache:
    """The read cache of ``engine``'s database in this process (memory, plus Redis when configured), made once."""
    with _lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = default_cache(prefix=cache_prefix(engine))
        return cache


def forget_process_caches() -> None:
    """Drop every database's cache in this process, as a restart would (after a restore, or tests emptying tables)."""
    with _lock:
        _caches.clear()


def store_for(engine: Engine) -> Store:
    """A store on ``engine`` with the process's cache of its database."""
    return Store(engine, process_cache(engine))


def open_store(url: str | None = None, *, migrate: bool = True, cache: ReadCache | None = None) -> Store:
    """The store of ``url`` (default ``COE_DATABASE_URL``) on the process's engine and cache, migrated up when asked.

    ``cache`` replaces the process's cache (tests, benchmarks). Raises
    :class:`~coe_framework.db.store.StoreError` with one line when the
    database cannot be reached or its migrations do not validate.
    """
    try:
        engine = get_engine(url)
        if migrate:
            from coe_migrate.migrate import MigrationError, ensure_current

            try:
                ensure_current(engine)
            except MigrationError as exc:
                raise unusable_database(url, exc) from None
    except (DatabaseConfigError, SQLAlchemyError) as exc:
        raise unusable_database(url, exc) from None
    return Store(engine, cache if cache is not None else process_cache(engine))
