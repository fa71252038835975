"""The queries the CLI, the job workers and the web app share.

:class:`Store` wraps one engine and one read cache. Reads return plain
JSON-ready dictionaries (so they can be cached, serialized and handed across
threads); writes happen in one unit of work each, so a failure leaves
nothing half-written. All SQL is built with SQLAlchemy expressions.

Finished analyses and their results never change, so reads of them are
cached by id; unfinished statuses and lists are always read from the
database. A deleted analysis is evicted from the cache.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Protocol, Sequence, TypeVar

from sqlalchemy import Engine, Select, delete, func, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, selectinload

from .. import errors
from ..errors import first_line
from . import chart_aggregates
from .caches import DatabaseBlobCache, DatabaseResultCache, DatabaseStateStore
from .engine import DatabaseConfigError, chunks, get_engine, redacted, retry_read, unit_of_work
from .errors import StoreError
from .measure_rows import write_measure_values
from .pagination import MAX_PAGE_SIZE, Page, decode_cursor, encode_cursor, paginate  # noqa: F401 - re-exported for callers of the store
from .models import (
    FINISHED_STATUSES,
    NORMALIZED_MODELS,
    PRIORITY_INTERACTIVE,
    REQUEST_STATUSES,
    AnalysisKey,
    AnalysisRequest,
    AnalysisResult,
    Base,
    CorrelationAnalysis,
    RagDocument,
    Repository,
    RepositoryAnalysis,
    utcnow,
)
from .normalized_tables import NORMALIZED_TABLES
from .records import OutcomeRecord, PinnedRepository, ResultRecord
from .timestamps import iso, parse_commit_date
from .vectors import forget_orphans

log = logging.getLogger(__name__)
T = TypeVar("T")

class NotFound(errors.NotFound, StoreError):
    """The named row does not exist (a :class:`~coe_framework.errors.NotFound`; a ``StoreError`` as it always was)."""


# --- small helpers -------------------------------------------------------------


def request_hash(pinned: Sequence[tuple[str, str]], analyzers: Sequence[str] | None, options: Mapping[str, Any] | None) -> str:
    """Identity of an analysis: the same repositories at the same commits, analyzers and options.

    ``pinned`` is ``[(url, commit), ...]``; order does not matter.
    """
    canonical = json.dumps(
        {
            "repositories": sorted([list(p) for p in pinned]),
            "analyzers": sorted(analyzers) if analyzers else None,
            "options": options or {},
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def cache_prefix(engine: Engine) -> str:
    """A shared-cache key prefix unique to one database, so two databases never share entries."""
    identity = engine.url.render_as_string(hide_password=True)
    return f"coe:{hashlib.sha256(identity.encode()).hexdigest()[:12]}:"


def usable_flow_id(session: Session, candidate: Any) -> str:
    """LangFlow's own id of a flow when it can be a row's ``flow_id`` (at most 64 characters, unused), else a new UUID."""
    import uuid

    from .models import LangFlow

    text = str(candidate or "")
    if text and len(text) <= 64 and session.scalar(select(LangFlow.id).where(LangFlow.flow_id == text)) is None:
        return text
    return str(uuid.uuid4())


# --- row -> dict ---------------------------------------------------------------


def repository_ref(repo: Repository) -> dict[str, Any]:
    """The short form of a repository embedded in other rows."""
    return {"id": repo.id, "url": repo.url, "name": repo.name}


def repository_dict(repo: Repository) -> dict[str, Any]:
    """A repository as the API and CLI show it."""
    return {
        "id": repo.id,
        "url": repo.url,
        "name": repo.name,
        "default_branch": repo.default_branch,
        "last_commit_sha": repo.last_commit_sha,
        "last_analyzed_at": iso(repo.last_analyzed_at),
        "created_at": iso(repo.created_at),
    }


def repository_analysis_dict(ra: RepositoryAnalysis) -> dict[str, Any]:
    """One repository within a request: its commit, status and counts."""
    return {
        "id": ra.id,
        "request_id": ra.request_id,
        "repository": repository_ref(ra.repository),
        "ref": ra.ref,
        "commit": ra.commit_sha,
        "commit_date": iso(ra.commit_date),
        "commit_author": ra.commit_author,
        "commit_message": ra.commit_message,
        "status": ra.status,
        "file_count": ra.file_count,
        "line_count": ra.line_count,
        "started_at": iso(ra.started_at),
        "finished_at": iso(ra.finished_at),
        "duration": ra.duration,
    }


def request_dict(req: AnalysisRequest) -> dict[str, Any]:
    """An analysis request with its job fields and per-repository rows."""
    return {
        "id": req.id,
        "status": req.status,
        "progress": req.progress,
        # Rows finished before messages were cleared on completion still hold their last one.
        "progress_message": None if req.status in FINISHED_STATUSES else req.progress_message,
        "error": req.error,
        "repositories": req.repositories,
        "ref": req.ref,
        "analyzers": req.analyzers,
        "options": req.options,
        "source": req.source,
        "session_id": req.session_id,
        "priority": req.priority,
        "attempts": req.attempts,
        "max_attempts": req.max_attempts,
        "cancel_requested": req.cancel_requested,
        "idempotency_key": req.idempotency_key,
        "request_hash": req.request_hash,
        "created_at": iso(req.created_at),
        "started_at": iso(req.started_at),
        "finished_at": iso(req.finished_at),
        "repository_analyses": [repository_analysis_dict(ra) for ra in req.repository_analyses],
    }


def result_dict(result: AnalysisResult) -> dict[str, Any]:
    """One analyzer's result with the repository and commit it belongs to."""
    ra = result.repository_analysis
    return {
        "id": result.id,
        "repository_analysis_id": ra.id,
        "request_id": ra.request_id,
        "repository": repository_ref(ra.repository),
        "commit": ra.commit_sha,
        "analyzer": result.analyzer,
        "version": result.analyzer_version,
        "options_hash": result.options_hash,
        "status": result.status,
        "data": result.data,
        "error": result.error,
        "duration": result.duration,
        "cache_key": result.cache_key,
        "cached": result.cached,
        "stats": result.stats,
        "created_at": iso(result.created_at),
    }


