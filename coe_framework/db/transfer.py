"""Moving data in and out of the database.

* :func:`export_analyses` / :func:`import_analyses`: the legacy file layout,
  one JSON file per analysis (request, per-repository rows, results and their
  normalized rows). Import is idempotent: each file carries a key, stored as
  the request's idempotency key, so importing twice changes nothing.
* :func:`backup` / :func:`restore`: a database-neutral dump of every table
  (JSON Lines, gzip-compressed, values typed by the models), so a SQLite store
  can move to PostgreSQL and back.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.orm import Session, selectinload

from .models import (
    NORMALIZED_MODELS,
    AnalysisRequest,
    AnalysisResult,
    Base,
    CorrelationAnalysis,
    RagDocument,
    Repository,
    RepositoryAnalysis,
    SchemaHistory,
    UTCDateTime,
)
from .store import Store, StoreError, detail_row_dict, iso, request_dict, result_dict

EXPORT_FORMAT = "coe-analysis"
BACKUP_FORMAT = "coe-backup"
FORMAT_VERSION = 1
#: Tables a backup leaves out: the target keeps its own migration ledger.
_NOT_BACKED_UP = {SchemaHistory.__tablename__}
_BATCH = 1000


def _write_json_atomic(path: Path, payload: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, ensure_ascii=False, indent=1, sort_keys=True)
            handle.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _export_key(document: dict[str, Any]) -> str:
    """A stable identity for an exported analysis (its content without database ids)."""
    analysis = document["analysis"]
    identity = {
        "created_at": analysis["created_at"],
        "repositories": [(ra["repository"]["url"], ra["commit"]) for ra in analysis["repository_analyses"]],
        "results": sorted((r["repository"]["url"], r["analyzer"], r["cache_key"]) for r in document["results"]),
    }
    return "import:" + hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:40]


def _analysis_document(session: Session, req: AnalysisRequest) -> dict[str, Any]:
    results = list(session.scalars(
        select(AnalysisResult)
        .join(RepositoryAnalysis, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
        .where(RepositoryAnalysis.request_id == req.id)
        .options(selectinload(AnalysisResult.repository_analysis).selectinload(RepositoryAnalysis.repository))
        .order_by(AnalysisResult.id)
    ))
    out_results = []
    for result in results:
        item = result_dict(result)
        item["rows"] = {
            table: [
                {k: v for k, v in detail_row_dict(row).items() if k not in ("id", "repository_analysis_id", "analysis_result_id")}
                for row in session.scalars(select(model).where(model.analysis_result_id == result.id).order_by(model.id))  # type: ignore[attr-defined]
            ]
            for table, model in NORMALIZED_MODELS.items()
        }
        out_results.append(item)
    ra_ids = [ra.id for ra in req.repository_analyses]
    documents: list[dict[str, Any]] = [
        {"id": d.document_id, "repository": d.repository_analysis_id, "kind": d.kind, "text": d.text, "metadata": d.meta,
         "created_at": iso(d.created_at)}
        for d in session.scalars(select(RagDocument).where(RagDocument.repository_analysis_id.in_(ra_ids)).order_by(RagDocument.id))
    ]
    urls = {ra.id: ra.repository.url for ra in req.repository_analyses}
    for doc in documents:
        doc["repository"] = urls[doc["repository"]]
    repo_urls = {ra.repository_id: ra.repository.url for ra in req.repository_analyses}
    correlations = [
        {
            "a": repo_urls.get(c.repository_a_id), "b": repo_urls.get(c.repository_b_id),
            "shared_dependencies": c.shared_dependencies, "shared_contributors": c.shared_contributors,
            "scores": c.scores, "similarity": c.similarity,
        }
        for c in session.scalars(select(CorrelationAnalysis).where(CorrelationAnalysis.request_id == req.id).order_by(CorrelationAnalysis.id))
    ]
    document = {
        "format": EXPORT_FORMAT,
        "format_version": FORMAT_VERSION,
        "exported_by": _producer(),
        "analysis": request_dict(req),
        "results": out_results,
        "rag_documents": documents,
        "correlations": correlations,
    }
    document["key"] = req.idempotency_key or _export_key(document)
    return document


def export_analyses(store: Store, directory: str | Path) -> int:
    """Write one ``analysis-<id>.json`` per analysis into ``directory``; returns the count."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    count = 0
    last_id = 0
    while True:
        with store.session() as session:
            batch = list(session.scalars(
                select(AnalysisRequest)
                .where(AnalysisRequest.id > last_id)
                .options(selectinload(AnalysisRequest.repository_analyses).selectinload(RepositoryAnalysis.repository))
                .order_by(AnalysisRequest.id)
                .limit(100)
            ))
            for req in batch:
                _write_json_atomic(target / f"analysis-{req.id}.json", _analysis_document(session, req))
                count += 1
        if not batch:
            return count
        last_id = batch[-1].id


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(f"invalid timestamp {value!r}") from None


