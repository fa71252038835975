"""Schema migrations: Alembic revisions plus a Flyway-style checksum ledger.

Every applied revision is recorded in ``schema_history`` with the SHA-256 of
its file (line endings normalized), who applied it, when, how long it took
and whether it succeeded. :func:`validate` runs before every upgrade and when
the web app or a worker starts (:func:`check_startup`): an edited applied
revision, an applied revision whose file is gone, a failed entry or more than
one head stops it with a message naming the file and both checksums.
:func:`repair` realigns the ledger explicitly and leaves an audit row.

Two migrators never apply the same revision twice: the whole run holds a
lock (a transaction-scoped advisory lock on PostgreSQL, a named lock,
``GET_LOCK``, per database on MariaDB/MySQL, an exclusive transaction on
SQLite), and the ledger's unique ``applied_key`` holds each
applied revision once.

Alembic is configured in code (no ``alembic.ini``), so an installed wheel
migrates the same way as a work tree.
"""
from __future__ import annotations

import contextlib
import getpass
import hashlib
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Sequence

from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.pool import NullPool

from coe_framework.db.engine import is_sqlite
from coe_framework.db.mysql import hidden_objects, is_mysql, schema_problems
from coe_framework.db.models import SchemaHistory, utcnow

CHECKSUM_ALGORITHM = "sha256"
SCRIPT_LOCATION = Path(__file__).resolve().parent
#: First half of the PostgreSQL advisory lock key ("CoE!" as an int32); the second is the schema.
_LOCK_NAMESPACE = 0x436F4521
_MYSQL_LOCK_WAIT_SECONDS = 300
_ledger = SchemaHistory.__table__


