"""The read cache (memory LRU with TTL, Redis second level) and engine configuration."""
from __future__ import annotations

import os
import uuid
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from coe_framework.analysis.cache import MemoryCache, RedisCache, TieredCache, default_cache
from coe_framework.db import engine as engine_module
from coe_framework.db.engine import DatabaseConfigError, EngineSettings, make_engine, retry_read, unit_of_work


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("COE_TEST_REDIS_URL", "").strip()
    if not url:
        pytest.skip("COE_TEST_REDIS_URL is not set: no Redis server to test against")
    return url


@pytest.fixture
def redis_cache(redis_url: str) -> Any:
    cache = RedisCache(redis_url, prefix=f"coe-test:{uuid.uuid4().hex}:", ttl=60)
    yield cache
    keys = list(cache.client.scan_iter(match=cache.prefix + "*"))
    if keys:
        cache.client.delete(*keys)


def test_memory_cache_is_bounded_lru_with_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = MemoryCache(max_entries=2, ttl=10)
    cache.put_many({"a": 1, "b": 2})
    cache.get("a")
    cache.put("c", 3)
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}, "least recently used entry evicted"
    now = [1000.0]
    monkeypatch.setattr("coe_framework.analysis.cache.time.monotonic", lambda: now[0])
    cache.put("d", 4)
    now[0] += 11
    assert cache.get("d") is None, "expired"
    cache.delete_many(["a"])
    assert cache.get("a") is None


def test_tiered_cache_fills_the_first_level_from_redis(redis_cache: RedisCache) -> None:
    first = MemoryCache(100)
    tiered = TieredCache(first, redis_cache)
    tiered.put_many({"k": {"v": [1, 2]}})
    first.clear()
    assert tiered.get_many(["k", "missing"]) == {"k": {"v": [1, 2]}}
    assert first.get("k") == {"v": [1, 2]}, "copied into memory"
    stats = tiered.stats()
    assert (stats["hits"], stats["misses"]) == (1, 1) and stats["redis"]["hits"] == 1
    tiered.delete_many(["k"])
    assert tiered.get("k") is None and redis_cache.get_many(["k"]) == {}


def test_redis_down_is_a_miss_not_an_error() -> None:
    cache = RedisCache("redis://127.0.0.1:9/0", ttl=60)
    cache.put_many({"a": 1})
    assert cache.get_many(["a"]) == {} and cache.errors == 2 and cache.misses == 1


def test_default_cache_reads_the_environment() -> None:
    cache = default_cache({"COE_CACHE_SIZE": "5", "COE_CACHE_TTL": "7"})
    assert cache.first.max_entries == 5 and cache.first.ttl == 7 and cache.second is None
    with pytest.raises(ValueError, match="COE_CACHE_SIZE must be a number"):
        default_cache({"COE_CACHE_SIZE": "lots"})


def test_store_reads_hit_redis_from_a_second_store(database_url: str, redis_url: str) -> None:
    from coe_framework.analysis.process_store import open_store

    from .helpers import stored_analysis

    writer = open_store(database_url, cache=default_cache({"COE_REDIS_URL": redis_url}, prefix=f"coe-test:{uuid.uuid4().hex}:"))
    analysis_id = stored_analysis(writer)
    writer.get_results(analysis_id)
    reader = open_store(database_url, cache=TieredCache(MemoryCache(10), writer.cache.second))
    assert reader.get_results(analysis_id)[0]["data"] == {"files": 3}
    assert reader.cache.stats()["redis"]["hits"] >= 1
    writer.delete_analysis(analysis_id)


def test_engine_settings_from_environment() -> None:
    settings = EngineSettings.from_env({"COE_DATABASE_URL": "sqlite:///x.db", "COE_DB_POOL_SIZE": "3", "COE_DB_ECHO": "yes"})
    assert (settings.url, settings.pool_size, settings.max_overflow, settings.echo, settings.pool_pre_ping) == ("sqlite:///x.db", 3, 20, True, True)
    with pytest.raises(DatabaseConfigError, match="COE_DB_POOL_TIMEOUT must be a number"):
        EngineSettings.from_env({"COE_DATABASE_URL": "sqlite://", "COE_DB_POOL_TIMEOUT": "soon"})
    with pytest.raises(DatabaseConfigError, match="not a valid database URL"):
        make_engine("::nonsense::")


def test_default_url_is_a_file_in_the_user_data_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("COE_DATABASE_URL")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert EngineSettings.from_env().url == f"sqlite:///{tmp_path / 'coe' / 'coe.db'}"


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}", busy_timeout_ms=1234)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert engine.pool.size() == 10
    engine.dispose()


def test_pool_settings_on_postgresql(database_url: str) -> None:
    engine = make_engine(database_url, pool_size=4, max_overflow=6)
    try:
        assert engine.pool.size() == 4 and engine.pool._max_overflow == 6  # type: ignore[attr-defined]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        engine.dispose()


def test_unit_of_work_rolls_back_whole(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE uow_probe (n INTEGER)"))
        with pytest.raises(ZeroDivisionError):
            with unit_of_work(engine, write=True) as session:
                session.execute(text("INSERT INTO uow_probe VALUES (1)"))
                session.execute(text("INSERT INTO uow_probe VALUES (2)"))
                1 / 0
        with unit_of_work(engine) as session:
            assert session.execute(text("SELECT count(*) FROM uow_probe")).scalar() == 0
    finally:
        engine.dispose()


def test_retry_read_retries_transient_errors_with_capped_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    sleeps: list[float] = []

    class EngineClock:  # only engine.py's sleeps are recorded: other threads of the worker keep the real ones
        def __getattr__(self, name: str) -> object:
            return getattr(time, name)

        sleep = staticmethod(sleeps.append)

    monkeypatch.setattr(engine_module, "time", EngineClock())
    attempts = {"n": 0}

    def flaky() -> str:
        attempts["n"] += 1
        if attempts["n"] < 4:
            raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))
        return "ok"

    assert retry_read(flaky, attempts=5, base_delay=0.4, max_delay=1.0) == "ok"
    assert sleeps == [0.4, 0.8, 1.0]

    def broken() -> None:
        raise OperationalError("SELECT 1", {}, Exception("syntax error"))

    with pytest.raises(OperationalError):
        retry_read(broken)
    assert len(sleeps) == 3, "a non-transient error is not retried"
