"""MariaDB and MySQL: what the shared schema and engine need from them.

The models and the Alembic revisions are written once for every database.
MariaDB 10.6+ and MySQL 8+ need a few things the others do not, and they are
supplied here, at DDL compile time, so that the models' ``create_all`` and the
revisions (whose text is checksummed in the migration ledger) produce the same
schema without a dialect branch in any revision:

* every table is InnoDB, ``utf8mb4`` with a binary, no-pad collation
  (:data:`COLLATION`), so comparisons and unique keys behave as on SQLite and
  PostgreSQL: case-sensitive, ``'a' <> 'a '``;
* ``DateTime`` becomes ``DATETIME(6)``: plain ``DATETIME`` drops microseconds,
  and lease expiry and "newest first" orderings need them;
* a non-unique index whose key would exceed InnoDB's 3072 bytes indexes a
  prefix of its long ``VARCHAR`` columns (equality lookups still use it);
  long unique keys are left to MariaDB, which enforces them by hash;
* a partial unique index (``postgresql_where``, e.g. flow names unique among
  live flows) becomes a unique index over invisible generated columns that
  hold the value only where the condition holds (NULLs never collide).

Importing :mod:`coe_framework.db.models` registers these compilers (and the
models' metadata, :func:`use_model_metadata`); the engine refuses servers
older than :data:`MIN_MARIADB` / :data:`MIN_MYSQL` with :func:`version_problem`.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Index, MetaData, String, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex
from sqlalchemy.sql.elements import ClauseElement, ColumnClause
from sqlalchemy.types import NullType

#: The SQLAlchemy dialect names of MariaDB and MySQL.
DIALECTS = ("mysql", "mariadb")
CHARSET = "utf8mb4"
#: Binary and NO PAD: case-sensitive, trailing spaces significant (SQLite and PostgreSQL semantics).
COLLATION = "utf8mb4_nopad_bin"
#: MySQL 8 has no ``utf8mb4_nopad_bin``; its binary collation of the same meaning.
MYSQL_COLLATION = "utf8mb4_0900_bin"
#: Strict mode: an over-long value or a bad date is an error, never silently truncated.
SQL_MODE = "STRICT_TRANS_TABLES,STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION"
#: InnoDB's largest index key (DYNAMIC rows), in bytes.
MAX_KEY_BYTES = 3072
_BYTES_PER_CHAR = 4  # utf8mb4
_FIXED_KEY_BYTES = 8  # integers, dates and the like: at most 8 bytes each


def is_mysql(dialect_or_name: Any) -> bool:
    """True for the MariaDB/MySQL dialect (or its name)."""
    name = dialect_or_name if isinstance(dialect_or_name, str) else dialect_or_name.name
    return name in DIALECTS


def collation_for(dialect: Any) -> str:
    """The collation of CoE's tables on this server."""
    return COLLATION if getattr(dialect, "is_mariadb", False) else MYSQL_COLLATION


def connect_args() -> dict[str, Any]:
    """PyMySQL connection arguments: utf8mb4, strict mode, UTC, a connect timeout."""
    return {
        "charset": CHARSET,
        "connect_timeout": 10,
        "init_command": f"SET SESSION sql_mode='{SQL_MODE}', SESSION time_zone='+00:00'",
    }


#: READ COMMITTED, as PostgreSQL: a unit that loses an insert race reads the winner's row.
ISOLATION_LEVEL = "READ COMMITTED"
#: The oldest servers with everything CoE uses (SKIP LOCKED, INVISIBLE columns, a persistent AUTO_INCREMENT).
MIN_MARIADB = (10, 6)
MIN_MYSQL = (8, 0)


def version_problem(dialect: Any) -> str | None:
    """Why the connected server is too old for CoE, or None."""
    version = tuple(dialect.server_version_info or ())
    product, minimum = ("MariaDB", MIN_MARIADB) if getattr(dialect, "is_mariadb", False) else ("MySQL", MIN_MYSQL)
    if version[:2] >= minimum:
        return None
    found = ".".join(str(part) for part in version) or "unknown"
    return f"{product} {found} is too old: CoE needs {product} {'.'.join(map(str, minimum))} or later"