class MigrationError(RuntimeError):
    """The database's migrations are not in a state the code can run against."""

    def __init__(self, problems: Sequence[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


# --- revision files ------------------------------------------------------------


def script_directory() -> ScriptDirectory:
    """The revisions shipped with this version of CoE."""
    return ScriptDirectory.from_config(alembic_config())


def alembic_config(connection: Connection | None = None, **attributes: Any) -> Config:
    """An Alembic configuration built in code; ``connection`` is handed to env.py."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPT_LOCATION))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    config.attributes.update(attributes)
    return config


def checksum(path: str | Path) -> str:
    """SHA-256 of a revision file with CRLF/CR normalized to LF."""
    data = Path(path).read_bytes().replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(data).hexdigest()


def _script_name(script: Script) -> str:
    return Path(script.path).relative_to(SCRIPT_LOCATION).as_posix()


def _ordered_revisions(scripts: ScriptDirectory) -> list[Script]:
    """Revisions from the first to the head."""
    return list(reversed(list(scripts.walk_revisions("base", "heads"))))


def _who() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"[:200]


# --- locking -------------------------------------------------------------------


@contextlib.contextmanager
def migration_lock(engine: Engine, *, downgrade: bool = False) -> Iterator[Connection]:
    """A connection inside one transaction that no other migrator can enter meanwhile.

    ``downgrade`` is for MariaDB/MySQL, whose InnoDB refuses to drop an index a
    foreign key still needs even when the table goes next: foreign key
    checks are off while a downgrade runs (SQLite runs every migration so).
    """
    if is_mysql(engine.dialect):
        with _mysql_named_lock(engine) as conn:
            if downgrade:
                conn.exec_driver_sql("SET SESSION foreign_key_checks = 0")
            try:
                _ensure_ledger(conn)
                yield conn
                conn.commit()
            finally:
                if downgrade:
                    conn.rollback()
                    conn.exec_driver_sql("SET SESSION foreign_key_checks = 1")
        return
    if not is_sqlite(engine):
        with engine.begin() as conn:
            conn.execute(select(func.pg_advisory_xact_lock(_LOCK_NAMESPACE, func.hashtext(func.current_schema()))))
            _ensure_ledger(conn)
            yield conn
        return
    database = engine.url.database
    if database in (None, "", ":memory:"):
        # One shared in-memory connection: nobody else can be migrating it.
        with engine.begin() as conn:
            _ensure_ledger(conn)
            yield conn
        return
    lock_engine = create_engine(engine.url, poolclass=NullPool, connect_args={"timeout": 300}, hide_parameters=True)

    @event.listens_for(lock_engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, emit BEGIN, so it can be EXCLUSIVE.
        dbapi_connection.isolation_level = None
        # SQLite's procedure for schema changes: foreign keys off while tables are
        # rebuilt (a DROP TABLE would otherwise cascade-delete the rows that refer
        # to the table being rebuilt), then checked before the commit.
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA busy_timeout=300000")

    @event.listens_for(lock_engine, "begin")
    def _exclusive(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN EXCLUSIVE")

    try:
        with lock_engine.begin() as conn:
            _ensure_ledger(conn)
            yield conn
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                tables = sorted({str(row[0]) for row in broken})
                raise MigrationError([f"the migration left {len(broken)} row(s) referring to missing rows in {', '.join(tables)}; rolled back"])
    finally:
        lock_engine.dispose()


@contextlib.contextmanager
def _mysql_named_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database's migration lock (a session lock: released explicitly).

    MariaDB and MySQL commit implicitly at each DDL statement, so a revision
    that fails halfway leaves what it already did; the ledger records the
    revision as failed and ``coe db repair`` clears it once the schema is fixed.
    """
    with engine.connect() as conn:
        # Lock names are at most 64 characters; the database name may be longer.
        name = func.concat("coe-migrate:", func.md5(func.database()))
        if conn.scalar(select(func.get_lock(name, _MYSQL_LOCK_WAIT_SECONDS))) != 1:
            raise MigrationError([f"another migrator held the migration lock for {_MYSQL_LOCK_WAIT_SECONDS} s; try again"])
        conn.commit()
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()
            conn.scalar(select(func.release_lock(name)))
            conn.commit()


def _ensure_ledger(conn: Connection) -> None:
    """The ledger belongs to the migrator, which needs it before the first revision runs."""
    _ledger.create(conn, checkfirst=True)


# --- reading state -------------------------------------------------------------


def _applied_heads(conn: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(conn).get_current_heads()


def _applied_chain(scripts: ScriptDirectory, heads: Sequence[str]) -> list[str]:
    """Every revision at or below the current heads."""
    if not heads:
        return []
    return [s.revision for s in scripts.iterate_revisions(tuple(heads), "base")]


def _ledger_rows(conn: Connection) -> list[Any]:
    if not conn.dialect.has_table(conn, _ledger.name):
        return []
    return list(conn.execute(select(_ledger).order_by(_ledger.c.installed_rank)))


@dataclass
class RevisionStatus:
    """One revision as the files and the ledger see it."""

    revision: str
    description: str
    script: str
    state: str  # applied | pending | edited | missing-file | failed | unrecorded
    checksum: str | None
    recorded_checksum: str | None
    installed_on: datetime | None
    installed_by: str | None
    execution_time_ms: int | None


def _inspect(conn: Connection, scripts: ScriptDirectory) -> tuple[list[RevisionStatus], list[str]]:
    """Per-revision status and the list of problems that make the database invalid."""
    problems: list[str] = []
    heads = scripts.get_heads()
    if len(heads) > 1:
        problems.append(f"the revisions have more than one head ({', '.join(sorted(heads))}); merge them")
    rows = _ledger_rows(conn)
    applied_rows = {r.applied_key: r for r in rows if r.applied_key is not None}
    current = _applied_heads(conn)
    known = {s.revision: s for s in _ordered_revisions(scripts)}
    unknown_current = [rev for rev in current if rev not in known]
    chain = set(_applied_chain(scripts, current)) if len(heads) <= 1 and not unknown_current else set()
    for rev in unknown_current:
        if rev not in applied_rows:  # otherwise reported below with its file and checksum
            problems.append(f"the database is at revision {rev}, which none of the revision files define")
    out: list[RevisionStatus] = []
    for script in known.values():
        name = _script_name(script)
        actual = checksum(script.path)
        row = applied_rows.get(script.revision)
        state = "pending"
        if row is not None and not row.success:
            state = "failed"
            problems.append(
                f"revision {script.revision} ({name}) failed on {row.installed_on:%Y-%m-%d %H:%M:%S}; "
                "fix it, then run `coe db repair`"
            )
        elif row is not None and row.checksum != actual:
            state = "edited"
            problems.append(
                f"revision {script.revision} ({name}) was edited after it was applied: "
                f"recorded {row.checksum_algorithm} {row.checksum}, file now {actual}"
            )
        elif row is not None:
            state = "applied"
        elif script.revision in chain:
            state = "unrecorded"
            problems.append(f"revision {script.revision} ({name}) is applied but missing from the ledger; run `coe db repair`")
        out.append(RevisionStatus(
            script.revision, (script.doc or "").strip(), name, state, actual,
            row.checksum if row is not None else None,
            row.installed_on if row is not None else None,
            row.installed_by if row is not None else None,
            row.execution_time_ms if row is not None else None,
        ))
    for version, row in applied_rows.items():
        if version not in known:
            problems.append(
                f"revision {version} ({row.script}) was applied but its file is missing "
                f"(recorded {row.checksum_algorithm} {row.checksum}, file now absent)"
            )
            out.append(RevisionStatus(
                version, row.description, row.script or "", "missing-file", None, row.checksum,
                row.installed_on, row.installed_by, row.execution_time_ms,
            ))
    return out, problems


def status(engine: Engine) -> list[RevisionStatus]:
    """Every revision with its state (read-only; the ledger may not exist yet)."""
    with engine.connect() as conn:
        return _inspect(conn, script_directory())[0]


def pending(engine: Engine) -> list[str]:
    """Revisions not yet applied, in order."""
    return [s.revision for s in status(engine) if s.state == "pending"]


def validate(engine: Engine, *, require_current: bool = False) -> None:
    """Raise :class:`MigrationError` when the ledger and the revision files disagree.

    With ``require_current``, pending revisions are an error too.
    """
    with engine.connect() as conn:
        states, problems = _inspect(conn, script_directory())
    if require_current:
        waiting = [s.revision for s in states if s.state == "pending"]
        if waiting:
            problems.append(f"the database is not up to date ({len(waiting)} revision(s) pending: {', '.join(waiting)}); run `coe db upgrade`")
    if problems:
        raise MigrationError(problems)


def check_startup(engine: Engine) -> None:
    """What the web app and workers call before serving: valid and up to date, or :class:`MigrationError`."""
    validate(engine, require_current=True)


# --- changing state ------------------------------------------------------------


class _LedgerWriter:
    """Alembic's ``on_version_apply`` callback: one ledger row per revision step, timed."""

    def __init__(self, scripts: ScriptDirectory):
        self.scripts = scripts
        self.started = time.perf_counter()
        self.done: list[str] = []

    def __call__(self, *, ctx: MigrationContext, step: Any, heads: Any, run_args: Any) -> None:
        elapsed = int((time.perf_counter() - self.started) * 1000)
        self.started = time.perf_counter()
        if step.is_stamp:
            return
        conn = ctx.connection
        assert conn is not None
        if step.is_upgrade:
            script = self.scripts.get_revision(step.up_revision_id)
            conn.execute(insert(_ledger).values(_entry(script, "migrate", elapsed, success=True)))
            self.done.append(script.revision)
        else:
            for revision in step.up_revision_ids:
                script = self.scripts.get_revision(revision)
                conn.execute(update(_ledger).where(_ledger.c.applied_key == revision).values(applied_key=None))
                row = _entry(script, "downgrade", elapsed, success=True)
                conn.execute(insert(_ledger).values({**row, "applied_key": None}))
                self.done.append(revision)
        if is_mysql(conn.dialect):
            # DDL commits implicitly there, so a revision's changes are already permanent:
            # its ledger row and Alembic's version must be too, or a later failure would
            # roll them back and the next run would apply the revision a second time.
            conn.commit()


def _entry(script: Script, kind: str, elapsed_ms: int, *, success: bool) -> dict[str, Any]:
    return {
        "version": script.revision,
        "applied_key": script.revision if kind in ("migrate", "baseline") else None,
        "description": (script.doc or "").strip()[:500],
        "kind": kind,
        "script": _script_name(script),
        "checksum": checksum(script.path),
        "checksum_algorithm": CHECKSUM_ALGORITHM,
        "installed_by": _who(),
        "installed_on": utcnow(),
        "execution_time_ms": elapsed_ms,
        "success": success,
    }


def upgrade(engine: Engine, target: str = "heads") -> list[str]:
    """Validate, then apply every pending revision up to ``target``; returns those applied."""
    scripts = script_directory()
    writer = _LedgerWriter(scripts)
    first_pending: str | None = None
    try:
        with migration_lock(engine) as conn:
            problems = _inspect(conn, scripts)[1]
            if problems:
                raise MigrationError(problems)
            applied = set(_applied_chain(scripts, _applied_heads(conn)))
            todo = [s.revision for s in _ordered_revisions(scripts) if s.revision not in applied]
            if not todo:
                return []
            first_pending = todo[0]
            writer.started = time.perf_counter()
            command.upgrade(alembic_config(conn, on_version_apply=writer), target)
    except MigrationError:
        raise
    except Exception as exc:
        failed = _failed_revision(scripts, first_pending, writer.done)
        if failed is not None:
            _record_failure(engine, scripts.get_revision(failed), writer)
            raise MigrationError([f"revision {failed} ({_script_name(scripts.get_revision(failed))}) failed: {type(exc).__name__}: {exc}"]) from exc
        raise
    return writer.done


def _failed_revision(scripts: ScriptDirectory, first_pending: str | None, done: list[str]) -> str | None:
    if first_pending is None:
        return None
    if not done:
        return first_pending
    following = [s.revision for s in _ordered_revisions(scripts)]
    index = following.index(done[-1]) + 1
    return following[index] if index < len(following) else None


def _record_failure(engine: Engine, script: Script, writer: _LedgerWriter) -> None:
    """The run rolled back; record the failed revision in a transaction of its own."""
    elapsed = int((time.perf_counter() - writer.started) * 1000)
    with migration_lock(engine) as conn:
        conn.execute(update(_ledger).where(_ledger.c.applied_key == script.revision).values(applied_key=None))
        conn.execute(insert(_ledger).values(_entry(script, "migrate", elapsed, success=False)))


def downgrade(engine: Engine, target: str) -> list[str]:
    """Revert down to ``target`` (a revision, ``-1`` or ``base``); returns the reverted revisions."""
    scripts = script_directory()
    writer = _LedgerWriter(scripts)
    with migration_lock(engine, downgrade=True) as conn:
        problems = _inspect(conn, scripts)[1]
        if problems:
            raise MigrationError(problems)
        writer.started = time.perf_counter()
        command.downgrade(alembic_config(conn, on_version_apply=writer), target)
    return writer.done


def baseline(engine: Engine, revision: str = "heads") -> list[str]:
    """Mark an existing schema as migrated up to ``revision`` without running anything."""
    scripts = script_directory()
    with migration_lock(engine) as conn:
        if any(r.applied_key for r in _ledger_rows(conn)) or _applied_heads(conn):
            raise MigrationError(["the database already has applied migrations; baseline is only for an unmigrated schema"])
        target = scripts.get_revision(scripts.get_current_head() if revision in ("head", "heads") else revision)
        if target is None:
            raise MigrationError([f"unknown revision {revision}"])
        chain = list(reversed([s for s in scripts.iterate_revisions(target.revision, "base")]))
        for script in chain:
            conn.execute(insert(_ledger).values(_entry(script, "baseline", 0, success=True)))
        command.stamp(alembic_config(conn), target.revision)
    return [s.revision for s in chain]


def repair(engine: Engine) -> list[str]:
    """Realign the ledger with the files; returns what changed (also written as an audit row).

    Failed entries are cleared, checksums of edited revisions are updated,
    applied revisions missing from the ledger are added, and entries whose
    file is gone are retired.
    """
    scripts = script_directory()
    changes: list[str] = []
    with migration_lock(engine) as conn:
        states, _problems = _inspect(conn, scripts)
        for state in states:
            if state.state == "failed":
                conn.execute(update(_ledger).where(_ledger.c.applied_key == state.revision).values(applied_key=None))
                changes.append(f"cleared failed entry of {state.revision}")
            elif state.state == "edited":
                conn.execute(
                    update(_ledger).where(_ledger.c.applied_key == state.revision)
                    .values(checksum=state.checksum, checksum_algorithm=CHECKSUM_ALGORITHM)
                )
                changes.append(f"{state.revision}: checksum {state.recorded_checksum} -> {state.checksum}")
            elif state.state == "unrecorded":
                conn.execute(insert(_ledger).values(_entry(scripts.get_revision(state.revision), "baseline", 0, success=True)))
                changes.append(f"recorded applied revision {state.revision}")
            elif state.state == "missing-file":
                conn.execute(update(_ledger).where(_ledger.c.applied_key == state.revision).values(applied_key=None))
                changes.append(f"retired {state.revision} (file gone)")
        if changes:
            conn.execute(insert(_ledger).values(
                version="repair", applied_key=None, description="; ".join(changes)[:500], kind="repair",
                script=None, checksum=None, checksum_algorithm=CHECKSUM_ALGORITHM, installed_by=_who(),
                installed_on=utcnow(), execution_time_ms=0, success=True,
            ))
    return changes


def history(engine: Engine) -> list[dict[str, Any]]:
    """Every ledger row, oldest first, audit rows included."""
    with engine.connect() as conn:
        return [dict(row._mapping) for row in _ledger_rows(conn)]


def ensure_current(engine: Engine) -> list[str]:
    """Bring the database up to date if needed (the CLI's first use); validation errors raise."""
    states = status(engine)
    if any(s.state != "applied" for s in states):
        return upgrade(engine)
    return []


def compare_schema(engine: Engine) -> list[Any]:
    """Alembic's autogenerate diff between the database and the models (empty when equal)."""
    from alembic.autogenerate import compare_metadata

    from coe_framework.db.models import Base

    from coe_framework.search.lexical import DIALECT_OBJECTS

    def include_object(obj: Any, name: str | None, kind: str, reflected: bool, compare_to: Any) -> bool:
        # The full-text engine objects of revision 0007 exist per dialect and outside the models.
        return not (reflected and compare_to is None and name in DIALECT_OBJECTS)

    with engine.connect() as conn:
        if not is_mysql(conn.dialect):
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            return list(compare_metadata(context, Base.metadata))
        # Partial unique indexes are generated columns there, and Alembic compares neither timestamp
        # precision nor collations: coe_framework.db.mysql checks those.
        columns, indexes = hidden_objects(Base.metadata)

        def visible(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
            if not include_object(obj, name, type_, reflected, other):
                return False
            if type_ == "column":
                return (obj.table.name, name) not in columns
            return not (type_ in ("index", "unique_constraint") and name in indexes)

        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": visible})
        return list(compare_metadata(context, Base.metadata)) + schema_problems(conn, Base.metadata)


__all__ = [
    "MigrationError", "RevisionStatus", "alembic_config", "baseline", "check_startup", "checksum",
    "compare_schema", "downgrade", "ensure_current", "history", "pending", "repair", "status",
    "upgrade", "validate",
]
