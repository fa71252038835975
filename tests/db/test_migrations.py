"""Migrations and the checksum ledger: schema equality, tampering, repair, failures, heads, concurrency."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, inspect

from coe_framework.db.engine import make_engine
from coe_framework.db.models import Base
from coe_migrate import migrate

REVISION_FILE = "versions/0001_initial_schema.py"
#: Every revision the project ships, oldest first; extra test revisions start at 9001.
SHIPPED = [script.revision for script in reversed(list(migrate.script_directory().walk_revisions()))]
HEAD = SHIPPED[-1]


@pytest.fixture
def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the revision folder, so tests can edit revisions without touching the tree."""
    copy = tmp_path / "migrate"
    shutil.copytree(migrate.SCRIPT_LOCATION, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(migrate, "SCRIPT_LOCATION", copy)
    return copy


def add_revision(folder: Path, rev: str, down: str, body: str = "pass") -> Path:
    path = folder / "versions" / f"{rev}_extra.py"
    path.write_text(
        f'"""Extra revision {rev}."""\nfrom alembic import op\nimport sqlalchemy as sa\n\n'
        f"revision = {rev!r}\ndown_revision = {down!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        f"def upgrade() -> None:\n    {body}\n\n\ndef downgrade() -> None:\n    pass\n",
        encoding="utf-8",
    )
    return path


def test_migrated_schema_equals_the_models(engine: Engine) -> None:
    assert migrate.upgrade(engine) == SHIPPED
    assert migrate.compare_schema(engine) == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    migrate.check_startup(engine)
    assert migrate.upgrade(engine) == [], "a second upgrade applies nothing"


def test_ledger_records_checksum_who_when_and_time(engine: Engine) -> None:
    migrate.upgrade(engine)
    row = migrate.history(engine)[0]
    assert [r["version"] for r in migrate.history(engine)] == SHIPPED
    assert row["version"] == "0001" and row["success"] and row["kind"] == "migrate"
    assert row["script"] == REVISION_FILE and row["checksum_algorithm"] == "sha256"
    assert row["checksum"] == migrate.checksum(migrate.SCRIPT_LOCATION / REVISION_FILE)
    assert "@" in row["installed_by"] and row["installed_on"] is not None and row["execution_time_ms"] >= 0


def test_checksum_ignores_line_endings(tmp_path: Path) -> None:
    unix, windows = tmp_path / "a.py", tmp_path / "b.py"
    unix.write_bytes(b"x = 1\ny = 2\n")
    windows.write_bytes(b"x = 1\r\ny = 2\r\n")
    assert migrate.checksum(unix) == migrate.checksum(windows)


def test_edited_revision_stops_validate_and_startup_until_repair(engine: Engine, revisions: Path) -> None:
    migrate.upgrade(engine)
    path = revisions / REVISION_FILE
    recorded = migrate.checksum(path)
    path.write_text(path.read_text(encoding="utf-8") + "\n# edited after it was applied\n", encoding="utf-8")
    edited = migrate.checksum(path)
    for check in (migrate.validate, migrate.check_startup, migrate.upgrade):
        with pytest.raises(migrate.MigrationError) as info:
            check(engine)
        message = str(info.value)
        assert REVISION_FILE in message and recorded in message and edited in message
    from coe_framework.analysis.process_store import open_store
    from coe_framework.db.store import StoreError

    with pytest.raises(StoreError, match=REVISION_FILE):
        open_store(str(engine.url.render_as_string(hide_password=False)))  # what the CLI and workers call at start
    changes = migrate.repair(engine)
    assert changes == [f"0001: checksum {recorded} -> {edited}"]
    migrate.check_startup(engine)
    audit = [r for r in migrate.history(engine) if r["kind"] == "repair"]
    assert len(audit) == 1 and recorded in audit[0]["description"]
    assert migrate.repair(engine) == [], "nothing left to repair, no second audit row"


def test_missing_revision_file_is_reported(engine: Engine, revisions: Path) -> None:
    extra = add_revision(revisions, "9001", HEAD)
    migrate.upgrade(engine)
    extra.unlink()
    with pytest.raises(migrate.MigrationError, match=r"9001 \(versions/9001_extra.py\) was applied but its file is missing"):
        migrate.validate(engine)


def test_failed_revision_is_recorded_and_blocks_until_repaired(engine: Engine, revisions: Path) -> None:
    broken = add_revision(revisions, "9001", HEAD, body='op.execute("SELECT * FROM no_such_table")')
    with pytest.raises(migrate.MigrationError, match="revision 9001 .*failed"):
        migrate.upgrade(engine)
    rows = migrate.history(engine)
    # MariaDB/MySQL commit each DDL statement: the revisions before the failure stay applied, and recorded.
    transactional_ddl = engine.dialect.name != "mysql"
    kept = [] if transactional_ddl else [(v, True) for v in SHIPPED]
    assert [(r["version"], r["success"]) for r in rows] == kept + [("9001", False)], "only the failure is recorded as failed"
    with pytest.raises(migrate.MigrationError, match=r"9001 \(versions/9001_extra.py\) failed"):
        migrate.validate(engine)
    assert migrate.repair(engine) == ["cleared failed entry of 9001"]
    add_revision(revisions, "9001", HEAD)  # fixed
    assert broken.exists()
    assert migrate.upgrade(engine) == (SHIPPED if transactional_ddl else []) + ["9001"]
    migrate.check_startup(engine)


def test_more_than_one_head_stops_upgrade(engine: Engine, revisions: Path) -> None:
    add_revision(revisions, "9001", HEAD)
    add_revision(revisions, "9002", HEAD)
    with pytest.raises(migrate.MigrationError, match="more than one head"):
        migrate.upgrade(engine)


def test_pending_revision_fails_startup_but_not_validate(engine: Engine, revisions: Path) -> None:
    migrate.upgrade(engine)
    add_revision(revisions, "9001", HEAD)
    migrate.validate(engine)
    with pytest.raises(migrate.MigrationError, match="not up to date.*9001"):
        migrate.check_startup(engine)
    assert migrate.pending(engine) == ["9001"]


def test_downgrade_and_upgrade_again(engine: Engine) -> None:
    migrate.upgrade(engine)
    assert migrate.downgrade(engine, "base") == SHIPPED[::-1]
    assert "repositories" not in inspect(engine).get_table_names()
    assert migrate.pending(engine) == SHIPPED
    assert migrate.upgrade(engine) == SHIPPED
    kinds = [(r["version"], r["kind"], r["applied_key"]) for r in migrate.history(engine)]
    assert kinds == [(v, "migrate", None) for v in SHIPPED] + [(v, "downgrade", None) for v in SHIPPED[::-1]] + [(v, "migrate", v) for v in SHIPPED]


def test_baseline_marks_an_existing_schema(engine: Engine) -> None:
    Base.metadata.create_all(engine)
    assert migrate.baseline(engine) == SHIPPED
    migrate.check_startup(engine)
    assert migrate.upgrade(engine) == []
    with pytest.raises(migrate.MigrationError, match="already has applied migrations"):
        migrate.baseline(engine)


def test_unrecorded_revision_is_found_and_repaired(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(Base.metadata.tables["schema_history"].delete())
    with pytest.raises(migrate.MigrationError, match="missing from the ledger"):
        migrate.validate(engine)
    assert migrate.repair(engine) == [f"recorded applied revision {v}" for v in SHIPPED]
    migrate.check_startup(engine)


def test_two_upgrades_at_once_apply_each_revision_once(database_url: str) -> None:
    script = (
        "import sys\n"
        "from coe_framework.db.engine import make_engine\n"
        "from coe_migrate.migrate import upgrade\n"
        "print(','.join(upgrade(make_engine(sys.argv[1]))))\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, database_url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert sorted(out.strip() for out, _ in outputs) == ["", ",".join(SHIPPED)], "exactly one process applied the revisions"
    engine = make_engine(database_url)
    try:
        rows = migrate.history(engine)
        assert [(r["version"], r["kind"]) for r in rows] == [(v, "migrate") for v in SHIPPED]
        assert migrate.compare_schema(engine) == []
    finally:
        engine.dispose()


def test_cli_db_commands(database_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli

    runner = CliRunner()
    status = runner.invoke(cli, ["db", "--url", database_url, "status"])
    assert status.exit_code == 0 and "0001     pending" in status.output
    assert "applied 0001" in runner.invoke(cli, ["db", "--url", database_url, "upgrade"]).output
    assert runner.invoke(cli, ["db", "--url", database_url, "validate"]).output.strip() == "migrations are valid"
    assert "nothing to repair" in runner.invoke(cli, ["db", "--url", database_url, "repair"]).output
    failed = runner.invoke(cli, ["db", "--url", "oracle://x/y", "status"])
    assert failed.exit_code == 2 and "unsupported database 'oracle'" in failed.output


def test_rebuilding_analysis_requests_keeps_every_row_and_ids_are_never_reused(database_url: str) -> None:
    """0005 rebuilds the table on SQLite; rows that refer to it must survive (no cascade) and keep their ids."""
    from sqlalchemy import func, select

    from coe_framework.analysis.cache import MemoryCache, TieredCache
    from coe_framework.db.models import AnalysisRequest, AnalysisResult, RepositoryAnalysis
    from coe_framework.db.store import Store

    engine = make_engine(database_url)
    try:
        migrate.upgrade(engine, "0004")
        store = Store(engine, TieredCache(MemoryCache()))
        kept = []
        for n in range(3):
            request, _ = store.create_request([{"url": f"https://example.org/r{n}.git", "name": f"r{n}"}], source="cli")
            with store.session() as session:
                repo = store.upsert_repository(session, f"https://example.org/r{n}.git", f"r{n}")
                session.flush()
                ra = RepositoryAnalysis(request_id=request["id"], repository_id=repo.id, commit_sha=f"{n:040x}", status="succeeded")
                session.add(ra)
                session.flush()
                session.add(AnalysisResult(repository_analysis_id=ra.id, analyzer="git", analyzer_version="1", options_hash="x",
                                           status="succeeded", data={"n": n}, cache_key=f"k{n}"))
            kept.append(request["id"])
        assert migrate.upgrade(engine) == SHIPPED[SHIPPED.index("0005"):]
        with engine.connect() as conn:
            assert sorted(conn.execute(select(AnalysisRequest.id)).scalars()) == kept
            assert conn.execute(select(func.count()).select_from(RepositoryAnalysis)).scalar() == 3
            assert conn.execute(select(func.count()).select_from(AnalysisResult)).scalar() == 3
        assert store.delete_analysis(kept[-1])
        again, _ = store.create_request([{"url": "https://example.org/new.git", "name": "new"}], source="cli")
        assert again["id"] > kept[-1]
        assert migrate.compare_schema(engine) == []
    finally:
        engine.dispose()


def test_a_migration_that_leaves_dangling_references_is_rolled_back(engine: Engine, revisions: Path) -> None:
    from sqlalchemy import func, select

    from coe_framework.db.models import ApiLog

    migrate.upgrade(engine)
    insert = ("INSERT INTO api_logs (request_id, method, route, status_code, duration_ms, created_at, session_id) "
              "VALUES ('r', 'GET', '/', 200, 1.0, '2026-01-01 00:00:00', 424242)")
    add_revision(revisions, "9001", HEAD, body=f'op.execute("{insert}")')
    # SQLite: found by the foreign key check before the commit; PostgreSQL: refused by the insert itself.
    with pytest.raises(migrate.MigrationError, match="referring to missing rows in api_logs|revision 9001 .*failed"):
        migrate.upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ApiLog)).scalar() == 0