def detail_row_dict(row: Base) -> dict[str, Any]:
    """A normalized detail row (code_files, ast_nodes, tech_dependencies) as a dict."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


# --- the store -----------------------------------------------------------------


def unusable_database(url: str | None, exc: Exception) -> StoreError:
    """The one-line :class:`StoreError` for a database that cannot be used: a bad setting, or an error reaching it.

    ``exc`` is a configuration or migration error (its message is shown as
    it is) or a :class:`~sqlalchemy.exc.SQLAlchemyError` (its first line).
    """
    if isinstance(exc, SQLAlchemyError):
        where = redacted(url) if url else "COE_DATABASE_URL"
        reason = first_line(getattr(exc, "orig", None) or exc)
        return StoreError(f"cannot use the database ({where}): {(reason or type(exc).__name__)[:300]}")
    return StoreError(f"database: {exc}")


class LocalEntries(Protocol):
    """This process's own level of a read cache (what :meth:`Store.forget_vanished` sweeps)."""

    def items(self) -> list[tuple[str, Any]]: ...

    def delete_many(self, keys: Iterable[str]) -> None: ...


class ReadCache(Protocol):
    """The read cache in front of the store: batched JSON gets, puts and deletes, with counters.

    :class:`coe_framework.analysis.cache.TieredCache` is one; the process that opens
    the store passes its own, so everything in the process shares it.
    """

    def get_many(self, keys: Iterable[str]) -> dict[str, Any]: ...

    def put_many(self, items: Mapping[str, Any]) -> None: ...

    def delete_many(self, keys: Iterable[str]) -> None: ...

    def stats(self) -> dict[str, Any]: ...

    @property
    def first(self) -> LocalEntries: ...