# --- DDL -------------------------------------------------------------------------


#: The models' metadata, registered by :mod:`coe_framework.db.models` when it is imported.
_model_metadata: list[MetaData] = []


def use_model_metadata(metadata: MetaData) -> None:
    """Let the DDL compilers look up the models' column types (called once by the models module)."""
    if metadata not in _model_metadata:
        _model_metadata.append(metadata)


def _model_column(table_name: str, column_name: str) -> Any:
    """The models' column of that name (revisions build indexes on typeless stand-in columns)."""
    for metadata in _model_metadata:
        table = metadata.tables.get(table_name)
        if table is not None:
            return table.c.get(column_name)
    return None


def _column_type(column: Any) -> Any:
    if not isinstance(column.type, NullType):
        return column.type
    model = _model_column(column.table.name, column.name)
    return model.type if model is not None else column.type


def _string_length(column: Any) -> int | None:
    kind = _column_type(column)
    return kind.length if isinstance(kind, String) and kind.length else None


def _prefix_lengths(index: Index) -> dict[str, int]:
    """Prefix lengths that bring a too-long key within :data:`MAX_KEY_BYTES` (empty when it fits)."""
    columns = _columns(index)
    strings = {c.name: n for c in columns if (n := _string_length(c))}
    fixed = (len(columns) - len(strings)) * _FIXED_KEY_BYTES
    if fixed + sum(strings.values()) * _BYTES_PER_CHAR <= MAX_KEY_BYTES:
        return {}
    share = (MAX_KEY_BYTES - fixed) // _BYTES_PER_CHAR // len(strings)
    return {name: share for name, length in strings.items() if length > share}


def _where(index: Index) -> ClauseElement | None:
    for dialect in ("postgresql", "sqlite"):
        where = index.dialect_options[dialect]._non_defaults.get("where")
        if where is not None:
            return where
    return None


def live_key_column(index_name: str, column_name: str) -> str:
    """The invisible generated column behind a partial unique index on MariaDB/MySQL."""
    return f"{index_name}__{column_name}"[:64]


def _identifier(compiler: Any, name: str) -> str:
    return compiler.preparer.quote(name)


@compiles(DateTime, *DIALECTS)
def _datetime_with_microseconds(type_: DateTime, compiler: Any, **kw: Any) -> str:
    return "DATETIME(6)"


@compiles(CreateTable, *DIALECTS)
def _create_table(element: CreateTable, compiler: Any, **kw: Any) -> str:
    ddl = compiler.visit_create_table(element, **kw).rstrip()
    options = element.element.dialect_options["mysql"]._non_defaults
    extra = []
    if "engine" not in options:
        extra.append("ENGINE=InnoDB")
    if "charset" not in options:
        extra.append(f"DEFAULT CHARSET={CHARSET}")
    if "collate" not in options:
        extra.append(f"COLLATE={collation_for(compiler.dialect)}")
    return f"{ddl} {' '.join(extra)}" if extra else ddl


@compiles(CreateIndex, *DIALECTS)
def _create_index(element: CreateIndex, compiler: Any, **kw: Any) -> str:
    index: Index = element.element
    where = _where(index)
    if index.unique and where is not None:
        return _create_partial_unique(index, where, compiler)
    if not index.unique:
        lengths = _prefix_lengths(index)
        if lengths:
            index.dialect_options["mysql"]["length"] = {**lengths, **(index.dialect_options["mysql"]["length"] or {})}
    return compiler.visit_create_index(element, **kw)


def _columns(index: Index) -> list[ColumnClause[Any]]:
    """The table columns an index is over (CoE's indexes are over plain columns only)."""
    return [c for c in index.expressions if isinstance(c, ColumnClause)]