def _load_document(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path.name}: not a readable JSON file ({type(exc).__name__})") from None
    if not isinstance(document, dict) or document.get("format") != EXPORT_FORMAT:
        raise StoreError(f"{path.name}: not a CoE analysis export (format '{EXPORT_FORMAT}' expected)")
    if document.get("format_version") != FORMAT_VERSION:
        raise StoreError(f"{path.name}: unsupported format version {document.get('format_version')!r}")
    return document


def import_analyses(store: Store, directory: str | Path) -> tuple[int, int]:
    """Load every ``*.json`` export in ``directory``; returns ``(imported, already_present)``.

    Each file is imported in its own unit of work; a malformed file stops the
    import with a one-line :class:`StoreError` naming it (files before it stay imported).
    """
    source = Path(directory)
    if not source.is_dir():
        raise StoreError(f"{directory} is not a directory")
    imported = skipped = 0
    for path in sorted(source.glob("*.json"), key=lambda p: (len(p.name), p.name)):
        document = _load_document(path)
        key = str(document.get("key") or _export_key(document))
        if store.find_request_by_idempotency_key(key) is not None:
            skipped += 1
            continue
        try:
            with store.session() as session:
                _import_document(session, document, key)
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{path.name}: malformed export ({type(exc).__name__}: {exc})") from None
        imported += 1
    return imported, skipped


def _import_document(session: Session, document: dict[str, Any], key: str) -> None:
    analysis = document["analysis"]
    req = AnalysisRequest(
        repositories=analysis["repositories"], ref=analysis.get("ref"), analyzers=analysis.get("analyzers"),
        options=analysis.get("options") or {}, status=analysis["status"], progress=analysis.get("progress") or 0.0,
        progress_message=analysis.get("progress_message"), error=analysis.get("error"),
        source=analysis.get("source") or "import", priority=analysis.get("priority", 0),
        attempts=analysis.get("attempts") or 0, max_attempts=analysis.get("max_attempts") or 3,
        cancel_requested=bool(analysis.get("cancel_requested")), idempotency_key=key,
        request_hash=analysis.get("request_hash"), created_at=_parse_time(analysis["created_at"]),
        started_at=_parse_time(analysis.get("started_at")), finished_at=_parse_time(analysis.get("finished_at")),
    )
    session.add(req)
    session.flush()
    by_url: dict[str, RepositoryAnalysis] = {}
    for item in analysis["repository_analyses"]:
        repo_info = item["repository"]
        repo = Store.upsert_repository(session, repo_info["url"], repo_info["name"])
        session.flush()
        ra = RepositoryAnalysis(
            request_id=req.id, repository_id=repo.id, ref=item.get("ref"), commit_sha=item.get("commit"),
            commit_date=_parse_time(item.get("commit_date")), commit_author=item.get("commit_author"),
            commit_message=item.get("commit_message"), status=item["status"], file_count=item.get("file_count"),
            line_count=item.get("line_count"), started_at=_parse_time(item.get("started_at")),
            finished_at=_parse_time(item.get("finished_at")), duration=item.get("duration"),
        )
        session.add(ra)
        session.flush()
        by_url[repo_info["url"]] = ra
        if item.get("commit") and (repo.last_commit_sha is None or ra.finished_at):
            repo.last_commit_sha = item.get("commit")
    for result in document["results"]:
        ra = by_url[result["repository"]["url"]]
        row = AnalysisResult(
            repository_analysis_id=ra.id, analyzer=result["analyzer"], analyzer_version=result["version"],
            options_hash=result["options_hash"], status=result["status"], data=result.get("data"),
            error=result.get("error"), duration=result.get("duration") or 0.0, cache_key=result["cache_key"],
            cached=bool(result.get("cached")), stats=result.get("stats") or {}, created_at=_parse_time(result.get("created_at")),
        )
        session.add(row)
        session.flush()
        for table, rows in (result.get("rows") or {}).items():
            model = NORMALIZED_MODELS.get(table)
            if model is None:
                raise StoreError(f"unknown table '{table}' in export")
            if rows:
                allowed = {c.key for c in model.__table__.columns} - {"id", "repository_analysis_id", "analysis_result_id"}
                session.execute(insert(model), [
                    {**{k: v for k, v in r.items() if k in allowed}, "repository_analysis_id": ra.id, "analysis_result_id": row.id}
                    for r in rows
                ])
    for doc in document.get("rag_documents") or []:
        owner = by_url[doc["repository"]].id
        exists = select(RagDocument.id).where(RagDocument.document_id == str(doc["id"]), RagDocument.repository_analysis_id == owner)
        if session.scalar(exists) is None:  # ids repeat across analyses of one commit: unique per repository analysis
            session.add(RagDocument(
                document_id=str(doc["id"]), repository_analysis_id=owner,
                kind=doc.get("kind") or "result", text=doc["text"], meta=doc.get("metadata") or {},
                created_at=_parse_time(doc.get("created_at")),
            ))
    for pair in document.get("correlations") or []:
        if pair.get("a") in by_url and pair.get("b") in by_url:
            a, b = sorted((by_url[pair["a"]].repository_id, by_url[pair["b"]].repository_id))
            session.add(CorrelationAnalysis(
                request_id=req.id, repository_a_id=a, repository_b_id=b,
                shared_dependencies=pair.get("shared_dependencies") or [], shared_contributors=pair.get("shared_contributors") or [],
                scores=pair.get("scores") or {}, similarity=pair.get("similarity"),
            ))


