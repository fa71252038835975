"""Engines and sessions from configuration.

* ``COE_DATABASE_URL`` names the database; without it, a SQLite file in the
  user's data directory (``platformdirs``) is used, so a fresh machine needs
  no setup.
* Pool settings (``COE_DB_POOL_SIZE`` 10, ``COE_DB_MAX_OVERFLOW`` 20,
  ``COE_DB_POOL_TIMEOUT`` 30 s, ``COE_DB_POOL_RECYCLE`` 1800 s,
  ``COE_DB_POOL_PRE_PING`` on, ``COE_DB_ECHO`` off) are all overridable.
* SQLite connections get WAL, a busy timeout (``COE_DB_BUSY_TIMEOUT_MS``) and
  foreign keys.
* MariaDB/MySQL (``mysql+pymysql://``; ``mysql://`` and ``mariadb://`` mean
  the same) connections are utf8mb4, strict, UTC and READ COMMITTED
  (:mod:`coe_framework.db.mysql`).
* :func:`unit_of_work` commits or rolls back a whole unit; :func:`retry_read`
  retries idempotent reads after a transient disconnect, with capped backoff.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence, TypeVar

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import Pool, StaticPool

from ..errors import BadInput

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Values per ``IN (...)`` list or multi-row statement: well under SQLite's and PostgreSQL's parameter limits.
CHUNK = 500


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


class DatabaseConfigError(BadInput, ValueError):
    """The database URL or a pool setting is unusable (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def default_database_url() -> str:
    """A SQLite file in the user's data directory (created when missing)."""
    from platformdirs import user_data_dir

    folder = Path(user_data_dir("coe", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'coe.db'}"


@dataclass(frozen=True)
class EngineSettings:
    """Everything that shapes an engine; :meth:`from_env` reads ``COE_DB_*``."""

    url: str
    pool_size: int = 10
    max_overflow: int = 20
    pool_timeout: float = 30.0
    pool_recycle: int = 1800
    pool_pre_ping: bool = True
    echo: bool = False
    busy_timeout_ms: int = 30_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "EngineSettings":
        """Settings from ``env`` (default: the environment and the settings file, :func:`coe_framework.settings.environ`); keyword overrides win."""
        if env is None:
            from ..settings import environ

            env = environ()
        url = overrides.pop("url", None) or env.get("COE_DATABASE_URL", "").strip() or default_database_url()
        numbers = {
            "pool_size": ("COE_DB_POOL_SIZE", int),
            "max_overflow": ("COE_DB_MAX_OVERFLOW", int),
            "pool_timeout": ("COE_DB_POOL_TIMEOUT", float),
            "pool_recycle": ("COE_DB_POOL_RECYCLE", int),
            "busy_timeout_ms": ("COE_DB_BUSY_TIMEOUT_MS", int),
        }
        values: dict[str, Any] = {}
        for field, (name, kind) in numbers.items():
            raw = env.get(name, "").strip()
            if raw:
                try:
                    values[field] = kind(raw)
                except ValueError:
                    raise DatabaseConfigError(f"{name} must be a number, got {raw!r}") from None
        if env.get("COE_DB_POOL_PRE_PING", "").strip():
            values["pool_pre_ping"] = _truthy(env["COE_DB_POOL_PRE_PING"])
        if env.get("COE_DB_ECHO", "").strip():
            values["echo"] = _truthy(env["COE_DB_ECHO"])
        values.update(overrides)
        return cls(url=url, **values)


def parse_url(url: str) -> URL:
    """Parse a database URL, mapping ``postgresql://`` to psycopg 3 and ``mysql://`` to PyMySQL."""
    try:
        parsed = make_url(url)
    except exc.ArgumentError:
        raise DatabaseConfigError("COE_DATABASE_URL is not a valid database URL") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("mysql", "mariadb", "mariadb+pymysql"):
        parsed = parsed.set(drivername="mysql+pymysql")
    if parsed.get_backend_name() not in ("sqlite", "postgresql", "mysql"):
        raise DatabaseConfigError(
            f"unsupported database '{parsed.get_backend_name()}' (use sqlite, postgresql or mysql+pymysql)"
        )
    if parsed.get_backend_name() == "mysql" and parsed.get_driver_name() != "pymysql":
        raise DatabaseConfigError(f"unsupported MySQL driver '{parsed.get_driver_name()}' (use mysql+pymysql://)")
    return parsed


def is_sqlite(engine_or_url: Engine | URL | str) -> bool:
    """True when the engine or URL points at SQLite."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name == "sqlite"
    return make_url(str(engine_or_url)).get_backend_name() == "sqlite"


def _sqlite_pragmas(busy_timeout_ms: int, memory: bool) -> Callable[..., None]:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own implicit transactions break SAVEPOINT and rollback;
        # SQLAlchemy emits BEGIN instead (see _sqlite_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                # WAL makes NORMAL durable across application crashes; faster than FULL.
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    return on_connect


def _sqlite_begin(conn: Any) -> None:
    """BEGIN, or BEGIN IMMEDIATE for units that write (taking the write lock up front avoids
    SQLITE_BUSY when a reading transaction later tries to write)."""
    mode = conn.get_execution_options().get("sqlite_begin")
    conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "immediate" else "BEGIN")


def make_engine(settings: EngineSettings | str | None = None, **overrides: Any) -> Engine:
    """A new engine for ``settings`` (a URL string, settings, or the environment)."""
    if settings is None or isinstance(settings, str):
        settings = EngineSettings.from_env(url=settings, **overrides) if settings else EngineSettings.from_env(**overrides)
    elif overrides:
        settings = replace(settings, **overrides)
    url = parse_url(settings.url)
    # hide_parameters: SQL errors and echo never carry values (tokens, result data) into logs.
    kwargs: dict[str, Any] = {"echo": settings.echo, "pool_pre_ping": settings.pool_pre_ping, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        # A local file cannot drop the connection: pinging it would only add a round trip.
        kwargs["pool_pre_ping"] = False
        memory = url.database in (None, "", ":memory:")
        if memory:
            # One shared connection, or every checkout would see an empty database.
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)  # type: ignore[arg-type]
            kwargs.update(
                pool_size=settings.pool_size,
                max_overflow=settings.max_overflow,
                pool_timeout=settings.pool_timeout,
                pool_recycle=settings.pool_recycle,
                connect_args={"check_same_thread": False, "timeout": settings.busy_timeout_ms / 1000},
            )
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas(settings.busy_timeout_ms, memory))
        event.listen(engine, "begin", _sqlite_begin)
    else:
        kwargs.update(
            pool_size=settings.pool_size,
            max_overflow=settings.max_overflow,
            pool_timeout=settings.pool_timeout,
            pool_recycle=settings.pool_recycle,
            connect_args={"connect_timeout": 10, "application_name": "coe"},
        )
        if url.get_backend_name() == "mysql":
            from . import mysql

            kwargs.update(connect_args=mysql.connect_args(), isolation_level=mysql.ISOLATION_LEVEL)
            engine = create_engine(url, **kwargs)
            refuse_old_servers(engine)
            return engine
        engine = create_engine(url, **kwargs)
    return engine


def refuse_old_servers(engine: Engine) -> None:
    """Make each new connection of a MariaDB/MySQL ``engine`` refuse a server older than CoE supports.

    Checked on every new connection (a tuple comparison,
    :func:`coe_framework.db.mysql.version_problem`), after the dialect has
    read the server's version on the first one.
    """
    from . import mysql

    def check(_dbapi_connection: Any, _record: Any) -> None:
        problem = mysql.version_problem(engine.dialect)
        if problem:
            raise DatabaseConfigError(problem)

    event.listen(engine, "connect", check)


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: from the environment)."""
    settings = EngineSettings.from_env(url=url) if url else EngineSettings.from_env()
    with _engines_lock:
        engine = _engines.get(settings.url)
        if engine is None:
            engine = _engines[settings.url] = make_engine(settings)
        return engine


def dispose_engines() -> None:
    """Close every cached engine's pool (tests, shutdown)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _after_fork_in_child() -> None:
    # A forked child must never reuse the parent's sockets; it opens its own.
    for engine in list(_engines.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


# Every pool, also of engines this module did not cache (the web app's, a test's): a
# connection opened by another process is never handed out here. Two processes on one
# socket read each other's answers and wait forever, so a forked child that reaches a
# pooled connection of its parent drops it unclosed (closing would end the parent's
# session) and opens its own.
@event.listens_for(Pool, "connect")
def _remember_process(dbapi_connection: Any, record: Any) -> None:
    record.info["pid"] = os.getpid()


@event.listens_for(Pool, "checkout")
def _refuse_another_process(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    pid = os.getpid()
    if record.info.get("pid", pid) != pid:
        record.dbapi_connection = proxy.dbapi_connection = None
        raise exc.DisconnectionError(f"connection opened by process {record.info['pid']}, checked out in {pid}")


_session_factories: dict[int, sessionmaker[Session]] = {}


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (results are read after the unit ends)."""
    factory = _session_factories.get(id(engine))
    if factory is None or factory.kw.get("bind") is not engine:
        factory = _session_factories[id(engine)] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


_writers: dict[int, tuple[Engine, Engine]] = {}


def _writer(engine: Engine) -> Engine:
    """The engine's BEGIN IMMEDIATE variant (shares its pool), made once."""
    entry = _writers.get(id(engine))
    if entry is None or entry[0] is not engine:
        entry = _writers[id(engine)] = (engine, engine.execution_options(sqlite_begin="immediate"))
    return entry[1]


@contextlib.contextmanager
def unit_of_work(engine: Engine, *, write: bool = False) -> Iterator[Session]:
    """A session whose work commits whole at the end or rolls back whole on any error.

    ``write=True`` takes SQLite's write lock when the unit begins (other
    writers wait up to the busy timeout); no effect on PostgreSQL.
    """
    bind = _writer(engine) if write and engine.dialect.name == "sqlite" else engine
    session = session_factory(engine)(bind=bind)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def is_transient(error: BaseException) -> bool:
    """True for errors worth retrying on an idempotent read: lost connections, busy database."""
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, exc.DisconnectionError):
        return True
    if isinstance(error, exc.OperationalError):
        text = str(error.orig).lower() if error.orig is not None else str(error).lower()
        return any(word in text for word in ("locked", "busy", "connection", "server closed", "terminating", "timeout"))
    return False


def retry_read(fn: Callable[[], T], *, attempts: int = 4, base_delay: float = 0.05, max_delay: float = 1.0) -> T:
    """Call ``fn`` (an idempotent read), retrying transient failures with capped exponential backoff."""
    delay = base_delay
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except exc.SQLAlchemyError as error:
            if attempt == attempts or not is_transient(error):
                raise
            log.warning("transient database error (attempt %d of %d): %s", attempt, attempts, error.__class__.__name__)
            time.sleep(delay)
            delay = min(max_delay, delay * 2)
    raise AssertionError("unreachable")  # pragma: no cover


def read(engine: Engine, fn: Callable[[Session], T]) -> T:
    """``fn`` in a read-only unit of work of its own, retried after a transient disconnect."""

    def attempt() -> T:
        with unit_of_work(engine) as session:
            return fn(session)

    return retry_read(attempt)


def redacted(url: str | URL) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(str(url)).render_as_string(hide_password=True)
    except exc.ArgumentError:
        return "<invalid URL>"