def _create_partial_unique(index: Index, where: ClauseElement, compiler: Any) -> str:
    """``ALTER TABLE`` adding one generated column per indexed column and the unique index over them."""
    table = _identifier(compiler, index.table.name)  # type: ignore[union-attr]
    condition = compiler.sql_compiler.process(where, include_table=False, literal_binds=True)
    parts, keys = [], []
    for column in _columns(index):
        key = live_key_column(str(index.name), column.name)
        kind = compiler.dialect.type_compiler_instance.process(_column_type(column))
        parts.append(
            f"ADD COLUMN {_identifier(compiler, key)} {kind} AS "
            f"(CASE WHEN {condition} THEN {_identifier(compiler, column.name)} END) VIRTUAL INVISIBLE"
        )
        keys.append(_identifier(compiler, key))
    parts.append(f"ADD UNIQUE INDEX {_identifier(compiler, str(index.name))} ({', '.join(keys)})")
    return f"ALTER TABLE {table} " + ", ".join(parts)


@compiles(DropIndex, *DIALECTS)
def _drop_index(element: DropIndex, compiler: Any, **kw: Any) -> str:
    index: Index = element.element
    if not (index.unique and _where(index) is not None):
        return compiler.visit_drop_index(element, **kw)
    table = _identifier(compiler, index.table.name)  # type: ignore[union-attr]
    drops = [f"DROP COLUMN {_identifier(compiler, live_key_column(str(index.name), c.name))}" for c in _columns(index)]
    return f"ALTER TABLE {table} DROP INDEX {_identifier(compiler, str(index.name))}, " + ", ".join(drops)


# --- schema comparison -------------------------------------------------------------


def partial_unique_indexes(metadata: Any) -> dict[tuple[str, str], Index]:
    """The models' partial unique indexes, by (table, index name)."""
    return {
        (table.name, str(index.name)): index
        for table in metadata.tables.values() for index in table.indexes
        if index.unique and _where(index) is not None
    }


def hidden_objects(metadata: Any) -> tuple[set[tuple[str, str]], set[str]]:
    """What :func:`_create_partial_unique` adds: (table, column) pairs and index names."""
    columns: set[tuple[str, str]] = set()
    indexes: set[str] = set()
    for (table, name), index in partial_unique_indexes(metadata).items():
        indexes.add(name)
        columns.update((table, live_key_column(name, c.name)) for c in _columns(index))
    return columns, indexes


def schema_problems(conn: Connection, metadata: Any) -> list[str]:
    """What Alembic's comparison cannot see on MariaDB/MySQL, as messages (empty when right).

    Each partial unique index exists over its generated columns, every
    timestamp keeps microseconds, and every CoE table has the utf8mb4
    collation of :func:`collation_for`.
    """
    inspector = inspect(conn)
    problems = []
    for (table, name), index in partial_unique_indexes(metadata).items():
        found = {i["name"]: i for i in inspector.get_indexes(table)}.get(name)
        wanted = [live_key_column(name, c.name) for c in _columns(index)]
        if found is None or not found.get("unique") or list(found["column_names"]) != wanted:
            problems.append(f"{table}.{name}: expected a unique index over {', '.join(wanted)}, found {found}")
    coarse = conn.exec_driver_sql(
        "SELECT table_name, column_name, datetime_precision FROM information_schema.columns "
        "WHERE table_schema = DATABASE() AND data_type = 'datetime' AND datetime_precision <> 6"
    )
    problems += [f"{table}.{column}: DATETIME({precision}), expected DATETIME(6)" for table, column, precision in coarse]
    wanted_collation = collation_for(conn.dialect)
    problems += [
        f"{table}: collation {collation}, expected {wanted_collation}"
        for table, collation in table_collations(conn).items()
        if table in metadata.tables and collation != wanted_collation
    ]
    return problems


def table_collations(conn: Connection) -> dict[str, str]:
    """Every table's collation in the connected database."""
    rows = conn.exec_driver_sql(
        "SELECT table_name, table_collation FROM information_schema.tables WHERE table_schema = DATABASE()"
    )
    return {str(name): str(collation) for name, collation in rows}
