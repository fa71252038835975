"""``coe db import-legacy``: the original services' flows and analyses into CoE's store.

Two sources:

* a directory of the original files: ``flows/<name>.json`` (each a LangFlow
  export) and, anywhere else below it, one ``AnalysisResult`` JSON per
  analysis;
* an original database URL: rows of ``langflows`` (``flow_data`` a JSON
  string) and ``rag_analysis_results`` (``repositories_data`` and
  ``correlation_data`` JSON strings).

Each flow and each analysis is imported in its own unit of work, so a
failure leaves nothing half-imported. Something already present (a live
flow of that name, an analysis of that id) is left alone, so a second run
imports nothing new; a malformed file or row is skipped with its reason.
With ``dry_run`` every item is imported inside a transaction that is rolled
back, so the report says exactly what a real run would do.

An analysis becomes a request with its string id (``analysis_keys``), one
repository analysis per repository pinned to the recorded commit, and one
result of the analyzer ``original`` holding the repository's record as the
original service wrote it: the native API shows it as that analyzer's
result, and the original routes answer it unchanged.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

from pydantic import ValidationError
from sqlalchemy import Engine, MetaData, Table, create_engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from ..db.models import (
    FLOW_NAME_PATTERN,
    AnalysisKey,
    AnalysisRequest,
    AnalysisResult,
    LangFlow,
    RepositoryAnalysis,
)
from ..db.store import Store, parse_commit_date, usable_flow_id
from ..errors import BadInput, first_line
from ..jsonfiles import read_json_object
from .ids import valid_key
from .models import LegacyAnalysisResult
from .results import IMPORTED_ANALYZER

_FLOW_NAME = re.compile(FLOW_NAME_PATTERN)
#: Original statuses and the CoE status an imported analysis gets.
_STATUSES = {"completed": "succeeded", "failed": "failed", "pending": "cancelled", "running": "cancelled"}


class LegacySourceError(BadInput, ValueError):
    """The source cannot be read at all (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


class Malformed(BadInput, ValueError):
    """One file or row cannot be imported; the text says why.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do), item by item."""

    dry_run: bool = False
    imported: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        """The run's last line."""
        flows = sum(1 for item in self.imported if item.startswith("flow "))
        analyses = len(self.imported) - flows
        verb = "would import" if self.dry_run else "imported"
        line = f"{verb} {flows} flow{'s' * (flows != 1)} and {analyses} analys{'es' if analyses != 1 else 'is'}, "
        line += f"{len(self.present)} already present, {len(self.skipped)} skipped"
        return line + (" (dry run: nothing written)" if self.dry_run else "")


# --- the two sources -----------------------------------------------------------------


def import_directory(store: Store, directory: Path, *, dry_run: bool = False) -> ImportReport:
    """Flow files under ``flows/`` and AnalysisResult files elsewhere below ``directory``."""
    if not directory.is_dir():
        raise LegacySourceError(f"{directory} is not a directory")
    report = ImportReport(dry_run=dry_run)
    for path in sorted(p for p in directory.rglob("*.json") if not any(part.startswith(".") for part in p.relative_to(directory).parts)):
        label = str(path.relative_to(directory))
        try:
            document = read_json_object(path)
        except (ValueError, OSError) as exc:
            report.skipped[label] = str(exc) if isinstance(exc, ValueError) else (exc.strerror or type(exc).__name__)
            continue
        if path.parent == directory / "flows":
            _run(store, report, label, dry_run, lambda s: _flow(s, path.stem, document, {}))
        else:
            _run(store, report, label, dry_run, lambda s: _analysis(s, document))
    return report


def import_database(store: Store, url: str, *, dry_run: bool = False) -> ImportReport:
    """Rows of ``langflows`` and ``rag_analysis_results`` in the original database at ``url``."""
    source = _open_source(url)
    report = ImportReport(dry_run=dry_run)
    try:
        tables = _reflect(source)
        with source.connect() as conn:
            if "langflows" in tables:
                for row in conn.execute(select(tables["langflows"]).order_by(*tables["langflows"].primary_key.columns)).mappings():
                    label = f"langflows row {row.get('id', row.get('name'))}"
                    _run(store, report, label, dry_run, lambda s, row=row: _flow_row(s, row))
            if "rag_analysis_results" in tables:
                table = tables["rag_analysis_results"]
                for row in conn.execute(select(table).order_by(*table.primary_key.columns)).mappings():
                    label = f"rag_analysis_results row {row.get('analysis_id', row.get('id'))}"
                    _run(store, report, label, dry_run, lambda s, row=row: _analysis(s, _document_from_row(row)))
    except SQLAlchemyError as exc:
        raise LegacySourceError(f"cannot read the original database: {first_line(getattr(exc, 'orig', None) or exc)[:300]}") from None
    finally:
        source.dispose()
    return report


def _open_source(url: str) -> Engine:
    from ..db.engine import redacted

    try:
        return create_engine(url, poolclass=NullPool)
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise LegacySourceError(f"cannot open the original database {redacted(url)}: {first_line(exc)[:300]}") from None


def _reflect(engine: Engine) -> dict[str, Table]:
    metadata = MetaData()
    metadata.reflect(engine, only=lambda name, _meta: name in ("langflows", "rag_analysis_results"))
    if not metadata.tables:
        raise LegacySourceError("the original database has neither a langflows nor a rag_analysis_results table")
    return dict(metadata.tables)


# --- one item, one transaction ------------------------------------------------------------


def _run(store: Store, report: ImportReport, label: str, dry_run: bool, action: Any) -> None:
    """Import one item in its own transaction: committed, or (dry run, failure) rolled back."""
    try:
        with _transaction(store.engine, commit=not dry_run) as session:
            outcome = action(session)
    except Malformed as exc:
        report.skipped[label] = str(exc)
        return
    except SQLAlchemyError as exc:
        report.skipped[label] = f"refused by the database: {first_line(getattr(exc, 'orig', None) or exc)[:200]}"
        return
    kind, name, is_new = outcome
    (report.imported if is_new else report.present).append(f"{kind} {name!r} ({label})")


@contextlib.contextmanager
def _transaction(engine: Engine, *, commit: bool) -> Iterator[Session]:
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# --- flows -----------------------------------------------------------------------------------


def _flow_row(session: Session, row: Mapping[str, Any]) -> tuple[str, str, bool]:
    if not _truthy(row.get("is_active", True)):
        raise Malformed("inactive in the original database (a deleted flow); not imported")
    exported = _json_value(row.get("flow_data"), "flow_data")
    if not isinstance(exported, dict):
        raise Malformed("flow_data is not a JSON object")
    times = {"created_at": _time(row.get("created_at"), "created_at"), "updated_at": _time(row.get("updated_at"), "updated_at")}
    return _flow(session, str(row.get("name") or ""), {**exported, "description": row.get("description") or exported.get("description")}, times)


def _flow(session: Session, name: str, exported: Mapping[str, Any], times: Mapping[str, datetime | None]) -> tuple[str, str, bool]:
    """One LangFlow export under ``name``: created when no live flow has that name."""
    if not _FLOW_NAME.match(name) or name in (".", ".."):
        raise Malformed(f"'{name[:100]}' is not a valid flow name")
    graph = exported.get("data")
    if not isinstance(graph, dict) or not isinstance(graph.get("nodes", []), list) or not isinstance(graph.get("edges", []), list):
        raise Malformed("'data' must be a JSON object with 'nodes' and 'edges' lists")
    description = exported.get("description")
    if description is not None and not isinstance(description, str):
        raise Malformed("'description' must be a string")
    if session.scalar(select(LangFlow.id).where(LangFlow.name == name, LangFlow.deleted_at.is_(None))) is not None:
        return "flow", name, False
    flow_id = usable_flow_id(session, exported.get("id"))
    session.add(LangFlow(
        flow_id=flow_id, name=name, description=description, data=graph, is_component=bool(exported.get("is_component")),
        **{key: value for key, value in times.items() if value is not None},
    ))
    session.flush()
    return "flow", name, True


# --- analyses ----------------------------------------------------------------------------------


def _document_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``rag_analysis_results`` row as the AnalysisResult document it stands for."""
    return {
        "analysis_id": row.get("analysis_id"),
        "status": row.get("status"),
        "created_at": _time(row.get("created_at") or row.get("analysis_date"), "created_at"),
        "completed_at": _time(row.get("completed_at"), "completed_at"),
        "repositories": _json_value(row.get("repositories_data"), "repositories_data") or [],
        "correlation_analysis": _json_value(row.get("correlation_data"), "correlation_data"),
        "error_message": row.get("error_message"),
    }


def _analysis(session: Session, raw: Mapping[str, Any]) -> tuple[str, str, bool]:
    """One AnalysisResult document: a request, its repositories and their ``original`` results."""
    if "analysis_id" not in raw or "repositories" not in raw:
        raise Malformed("not an AnalysisResult (analysis_id and repositories expected)")
    prepared = {**raw, **{key: _iso(raw.get(key)) for key in ("created_at", "completed_at")}}
    try:
        document = LegacyAnalysisResult.model_validate(prepared)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise Malformed(f"{where}: {first['msg']}") from None
    key = document.analysis_id
    if not valid_key(key):
        raise Malformed(f"analysis_id '{key[:100]}' is not usable (1 to 100 letters, digits, '.', '_', ':' or '-', not digits only)")
    if session.scalar(select(AnalysisKey.request_id).where(AnalysisKey.key == key)) is not None:
        return "analysis", key, False
    urls = [repo.repository.url for repo in document.repositories]
    if len(set(urls)) != len(urls):
        raise Malformed("the same repository URL appears twice")
    if any(len(url) > 2048 or not url.strip() for url in urls):
        raise Malformed("a repository URL is empty or longer than 2048 characters")
    created, finished = _time(document.created_at, "created_at"), _time(document.completed_at, "completed_at")
    status = _STATUSES[document.status]
    error = document.error_message
    if status == "cancelled" and not error:
        error = f"imported while {document.status} in the original service; it never finished"
    request = AnalysisRequest(
        repositories=[{"url": r.repository.url, "name": r.repository.name, "ref": r.repository.branch} for r in document.repositories],
        analyzers=[IMPORTED_ANALYZER] if document.repositories else None, status=status, progress=1.0, error=error,
        source="import", created_at=created or datetime.now(timezone.utc), started_at=created, finished_at=finished or created,
        priority=0,
    )
    session.add(request)
    session.flush()
    session.add(AnalysisKey(request_id=request.id, key=key, include_correlation=document.correlation_analysis is not None))
    for index, repo in enumerate(document.repositories):
        _repository(session, request, key, repo.model_dump(mode="json"),
                    document.correlation_analysis.model_dump(mode="json") if index == 0 and document.correlation_analysis else None)
    session.flush()
    return "analysis", key, True


def _repository(session: Session, request: AnalysisRequest, key: str, record: dict[str, Any], correlation: dict[str, Any] | None) -> None:
    repository = record["repository"]
    repo = Store.upsert_repository(session, repository["url"], repository["name"][:255], repository.get("branch"))
    session.flush()
    commit = record.get("commit_info") or {}
    files = record.get("files") or []
    ra = RepositoryAnalysis(
        request_id=request.id, repository_id=repo.id, ref=(repository.get("branch") or None),
        commit_sha=(commit.get("commit_hash") or None), commit_date=parse_commit_date(_iso(commit.get("commit_date"))),
        commit_author=(commit.get("author") or "")[:500] or None, commit_message=commit.get("message"), status=request.status,
        file_count=len(files), line_count=sum(f.get("lines_of_code") or 0 for f in files) or None,
        started_at=request.started_at, finished_at=request.finished_at,
    )
    if ra.commit_sha is not None and len(ra.commit_sha) > 64:
        raise Malformed(f"commit_hash of {repository['url'][:100]} is longer than 64 characters")
    session.add(ra)
    session.flush()
    data = {"repository_analysis": record, "correlation_analysis": correlation}
    session.add(AnalysisResult(
        repository_analysis_id=ra.id, analyzer=IMPORTED_ANALYZER, analyzer_version="1", options_hash="",
        # The record itself was read whole, whatever the analysis' own outcome was.
        status="succeeded", data=data, error=None, duration=0.0,
        cache_key=hashlib.sha256(f"{IMPORTED_ANALYZER}:{key}:{repository['url']}".encode()).hexdigest(),
        stats={"imported": True},
    ))


# --- values ----------------------------------------------------------------------------------


def _json_value(value: Any, column: str) -> Any:
    """A JSON column stored as text (or already decoded by the driver)."""
    if value is None or isinstance(value, (dict, list)):
        return value
    if isinstance(value, (bytes, bytearray)):
        value = value.decode("utf-8", "replace")
    try:
        return json.loads(value)
    except (TypeError, ValueError):
        raise Malformed(f"{column} is not valid JSON") from None


def _time(value: Any, what: str) -> datetime | None:
    """An aware UTC datetime from a datetime (naive means UTC) or an ISO 8601 string."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise Malformed(f"{what} {str(value)[:40]!r} is not an ISO 8601 time") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _iso(value: Any) -> str | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).isoformat()
    return value if value is None or isinstance(value, str) else str(value)


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)
