"""MariaDB/MySQL: URLs, the DDL the shared schema compiles to, and what the server must enforce.

The compile tests need no server; the others run when COE_TEST_MARIADB_URL is set.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import insert, inspect, select, text, update
from sqlalchemy.dialects import mysql as mysql_dialect
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.schema import CreateIndex, CreateTable, DropIndex

from coe_framework.db.engine import DatabaseConfigError, make_engine, parse_url
from coe_framework.db.models import ApiLog, Base, CodeFile, LangFlow, Repository
from coe_framework.db.mysql import COLLATION, MYSQL_COLLATION
from coe_migrate import migrate

mariadb_only = pytest.mark.parametrize("database_url", ["mariadb"], indirect=True)


@pytest.mark.parametrize("url", ["mysql://root@db/coe", "mariadb://root@db/coe", "mysql+pymysql://root@db/coe",
                                 "mariadb+pymysql://root@db/coe"])
def test_mysql_and_mariadb_urls_use_pymysql(url: str) -> None:
    parsed = parse_url(url)
    assert parsed.drivername == "mysql+pymysql" and parsed.database == "coe" and parsed.host == "db"


def test_other_mysql_drivers_are_refused_in_one_line() -> None:
    with pytest.raises(DatabaseConfigError, match=r"^unsupported MySQL driver 'mysqldb' \(use mysql\+pymysql://\)$"):
        parse_url("mysql+mysqldb://root@db/coe")


def _ddl(element: Any, *, mariadb: bool = True) -> str:
    return str(element.compile(dialect=mysql_dialect.dialect(is_mariadb=mariadb)))


def test_tables_are_innodb_utf8mb4_binary_with_microsecond_timestamps() -> None:
    ddl = _ddl(CreateTable(ApiLog.__table__))
    assert ddl.rstrip().endswith(f"ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={COLLATION}")
    assert "created_at DATETIME(6) NOT NULL" in ddl
    assert f"COLLATE={MYSQL_COLLATION}" in _ddl(CreateTable(ApiLog.__table__), mariadb=False)


def test_a_partial_unique_index_becomes_generated_columns_and_drops_with_them() -> None:
    index = next(i for i in LangFlow.__table__.indexes if i.name == "uq_langflows_live_name")
    assert _ddl(CreateIndex(index)) == (
        "ALTER TABLE langflows ADD COLUMN uq_langflows_live_name__name VARCHAR(255) AS "
        "(CASE WHEN deleted_at IS NULL THEN name END) VIRTUAL INVISIBLE, "
        "ADD UNIQUE INDEX uq_langflows_live_name (uq_langflows_live_name__name)"
    )
    assert _ddl(DropIndex(index)) == (
        "ALTER TABLE langflows DROP INDEX uq_langflows_live_name, DROP COLUMN uq_langflows_live_name__name"
    )


def test_an_index_over_long_strings_indexes_a_prefix_that_fits_innodb() -> None:
    index = next(i for i in CodeFile.__table__.indexes if i.name == "ix_code_files_repository_analysis_path")
    ddl = _ddl(CreateIndex(index))
    assert ddl == "CREATE INDEX ix_code_files_repository_analysis_path ON code_files (repository_analysis_id, path(766))"
    assert 8 + 766 * 4 <= 3072
    short = next(i for i in Repository.__table__.indexes if i.name == "ix_repositories_name")
    assert _ddl(CreateIndex(short)) == "CREATE INDEX ix_repositories_name ON repositories (name)"


# --- on a server -------------------------------------------------------------------


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@mariadb_only
def test_sessions_are_utf8mb4_strict_utc_and_read_committed(engine: Any) -> None:
    with engine.connect() as conn:
        mode, zone, isolation, charset = conn.execute(text(
            "SELECT @@SESSION.sql_mode, @@SESSION.time_zone, @@SESSION.tx_isolation, @@character_set_connection"
        )).one()
    assert {"STRICT_TRANS_TABLES", "STRICT_ALL_TABLES", "NO_ZERO_DATE"} <= set(mode.split(","))
    assert (zone, isolation, charset) == ("+00:00", "READ-COMMITTED", "utf8mb4")


@mariadb_only
def test_an_over_long_value_is_refused_not_truncated(engine: Any) -> None:
    row = {"url": "https://example.com/a.git", "name": "n" * 256, "created_at": datetime.now(timezone.utc),
           "updated_at": datetime.now(timezone.utc)}
    with pytest.raises(DataError), engine.begin() as conn:
        conn.execute(insert(Repository), row)
    with engine.connect() as conn:
        assert conn.scalar(select(Repository.id)) is None


@mariadb_only
def test_text_is_utf8mb4_case_sensitive_and_timestamps_keep_microseconds(engine: Any) -> None:
    stamp = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    rows = [{"url": f"https://example.com/{name}.git", "name": name, "created_at": stamp, "updated_at": stamp}
            for name in ("App", "app", "app ", "🦊 ünïcode")]
    with engine.begin() as conn:
        conn.execute(insert(Repository), rows)  # a case-insensitive or PAD SPACE collation would collide here
    with engine.connect() as conn:
        assert sorted(conn.scalars(select(Repository.name))) == sorted(r["name"] for r in rows)
        assert conn.scalar(select(Repository.created_at).where(Repository.name == "🦊 ünïcode")) == stamp
        assert conn.scalar(select(Repository.name).where(Repository.name == "app")) == "app"


@mariadb_only
def test_flow_names_are_unique_among_live_flows_only(engine: Any) -> None:
    now = datetime.now(timezone.utc)

    def flow(flow_id: str, name: str) -> dict[str, Any]:
        return {"flow_id": flow_id, "name": name, "data": {"nodes": ["🦊"]}, "is_active": True, "created_at": now, "updated_at": now}

    with engine.begin() as conn:
        conn.execute(insert(LangFlow), [flow("a", "review"), flow("b", "Review")])
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(insert(LangFlow), flow("c", "review"))
    with engine.begin() as conn:
        conn.execute(update(LangFlow).where(LangFlow.flow_id == "a").values(deleted_at=now, is_active=False))
        conn.execute(insert(LangFlow), flow("c", "review"))  # the name is free again
    with engine.connect() as conn:
        assert conn.scalar(select(LangFlow.data).where(LangFlow.flow_id == "c")) == {"nodes": ["🦊"]}


@mariadb_only
def test_schema_comparison_sees_what_alembic_cannot(engine: Any) -> None:
    assert migrate.compare_schema(engine) == []
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE api_logs MODIFY created_at DATETIME NOT NULL"))
        conn.execute(text("ALTER TABLE langflows DROP INDEX uq_langflows_live_name"))
    problems = [str(p) for p in migrate.compare_schema(engine)]
    assert "api_logs.created_at: DATETIME(0), expected DATETIME(6)" in problems
    assert any(p.startswith("langflows.uq_langflows_live_name: expected a unique index") for p in problems)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())


@pytest.mark.parametrize(("mariadb", "version", "problem"), [
    (True, (10, 6, 18), None),
    (True, (10, 11, 19), None),
    (True, (10, 5, 25), "MariaDB 10.5.25 is too old: CoE needs MariaDB 10.6 or later"),
    (False, (8, 0, 36), None),
    (False, (5, 7, 44), "MySQL 5.7.44 is too old: CoE needs MySQL 8.0 or later"),
])
def test_servers_older_than_the_supported_versions_are_named(mariadb: bool, version: tuple[int, ...], problem: str | None) -> None:
    from coe_framework.db.mysql import version_problem

    dialect = mysql_dialect.dialect(is_mariadb=mariadb)
    dialect.server_version_info = version
    assert version_problem(dialect) == problem


@mariadb_only
def test_the_test_server_is_a_supported_version(engine: Any) -> None:
    from coe_framework.db.mysql import version_problem

    assert version_problem(engine.dialect) is None and engine.dialect.is_mariadb


@mariadb_only
def test_an_old_server_stops_the_cli_in_one_line(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli
    from coe_framework.db import mysql

    monkeypatch.setattr(mysql, "MIN_MARIADB", (99, 0))  # the test server plays an old one
    result = CliRunner().invoke(cli, ["db", "--url", database_url, "status"])
    assert result.exit_code == 2
    assert result.output.startswith("coe: error: MariaDB ") and "is too old: CoE needs MariaDB 99.0 or later" in result.output
    assert len(result.output.strip().splitlines()) == 1