@dataclass
class Store:
    """Shared queries over one database, with a read cache for immutable results.

    The cache is the process's (see :func:`coe_framework.analysis.process_store.process_cache`):
    every store of one database in a process shares it, so an eviction is seen by all.
    """

    engine: Engine
    cache: ReadCache

    @classmethod
    def open(cls, url: str | None = None, *, cache: ReadCache) -> "Store":
        """The store for ``url`` (default ``COE_DATABASE_URL``) on the process-wide engine, with ``cache``.

        Never migrates: the CLI and the web app check (or upgrade) the schema
        at start-up. Raises :class:`StoreError` with one line when the
        database URL or a pool setting is unusable.
        """
        try:
            engine = get_engine(url)
        except (DatabaseConfigError, SQLAlchemyError) as exc:
            raise unusable_database(url, exc) from None
        return cls(engine, cache)

    def session(self) -> Any:
        """A writing unit of work: ``with store.session() as s: ...`` commits whole or rolls back whole."""
        return unit_of_work(self.engine, write=True)

    def _read(self, fn: Callable[[Session], T]) -> T:
        """An idempotent read in its own session, retried after transient disconnects."""

        def attempt() -> T:
            with unit_of_work(self.engine) as session:
                return fn(session)

        return retry_read(attempt)

    # -- repositories -----------------------------------------------------------

    @staticmethod
    def upsert_repository(session: Session, url: str, name: str, default_branch: str | None = None) -> Repository:
        """The repository row for ``url`` (credential-free), created when new."""
        repo = session.scalar(select(Repository).where(Repository.url == url))
        if repo is None:
            try:
                with session.begin_nested():
                    repo = Repository(url=url, name=name, default_branch=default_branch)
                    session.add(repo)
            except IntegrityError:  # another writer created it meanwhile
                repo = session.scalars(select(Repository).where(Repository.url == url)).one()
        elif default_branch and repo.default_branch != default_branch:
            repo.default_branch = default_branch
        return repo

    def get_repository(self, repository_id: int) -> dict[str, Any] | None:
        """One repository, or None."""
        return self._one_repository(Repository.id == repository_id)

    def find_repository(self, url: str) -> dict[str, Any] | None:
        """The repository with this credential-free URL, or None."""
        return self._one_repository(Repository.url == url)

    def _one_repository(self, condition: Any) -> dict[str, Any] | None:
        def read(session: Session) -> dict[str, Any] | None:
            repo = session.scalar(select(Repository).where(condition))
            return repository_dict(repo) if repo else None

        return self._read(read)

    def list_repositories(self, *, limit: int = 50, cursor: str | None = None, name: str | None = None) -> Page:
        """Repositories, most recently added first; ``name`` filters exactly."""
        query = select(Repository)
        if name:
            query = query.where(Repository.name == name)
        return self._read(lambda s: paginate(s, query, Repository.id, limit=limit, cursor=cursor, serialize=repository_dict))

    def repository_analyses(self, repository_id: int, *, limit: int = 50, cursor: str | None = None) -> Page:
        """Every analysis of one repository (one row per request), newest first."""
        query = (
            select(RepositoryAnalysis)
            .where(RepositoryAnalysis.repository_id == repository_id)
            .options(selectinload(RepositoryAnalysis.repository))
        )
        return self._read(lambda s: paginate(s, query, RepositoryAnalysis.id, limit=limit, cursor=cursor, serialize=repository_analysis_dict))

    def latest_results(self, repository_id: int) -> list[dict[str, Any]]:
        """The newest succeeded result of each analyzer for one repository."""

        def read(session: Session) -> list[dict[str, Any]]:
            newest = (
                select(func.max(AnalysisResult.id))
                .join(RepositoryAnalysis, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
                .where(RepositoryAnalysis.repository_id == repository_id, AnalysisResult.status == "succeeded")
                .group_by(AnalysisResult.analyzer)
            )
            rows = session.scalars(select(AnalysisResult).where(AnalysisResult.id.in_(newest)).options(*_RESULT_LOADS).order_by(AnalysisResult.analyzer))
            return [result_dict(r) for r in rows]

        return self._read(read)

    # -- requests ---------------------------------------------------------------

    def create_request(
        self,
        repositories: Sequence[Mapping[str, Any]],
        *,
        analyzers: Sequence[str] | None = None,
        ref: str | None = None,
        options: Mapping[str, Any] | None = None,
        priority: int = PRIORITY_INTERACTIVE,
        source: str = "cli",
        session_id: int | None = None,
        idempotency_key: str | None = None,
        request_hash: str | None = None,
        status: str = "queued",
        max_attempts: int = 3,
        analysis_key: Mapping[str, Any] | None = None,
    ) -> tuple[dict[str, Any], bool]:
        """Record what was asked; returns ``(request, created)``.

        With an ``idempotency_key`` already used, the first request is
        returned and ``created`` is False. ``analysis_key`` holds the columns of
        an :class:`AnalysisKey` row (a string id) stored with the request in
        the same unit of work (:class:`IntegrityError` when the key is taken).
        """
        if status not in REQUEST_STATUSES:
            raise StoreError(f"unknown status '{status}'")
        if idempotency_key:
            existing = self.find_request_by_idempotency_key(idempotency_key)
            if existing is not None:
                return existing, False
        now = utcnow()
        try:
            with self.session() as session:
                req = AnalysisRequest(
                    repositories=[dict(r) for r in repositories],
                    analyzers=list(analyzers) if analyzers else None,
                    ref=ref,
                    options=dict(options or {}),
                    priority=priority,
                    source=source,
                    session_id=session_id,
                    idempotency_key=idempotency_key,
                    request_hash=request_hash,
                    status=status,
                    max_attempts=max_attempts,
                    started_at=now if status == "running" else None,
                )
                session.add(req)
                session.flush()
                request_id = req.id
                if analysis_key is not None:
                    session.add(AnalysisKey(request_id=request_id, **analysis_key))
                    session.flush()
        except IntegrityError:
            if idempotency_key:  # a concurrent submission with the same key won the race
                existing = self.find_request_by_idempotency_key(idempotency_key)
                if existing is not None:
                    return existing, False
            raise
        created = self.get_analysis(request_id)
        assert created is not None
        return created, True

    def find_request_by_idempotency_key(self, key: str) -> dict[str, Any] | None:
        """The request submitted with this Idempotency-Key, or None."""
        return self._read(lambda s: _one_request(s, AnalysisRequest.idempotency_key == key))

    def find_request_by_hash(self, hash_value: str, statuses: Iterable[str] = ("succeeded",)) -> dict[str, Any] | None:
        """The newest request with this :func:`request_hash` in one of ``statuses``, or None."""
        wanted = list(statuses)

        def read(session: Session) -> dict[str, Any] | None:
            req = session.scalars(
                select(AnalysisRequest)
                .where(AnalysisRequest.request_hash == hash_value, AnalysisRequest.status.in_(wanted))
                .options(*_REQUEST_LOADS)
                .order_by(AnalysisRequest.id.desc())
                .limit(1)
            ).first()
            return request_dict(req) if req else None

        return self._read(read)

    def get_analysis(self, request_id: int) -> dict[str, Any] | None:
        """One analysis with its per-repository status, or None. Finished ones are cached."""
        key = f"analysis:{request_id}"
        cached = self.cache.get_many([key]).get(key)
        if cached is not None:
            return cached
        found = self._read(lambda s: _one_request(s, AnalysisRequest.id == request_id))
        if found is not None and found["status"] in FINISHED_STATUSES:
            self.cache.put_many({key: found})
        return found

    def list_analyses(
        self,
        *,
        limit: int = 50,
        cursor: str | None = None,
        status: str | None = None,
        repository: int | str | None = None,
        session_id: int | None = None,
    ) -> Page:
        """Analyses, newest first; filter by status, repository (id or URL) and session."""
        query = select(AnalysisRequest).options(*_REQUEST_LOADS)
        if status:
            if status not in REQUEST_STATUSES:
                raise StoreError(f"unknown status '{status}' (one of {', '.join(REQUEST_STATUSES)})")
            query = query.where(AnalysisRequest.status == status)
        if session_id is not None:
            query = query.where(AnalysisRequest.session_id == session_id)
        if repository is not None:
            repo_match = Repository.id == repository if isinstance(repository, int) else Repository.url == repository
            query = query.where(
                AnalysisRequest.id.in_(
                    select(RepositoryAnalysis.request_id).join(Repository).where(repo_match)
                )
            )
        return self._read(lambda s: paginate(s, query, AnalysisRequest.id, limit=limit, cursor=cursor, serialize=request_dict))

    def update_request(
        self,
        request_id: int,
        *,
        status: str | None = None,
        progress: float | None = None,
        progress_message: str | None = None,
        error: str | None = None,
        expect_status: Iterable[str] | None = None,
    ) -> bool:
        """Change status or progress; with ``expect_status`` only from those statuses (a guarded transition).

        Returns False when the request is missing or not in an expected status.
        Reaching a finished status sets ``finished_at``; ``running`` sets ``started_at``.
        """
        values: dict[str, Any] = {"updated_at": utcnow()}
        if status is not None:
            if status not in REQUEST_STATUSES:
                raise StoreError(f"unknown status '{status}'")
            values["status"] = status
            if status in FINISHED_STATUSES:
                values["finished_at"] = utcnow()
                values["lease_owner"] = None
                values["lease_expires_at"] = None
                values["progress_message"] = None  # what it was doing last is stale once it ended
            elif status == "running":
                values["started_at"] = utcnow()
        if progress is not None:
            values["progress"] = max(0.0, min(1.0, float(progress)))
        if progress_message is not None:
            values["progress_message"] = progress_message[:500]
        if error is not None:
            values["error"] = error
        statement = update(AnalysisRequest).where(AnalysisRequest.id == request_id)
        if expect_status is not None:
            statement = statement.where(AnalysisRequest.status.in_(list(expect_status)))
        with self.session() as session:
            changed = session.execute(statement.values(**values)).rowcount
        return bool(changed)

    def request_cancel(self, request_id: int) -> bool:
        """Ask a queued or running request to stop; a queued one is cancelled at once.

        Returns False when the request is missing or already finished.
        """
        with self.session() as session:
            req = session.get(AnalysisRequest, request_id, with_for_update=True)
            if req is None or req.status in FINISHED_STATUSES:
                return False
            req.cancel_requested = True
            if req.status == "queued":
                req.status = "cancelled"
                req.finished_at = utcnow()
            return True

    def is_cancel_requested(self, request_id: int) -> bool:
        """True when cancellation was asked for this request."""
        return bool(self._read(lambda s: s.scalar(select(AnalysisRequest.cancel_requested).where(AnalysisRequest.id == request_id))))

    def delete_analysis(self, request_id: int) -> bool:
        """Delete an analysis and everything found in it; False when it did not exist."""
        with self.session() as session:
            req = session.get(AnalysisRequest, request_id)
            if req is None:
                return False
            owners = select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == request_id)
            document_ids = list(session.scalars(select(RagDocument.document_id).where(RagDocument.repository_analysis_id.in_(owners))))
            session.delete(req)
            session.flush()
            # Documents and their index rows went by cascade; vectors no other analysis uses go too.
            forget_orphans(session, document_ids)
        self.cache.delete_many([f"analysis:{request_id}", f"results:{request_id}"])
        return True

    def creation_times(self, request_ids: Iterable[int]) -> dict[int, str | None]:
        """``created_at`` of each of ``request_ids`` that still exists (missing ids are left out)."""
        ids = sorted(set(request_ids))

        def read(session: Session) -> dict[int, str | None]:
            found: dict[int, str | None] = {}
            for chunk in chunks(ids):
                query = select(AnalysisRequest.id, AnalysisRequest.created_at).where(AnalysisRequest.id.in_(chunk))
                found.update((row_id, iso(created)) for row_id, created in session.execute(query))
            return found

        return self._read(read) if ids else {}

    def forget_vanished(self) -> set[int]:
        """Evict this process's cached reads of analyses another process deleted; their ids.

        A cached analysis whose id now names a different analysis (a restored
        backup, or a database migrated before revision 0005) counts as deleted too.
        """
        entries = self.cache.first.items()
        cached: dict[int, str | None] = {}
        for key, value in entries:
            kind, _, number = key.partition(":")
            if kind in ("analysis", "results") and number.isdigit():
                created = value.get("created_at") if kind == "analysis" and isinstance(value, dict) else None
                cached[int(number)] = created or cached.get(int(number))
        current = self.creation_times(cached)
        vanished = {i for i, created in cached.items() if i not in current or (created is not None and created != current[i])}
        self.cache.first.delete_many([f"{kind}:{i}" for i in vanished for kind in ("analysis", "results")])
        return vanished

    # -- repository analyses and results -------------------------------------------

    def start_repository_analysis(self, request_id: int, prepared: PinnedRepository) -> int:
        """Record one repository pinned to its commit within a request; returns its id.

        Calling it again for the same request and repository (a redelivered
        job) returns the existing row.
        """
        with self.session() as session:
            repo = self.upsert_repository(session, prepared.source.url, prepared.source.name, prepared.default_branch)
            session.flush()
            ra = session.scalar(
                select(RepositoryAnalysis).where(
                    RepositoryAnalysis.request_id == request_id, RepositoryAnalysis.repository_id == repo.id
                )
            )
            if ra is None:
                ra = RepositoryAnalysis(request_id=request_id, repository_id=repo.id)
                session.add(ra)
            ra.ref = prepared.ref
            ra.commit_sha = prepared.commit
            ra.commit_date = parse_commit_date(prepared.commit_date)
            ra.commit_author = prepared.author[:500]
            ra.commit_message = prepared.message
            if ra.status not in FINISHED_STATUSES:
                ra.status = "running"
                ra.started_at = utcnow()
            session.flush()
            return ra.id

    def stored_results(self, repository_analysis_id: int) -> dict[str, Any]:
        """The results already stored for a repository analysis (empty for a first delivery), by analyzer.

        A succeeded result maps to its payload, any other to None.
        """
        query = select(AnalysisResult.analyzer, AnalysisResult.status, AnalysisResult.data).where(
            AnalysisResult.repository_analysis_id == repository_analysis_id)
        return self._read(lambda s: {name: data if status == "succeeded" else None for name, status, data in s.execute(query)})

    def save_repository_outcome(self, repository_analysis_id: int, record: OutcomeRecord) -> int:
        """Write a repository analysis' outcome as given, in one unit of work; how many results were written.

        Results already stored for this repository analysis (a redelivered
        job) are left as they are, and so are its measures. When the outcome
        is shown (succeeded or partial), the measures and the chart
        aggregates are written with the results, so an analysis has them
        exactly when it has its results; the aggregates are derived data: a
        failure writing them is logged and the results are stored regardless.
        """
        written = 0
        with self.session() as session:
            ra = session.get(RepositoryAnalysis, repository_analysis_id)
            if ra is None:
                raise NotFound(f"repository analysis {repository_analysis_id} does not exist")
            existing = set(session.scalars(select(AnalysisResult.analyzer).where(AnalysisResult.repository_analysis_id == ra.id)))
            line_count = 0
            for result in record.results:
                if result.analyzer in existing:
                    continue
                line_count += _write_result(session, ra.id, result)
                written += 1
            if record.shown:
                if record.chart_aggregates is not None:
                    _write_chart_aggregates(session, ra.id, record.chart_aggregates)
                # Same unit of work as the results: an analysis has its measures exactly when it has its results.
                write_measure_values(session, ra, record.measures)
            ra.status = record.status
            ra.file_count = record.file_count
            ra.line_count = line_count or ra.line_count
            ra.duration = record.duration
            ra.finished_at = utcnow()
            repo = session.get(Repository, ra.repository_id)
            assert repo is not None
            repo.last_commit_sha = ra.commit_sha
            repo.last_analyzed_at = utcnow()
        return written

    def get_results(self, request_id: int, analyzer: str | None = None) -> list[dict[str, Any]]:
        """Results of an analysis (every repository), optionally one analyzer's. Cached once finished."""
        key = f"results:{request_id}"
        results = self.cache.get_many([key]).get(key)
        if results is None:
            def read(session: Session) -> tuple[str | None, list[dict[str, Any]]]:
                state = session.scalar(select(AnalysisRequest.status).where(AnalysisRequest.id == request_id))
                rows = session.scalars(
                    select(AnalysisResult)
                    .join(RepositoryAnalysis, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
                    .where(RepositoryAnalysis.request_id == request_id)
                    .options(*_RESULT_LOADS)
                    .order_by(AnalysisResult.id)
                )
                return state, [result_dict(r) for r in rows]

            state, results = self._read(read)
            if state is None:
                raise NotFound(f"analysis {request_id} does not exist")
            if state in FINISHED_STATUSES:
                self.cache.put_many({key: results})
        return [r for r in results if analyzer is None or r["analyzer"] == analyzer]

    def results_for_commit(self, url: str, commit: str, analyzer: str | None = None) -> list[dict[str, Any]]:
        """Succeeded results for one repository at one commit, newest first."""

        def read(session: Session) -> list[dict[str, Any]]:
            query = (
                select(AnalysisResult)
                .join(RepositoryAnalysis, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
                .join(Repository, RepositoryAnalysis.repository_id == Repository.id)
                .where(Repository.url == url, RepositoryAnalysis.commit_sha == commit, AnalysisResult.status == "succeeded")
                .options(*_RESULT_LOADS)
                .order_by(AnalysisResult.id.desc())
            )
            if analyzer:
                query = query.where(AnalysisResult.analyzer == analyzer)
            return [result_dict(r) for r in session.scalars(query)]

        return self._read(read)

    def list_rows(
        self,
        table: str,
        *,
        repository_analysis_id: int | None = None,
        request_id: int | None = None,
        filters: Mapping[str, Any] | None = None,
        limit: int = 100,
        cursor: str | None = None,
    ) -> Page:
        """Rows of a normalized table (code_files, ast_nodes, tech_dependencies) with exact-match filters."""
        model = NORMALIZED_MODELS.get(table)
        if model is None:
            raise StoreError(f"unknown table '{table}' (one of {', '.join(NORMALIZED_MODELS)})")
        query = select(model)
        if repository_analysis_id is not None:
            query = query.where(model.repository_analysis_id == repository_analysis_id)  # type: ignore[attr-defined]
        if request_id is not None:
            query = query.where(
                model.repository_analysis_id.in_(  # type: ignore[attr-defined]
                    select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == request_id)
                )
            )
        for key, value in (filters or {}).items():
            if key not in NORMALIZED_TABLES[table]:
                raise StoreError(f"cannot filter {table} by '{key}'")
            query = query.where(model.__table__.c[key] == value)
        return self._read(lambda s: paginate(s, query, model.id, limit=limit, cursor=cursor, serialize=detail_row_dict))  # type: ignore[attr-defined]

    # -- correlations (RAG documents live in coe_framework.outputs.rag.storage) -----------

    def save_correlations(self, request_id: int, pairs: Sequence[Mapping[str, Any]]) -> int:
        """Store repository pairs of one request (by repository URL); existing pairs are replaced.

        Each pair: ``{"a": url, "b": url, "shared_dependencies": [...],
        "shared_contributors": [...], "scores": {...}, "similarity": float}``.
        """
        with self.session() as session:
            ids = dict(session.execute(select(Repository.url, Repository.id).where(
                Repository.url.in_({p["a"] for p in pairs} | {p["b"] for p in pairs})
            )).all())
            session.execute(delete(CorrelationAnalysis).where(CorrelationAnalysis.request_id == request_id))
            for pair in pairs:
                if pair["a"] not in ids or pair["b"] not in ids:
                    raise NotFound(f"repository {pair['a'] if pair['a'] not in ids else pair['b']} is not stored")
                a, b = sorted((ids[pair["a"]], ids[pair["b"]]))
                session.add(CorrelationAnalysis(
                    request_id=request_id, repository_a_id=a, repository_b_id=b,
                    shared_dependencies=list(pair.get("shared_dependencies") or []),
                    shared_contributors=list(pair.get("shared_contributors") or []),
                    scores=dict(pair.get("scores") or {}),
                    similarity=pair.get("similarity"),
                ))
        return len(pairs)

    # -- the runner's caches -------------------------------------------------------

    def runner_caches(self) -> dict[str, Any]:
        """``result_cache``, ``blob_cache`` and ``state_store`` backed by this database, as Runner keyword arguments."""
        return {
            "result_cache": DatabaseResultCache(self.engine, self.cache),
            "blob_cache": DatabaseBlobCache(self.engine, self.cache),
            "state_store": DatabaseStateStore(self.engine),
        }

    def cache_stats(self) -> dict[str, Any]:
        """Hit and miss counters of the read cache, for metrics."""
        return self.cache.stats()


_REQUEST_LOADS = (selectinload(AnalysisRequest.repository_analyses).selectinload(RepositoryAnalysis.repository),)
_RESULT_LOADS = (selectinload(AnalysisResult.repository_analysis).selectinload(RepositoryAnalysis.repository),)


def _one_request(session: Session, condition: Any) -> dict[str, Any] | None:
    req = session.scalars(select(AnalysisRequest).where(condition).options(*_REQUEST_LOADS)).first()
    return request_dict(req) if req else None


def _write_result(session: Session, repository_analysis_id: int, result: ResultRecord) -> int:
    """Insert one result and its normalized rows; the lines its ``code_files`` rows count."""
    row = AnalysisResult(
        repository_analysis_id=repository_analysis_id,
        analyzer=result.analyzer,
        analyzer_version=result.version,
        options_hash=result.options_hash,
        status=result.status,
        data=result.data,
        error=result.error,
        duration=result.duration,
        cache_key=result.cache_key,
        cached=result.cached,
        stats=dict(result.stats) if result.stats is not None else None,
    )
    session.add(row)
    session.flush()
    lines = 0
    for table, values in result.rows.items():
        model = NORMALIZED_MODELS[table]
        if values:
            session.execute(
                model.__table__.insert(),
                [{**v, "repository_analysis_id": repository_analysis_id, "analysis_result_id": row.id} for v in values],
            )
        if table == "code_files":
            lines += sum(v["lines"] or 0 for v in values)
    return lines


def _write_chart_aggregates(session: Session, repository_analysis_id: int, aggregates: Mapping[str, Any]) -> None:
    """The dashboard's chart aggregates of a repository analysis, written with its results.

    A write that fails never loses the results (a savepoint): the dashboard
    computes the aggregates again on the analysis' first view.
    """
    try:
        with session.begin_nested():
            chart_aggregates.write_with_measures(session, repository_analysis_id, aggregates)
    except Exception as exc:  # noqa: BLE001 - derived data: the results are stored regardless
        log.warning("chart aggregates of repository analysis %s not stored: %s: %s", repository_analysis_id,
                    type(exc).__name__, first_line(exc)[:200])
