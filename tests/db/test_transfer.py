"""Export/import in the legacy file layout, and database-neutral backup/restore (SQLite to PostgreSQL)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from coe_framework.cli.main import cli
from coe_framework.db.models import Base, RagDocument, RepositoryAnalysis, SchemaHistory
from coe_framework.analysis.process_store import open_store
from coe_framework.db.store import Store, StoreError
from coe_framework.db.transfer import backup, export_analyses, import_analyses, restore

from .analyzers import Inventory
from .helpers import stored_analysis

IDS = {"id", "request_id", "repository_analysis_id", "idempotency_key"}


def strip_ids(value: Any) -> Any:
    """Everything but database ids (which differ between databases) and the import key."""
    if isinstance(value, dict):
        return {k: strip_ids(v) for k, v in value.items() if k not in IDS}
    if isinstance(value, list):
        return [strip_ids(v) for v in value]
    return value


def populate(store: Store, manager_with: Any) -> list[int]:
    manager = manager_with(Inventory())
    files = {"a.py": {"lines": 3, "size": 30}}
    first = stored_analysis(store, results={"inventory": {"files": files}, "count": {"files": 1}}, manager=manager)
    second = stored_analysis(store, url="https://example.com/two.git", commit="b" * 40, status="partial",
                             results={"count": None})
    ra = store.get_analysis(first)["repository_analyses"][0]["id"]
    with store.session() as session:
        session.add(RagDocument(document_id="doc-1", repository_analysis_id=ra, kind="summary", text="t", meta={"k": 1}))
    return [first, second]


def rag_documents(store: Store, request_id: int) -> list[dict[str, Any]]:
    with store.session() as session:
        rows = session.scalars(
            select(RagDocument).join(RepositoryAnalysis).where(RepositoryAnalysis.request_id == request_id).order_by(RagDocument.id)
        )
        return [{"id": d.document_id, "kind": d.kind, "text": d.text, "metadata": d.meta, "created_at": d.created_at} for d in rows]


def snapshot(store: Store, ids: list[int]) -> list[Any]:
    return [
        strip_ids({
            "analysis": store.get_analysis(i),
            "results": store.get_results(i),
            "code_files": store.list_rows("code_files", request_id=i).items,
            "docs": rag_documents(store, i),
        })
        for i in ids
    ]


def test_export_then_import_into_an_empty_database_reproduces_every_analysis(store: Store, manager_with: Any, tmp_path: Path) -> None:
    ids = populate(store, manager_with)
    assert export_analyses(store, tmp_path / "out") == 2
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"analysis-{ids[0]}.json", f"analysis-{ids[1]}.json"]
    document = json.loads((tmp_path / "out" / files[0]).read_text())
    assert document["format"] == "coe-analysis" and document["results"][0]["rows"]["code_files"][0]["path"] == "a.py"

    target = open_store(f"sqlite:///{tmp_path / 'target.sqlite3'}")
    assert import_analyses(target, tmp_path / "out") == (2, 0)
    new_ids = sorted(a["id"] for a in target.list_analyses().items)
    assert snapshot(target, new_ids) == snapshot(store, ids)
    assert import_analyses(target, tmp_path / "out") == (0, 2), "a second import changes nothing"
    assert len(target.list_analyses().items) == 2


def test_import_rejects_bad_files_with_one_line(store: Store, tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(StoreError, match="bad.json: not a readable JSON file"):
        import_analyses(store, tmp_path)
    (tmp_path / "bad.json").write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(StoreError, match="not a CoE analysis export"):
        import_analyses(store, tmp_path)
    with pytest.raises(StoreError, match="is not a directory"):
        import_analyses(store, tmp_path / "missing")


def table_contents(store: Store) -> dict[str, list[Any]]:
    out = {}
    with store.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == SchemaHistory.__tablename__:
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(_comparable(v) for v in row) for row in rows]
    return out


def _comparable(value: Any) -> Any:
    from datetime import datetime, timezone

    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).timestamp()
    return value


def test_backup_then_restore_reproduces_every_table(store: Store, manager_with: Any, tmp_path: Path) -> None:
    populate(store, manager_with)
    store.runner_caches()["blob_cache"].put_many({"k1": {"lines": 1}})
    store.runner_caches()["state_store"].put_state("s1", {"seen": ["x"]})
    counts = backup(store.engine, tmp_path / "dump.gz")
    assert counts["analysis_results"] == 3 and counts["blob_cache"] == 1
    # From SQLite, restore into PostgreSQL when a server is available; otherwise into another SQLite file.
    target = open_store(_other_database(store, tmp_path))
    assert restore(target.engine, tmp_path / "dump.gz") == counts
    assert table_contents(target) == table_contents(store)
    created, _ = target.create_request([{"url": "https://example.com/new.git", "name": "new"}])
    assert created["id"] > max(a["id"] for a in store.list_analyses().items), "id sequences continue after the restored rows"
    with pytest.raises(StoreError, match="not empty"):
        restore(target.engine, tmp_path / "dump.gz")


def _other_database(store: Store, tmp_path: Path) -> str:
    base = os.environ.get("COE_TEST_DATABASE_URL", "").strip()
    if store.engine.dialect.name == "sqlite" and base:
        import uuid

        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url
        from sqlalchemy.pool import NullPool

        schema = f"coe_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(base, poolclass=NullPool)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        _created_schemas.append((admin, schema))
        return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(hide_password=False)
    return f"sqlite:///{tmp_path / 'restored.sqlite3'}"


_created_schemas: list[Any] = []


@pytest.fixture(autouse=True)
def _drop_extra_schemas() -> Any:
    yield
    from sqlalchemy import text

    from coe_framework.db.engine import dispose_engines

    dispose_engines()
    while _created_schemas:
        admin, schema = _created_schemas.pop()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def test_restore_refuses_other_files(store: Store, tmp_path: Path) -> None:
    (tmp_path / "x.gz").write_bytes(b"not gzip")
    with pytest.raises(StoreError, match="not a readable CoE backup"):
        restore(store.engine, tmp_path / "x.gz")
    with pytest.raises(StoreError, match="does not exist"):
        restore(store.engine, tmp_path / "missing.gz")


def test_cli_export_import_backup_restore(store: Store, manager_with: Any, tmp_path: Path) -> None:
    populate(store, manager_with)
    url = os.environ["COE_DATABASE_URL"]
    other = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    runner = CliRunner()
    assert "exported 2 analyses" in runner.invoke(cli, ["results", "--url", url, "export", str(tmp_path / "out")]).output
    assert "imported 2 analyses, 0 already present" in runner.invoke(cli, ["results", "--url", other, "import", str(tmp_path / "out")]).output
    assert "imported 0 analyses, 2 already present" in runner.invoke(cli, ["results", "--url", other, "import", str(tmp_path / "out")]).output
    assert "backed up" in runner.invoke(cli, ["db", "--url", url, "backup", str(tmp_path / "b.gz")]).output
    third = f"sqlite:///{tmp_path / 'third.sqlite3'}"
    assert "restored" in runner.invoke(cli, ["db", "--url", third, "restore", str(tmp_path / "b.gz")]).output
    refused = runner.invoke(cli, ["db", "--url", third, "restore", str(tmp_path / "b.gz")])
    assert refused.exit_code == 2 and "not empty" in refused.output