# --- backup and restore ----------------------------------------------------------


def _producer() -> str:
    """``coe <version>`` of the installed distribution, for the files' headers."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"coe {version('coe-framework')}"
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without installing
        return "coe"


def schema_revision(conn: Any) -> str | None:
    """The schema revision the connected database is migrated to (Alembic's version table), or None."""
    from alembic.runtime.migration import MigrationContext

    heads = MigrationContext.configure(conn).get_current_heads()
    return heads[0] if len(heads) == 1 else None


def _backup_tables() -> list[Any]:
    return [t for t in Base.metadata.sorted_tables if t.name not in _NOT_BACKED_UP]


def _encode(value: Any) -> Any:
    return iso(value) if isinstance(value, datetime) else value


def backup(engine: Engine, path: str | Path) -> dict[str, int]:
    """Dump every table to ``path`` (gzip JSON Lines); returns rows per table.

    The header records the database's schema revision; :func:`restore` loads
    the file only into a database at that revision.
    """
    counts: dict[str, int] = {}
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    with gzip.open(tmp, "wt", encoding="utf-8") as out, engine.connect() as conn:
        header = {"format": BACKUP_FORMAT, "format_version": FORMAT_VERSION, "schema": schema_revision(conn),
                  "source": conn.dialect.name, "created_by": _producer()}
        out.write(json.dumps(header) + "\n")
        for table in _backup_tables():
            pk = list(table.primary_key.columns)
            counts[table.name] = 0
            out.write(json.dumps({"table": table.name, "columns": [c.name for c in table.columns]}) + "\n")
            for row in conn.execution_options(yield_per=_BATCH).execute(select(table).order_by(*pk)):
                out.write(json.dumps([_encode(v) for v in row], ensure_ascii=False) + "\n")
                counts[table.name] += 1
    os.replace(tmp, target)
    return counts


def _read_backup(path: Path) -> Iterator[Any]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)
    except (OSError, EOFError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{path.name}: not a readable CoE backup ({type(exc).__name__})") from None


def restore(engine: Engine, path: str | Path) -> dict[str, int]:
    """Load a :func:`backup` into an empty, migrated database; returns rows per table.

    Refuses a database that already holds data or sits at another schema
    revision. Everything is restored in one transaction.
    """
    source = Path(path)
    if not source.is_file():
        raise StoreError(f"{path} does not exist")
    records = _read_backup(source)
    header = next(records, None)
    if not isinstance(header, dict) or header.get("format") != BACKUP_FORMAT:
        raise StoreError(f"{source.name}: not a CoE backup")
    with engine.connect() as conn:
        head = schema_revision(conn)
    if header.get("schema") != head:
        raise StoreError(f"{source.name}: made at schema revision {header.get('schema')}, this database is at {head}")
    tables = {t.name: t for t in _backup_tables()}
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for table in tables.values():
            if conn.scalar(select(func.count()).select_from(table)):
                raise StoreError(f"the database is not empty (table {table.name} has rows); restore needs an empty database")
        table = None
        columns: list[str] = []
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            if table is not None and batch:
                conn.execute(insert(table), batch)
                batch.clear()

        for record in records:
            if isinstance(record, dict):
                flush()
                table = tables.get(record.get("table", ""))
                if table is None:
                    raise StoreError(f"{source.name}: unknown table {record.get('table')!r}")
                columns = record["columns"]
                counts[table.name] = 0
                continue
            if table is None:
                raise StoreError(f"{source.name}: row before any table header")
            row = {}
            for name, value in zip(columns, record):
                column = table.columns.get(name)
                if column is None:
                    continue
                row[name] = _parse_time(value) if isinstance(column.type, UTCDateTime) else value
            batch.append(row)
            counts[table.name] += 1
            if len(batch) >= _BATCH:
                flush()
        flush()
        if conn.dialect.name == "postgresql":
            _reset_sequences(conn)
    return counts


def _reset_sequences(conn: Any) -> None:
    """After explicit ids were inserted, move each serial sequence past the highest id."""
    for table in _backup_tables():
        for column in table.primary_key.columns:
            if column.autoincrement is True or (column.autoincrement == "auto" and column.type.python_type is int):
                highest = conn.scalar(select(func.max(column)))
                if highest is not None:
                    conn.execute(
                        select(func.setval(func.pg_get_serial_sequence(table.name, column.name), highest))
                    )


__all__ = ["backup", "export_analyses", "import_analyses", "restore"]
