"""Every table of the CoE schema, as SQLAlchemy 2 typed declarative models.

One :data:`Base.metadata` is shared by the CLI, the job workers and the web
app (Flask-SQLAlchemy binds the same metadata with
``SQLAlchemy(metadata=Base.metadata)``). The Alembic revisions under
``migrate/versions`` create exactly this schema; a test compares them.

Conventions:

* JSON columns are ``JSON`` everywhere and ``JSONB`` on PostgreSQL.
* Timestamps are timezone-aware UTC (:func:`utcnow`).
* Every lookup the API, the CLI and the workers make has an index; constraint
  names follow :data:`NAMING_CONVENTION` so migrations can refer to them.
* Unique keys make repeated writes of the same fact harmless: a redelivered
  job writes its results once.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    Table,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from . import mysql as _mysql_ddl  # noqa: F401  (registers the MariaDB/MySQL DDL compilers)

#: Stable constraint and index names, identical on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: JSON on every database, JSONB (indexable, compact) on PostgreSQL.
JSONType = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: 64-bit keys for the tables that grow without bound (SQLite's rowid is 64-bit already).
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: Status values of analysis requests and repository analyses.
REQUEST_STATUSES = ("queued", "running", "succeeded", "partial", "failed", "cancelled")
#: Statuses after which a request never changes again.
FINISHED_STATUSES = frozenset({"succeeded", "partial", "failed", "cancelled"})
#: Priorities: higher runs first; interactive requests go ahead of bulk re-analysis.
PRIORITY_INTERACTIVE = 100
PRIORITY_BULK = 0


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp stored as UTC on every database.

    SQLite and MariaDB/MySQL keep no zone: values are converted to UTC before
    storage and read back as aware UTC, so every database returns the same instants.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        value = value.astimezone(timezone.utc)
        return value if dialect.name == "postgresql" else value.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


def _ts(**kwargs: Any) -> Any:
    return mapped_column(UTCDateTime(), **kwargs)


class Base(DeclarativeBase):
    """The declarative base; ``Base.metadata`` holds every CoE table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSONType, list[Any]: JSONType, datetime: UTCDateTime()}

    if TYPE_CHECKING:
        # Every model maps one Table (none maps a join or a select), so its
        # ``__table__`` supports insert()/update() and is typed as such.
        __table__: ClassVar[Table]


_mysql_ddl.use_model_metadata(Base.metadata)


class Repository(Base):
    """One distinct repository source; the credential-free URL is its identity."""

    __tablename__ = "repositories"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    name: Mapped[str] = mapped_column(String(255), index=True)
    default_branch: Mapped[str | None] = mapped_column(String(255))
    last_commit_sha: Mapped[str | None] = mapped_column(String(64))
    last_analyzed_at: Mapped[datetime | None] = _ts()
    created_at: Mapped[datetime] = _ts(default=utcnow)
    updated_at: Mapped[datetime] = _ts(default=utcnow, onupdate=utcnow)

    analyses: Mapped[list["RepositoryAnalysis"]] = relationship(back_populates="repository", passive_deletes=True)


class UserSession(Base):
    """An API client: only a SHA-256 hash of its bearer token is stored."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The token's first characters, shown in listings so a user can tell tokens apart.
    token_prefix: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = _ts(default=utcnow)
    last_activity_at: Mapped[datetime | None] = _ts()
    expires_at: Mapped[datetime | None] = _ts()
    revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None] = _ts()
    user_agent: Mapped[str | None] = mapped_column(String(512))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    #: The session that issued this one (None for the first admin token).
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"), index=True)


class AnalysisRequest(Base):
    """What was asked, its status and progress, plus the job lease.

    A request is also a job row: workers claim it by setting the lease
    columns, heartbeat while they run, and a reaper returns expired leases to
    the queue until ``max_attempts`` is reached.
    """

    __tablename__ = "analysis_requests"
    __table_args__ = (
        # The claim query: queued jobs, highest priority first, oldest first.
        Index("ix_analysis_requests_claim", "status", "priority", "id"),
        Index("ix_analysis_requests_status_lease", "status", "lease_expires_at"),
        # SQLite: a deleted analysis' id is never given to a new one (clients hold ids).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: ``[{"url": ..., "ref": ..., "name": ...}, ...]`` as submitted (credentials removed).
    repositories: Mapped[list[Any]] = mapped_column(default=list)
    ref: Mapped[str | None] = mapped_column(String(255))
    #: Analyzer names asked for; None means every installed analyzer.
    analyzers: Mapped[list[Any] | None] = mapped_column(JSONType)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    progress: Mapped[float] = mapped_column(default=0.0)
    progress_message: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    #: Where the request came from: cli, api, import.
    source: Mapped[str] = mapped_column(String(16), default="cli")
    session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = _ts(default=utcnow, index=True)
    started_at: Mapped[datetime | None] = _ts()
    finished_at: Mapped[datetime | None] = _ts()
    updated_at: Mapped[datetime] = _ts(default=utcnow, onupdate=utcnow)
    # -- job lease ---------------------------------------------------------
    priority: Mapped[int] = mapped_column(default=PRIORITY_INTERACTIVE)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None] = _ts()
    heartbeat_at: Mapped[datetime | None] = _ts()
    #: When the job's message was last sent to the broker (Celery); None: never sent.
    published_at: Mapped[datetime | None] = _ts()
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    #: The client's Idempotency-Key; a repeated submission returns the first request.
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    #: Hash of (repositories at commits, analyzers, options): equal hashes are the same analysis.
    request_hash: Mapped[str | None] = mapped_column(String(64), index=True)

    session: Mapped[UserSession | None] = relationship()
    repository_analyses: Mapped[list["RepositoryAnalysis"]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True, order_by="RepositoryAnalysis.id"
    )


class RepositoryAnalysis(Base):
    """One repository within one request, pinned to one commit."""

    __tablename__ = "repository_analyses"
    __table_args__ = (
        UniqueConstraint("request_id", "repository_id"),
        Index("ix_repository_analyses_repository_commit", "repository_id", "commit_sha"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="CASCADE"))
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    ref: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    commit_date: Mapped[datetime | None] = _ts()
    commit_author: Mapped[str | None] = mapped_column(String(500))
    commit_message: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    file_count: Mapped[int | None] = mapped_column()
    line_count: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime | None] = _ts()
    finished_at: Mapped[datetime | None] = _ts()
    duration: Mapped[float | None] = mapped_column()

    request: Mapped[AnalysisRequest] = relationship(back_populates="repository_analyses")
    repository: Mapped[Repository] = relationship(back_populates="analyses")
    results: Mapped[list["AnalysisResult"]] = relationship(
        back_populates="repository_analysis", cascade="all, delete-orphan", passive_deletes=True, order_by="AnalysisResult.id"
    )


class AnalysisResult(Base):
    """One analyzer's output for one repository analysis.

    ``cache_key`` is the runner's result cache key (repository, commit,
    analyzer, version, options): a succeeded row serves later runs.
    """

    __tablename__ = "analysis_results"
    __table_args__ = (
        UniqueConstraint("repository_analysis_id", "analyzer"),
        Index("ix_analysis_results_cache_key_status", "cache_key", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE")
    )
    analyzer: Mapped[str] = mapped_column(String(64), index=True)
    analyzer_version: Mapped[str] = mapped_column(String(64))
    options_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    duration: Mapped[float] = mapped_column(default=0.0)
    cache_key: Mapped[str] = mapped_column(String(64))
    #: True when this row was served from the cache rather than computed.
    cached: Mapped[bool] = mapped_column(default=False)
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = _ts(default=utcnow)

    repository_analysis: Mapped[RepositoryAnalysis] = relationship(back_populates="results")


class _DetailRow:
    """The two foreign keys every normalized detail row carries."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE")
    )
    analysis_result_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("analysis_results.id", ondelete="CASCADE"), index=True
    )


class CodeFile(_DetailRow, Base):
    """A file seen by a code analyzer: language, size, lines, complexity summary."""

    __tablename__ = "code_files"
    __table_args__ = (
        Index("ix_code_files_repository_analysis_path", "repository_analysis_id", "path"),
    )

    path: Mapped[str] = mapped_column(String(4096))
    language: Mapped[str | None] = mapped_column(String(64), index=True)
    size: Mapped[int | None] = mapped_column(BigInteger)
    lines: Mapped[int | None] = mapped_column()
    sloc: Mapped[int | None] = mapped_column()
    blob_sha: Mapped[str | None] = mapped_column(String(64), index=True)
    complexity: Mapped[float | None] = mapped_column()
    max_complexity: Mapped[float | None] = mapped_column()
    maintainability: Mapped[float | None] = mapped_column()
    functions: Mapped[int | None] = mapped_column()
    error: Mapped[str | None] = mapped_column(Text)


class AstNode(_DetailRow, Base):
    """A symbol: kind, name, qualified name, line range, parent, complexity."""

    __tablename__ = "ast_nodes"
    __table_args__ = (
        Index("ix_ast_nodes_repository_analysis_path", "repository_analysis_id", "path"),
        Index("ix_ast_nodes_kind_name", "kind", "name"),
    )

    path: Mapped[str] = mapped_column(String(4096))
    kind: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    qualified_name: Mapped[str | None] = mapped_column(String(2048), index=True)
    line_start: Mapped[int | None] = mapped_column()
    line_end: Mapped[int | None] = mapped_column()
    parent: Mapped[str | None] = mapped_column(String(2048))
    complexity: Mapped[float | None] = mapped_column()
    cognitive_complexity: Mapped[float | None] = mapped_column()


class TechDependency(_DetailRow, Base):
    """A declared dependency from a manifest, with versions, scope and license."""

    __tablename__ = "tech_dependencies"
    __table_args__ = (
        Index("ix_tech_dependencies_ecosystem_name", "ecosystem", "name"),
        Index("ix_tech_dependencies_repository_analysis_id", "repository_analysis_id"),
    )

    ecosystem: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(512))
    constraint: Mapped[str | None] = mapped_column(String(512))
    version: Mapped[str | None] = mapped_column(String(128))
    scope: Mapped[str | None] = mapped_column(String(32))
    manifest: Mapped[str | None] = mapped_column(String(4096))
    license: Mapped[str | None] = mapped_column(String(512))
    direct: Mapped[bool | None] = mapped_column()
    #: Known vulnerabilities of the locked version (coe_framework.vulns); None while no
    #: advisories of its ecosystem are loaded.
    vulnerability_count: Mapped[int | None] = mapped_column()
    #: A digest of the stored hits (dependency_vulnerabilities) as last matched; a re-match
    #: that finds the same digest writes nothing. None until first matched.
    vulnerability_digest: Mapped[str | None] = mapped_column(String(16))


class CorrelationAnalysis(Base):
    """Two repositories of one request compared: what they share and how similar they are."""

    __tablename__ = "correlation_analyses"
    __table_args__ = (UniqueConstraint("request_id", "repository_a_id", "repository_b_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="CASCADE"))
    repository_a_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"), index=True)
    repository_b_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"), index=True)
    shared_dependencies: Mapped[list[Any]] = mapped_column(default=list)
    shared_contributors: Mapped[list[Any]] = mapped_column(default=list)
    #: Named similarity scores in [0, 1], e.g. {"languages": 0.8, "dependencies": 0.3}.
    scores: Mapped[dict[str, Any]] = mapped_column(default=dict)
    similarity: Mapped[float | None] = mapped_column()
    created_at: Mapped[datetime] = _ts(default=utcnow)


class RagDocument(Base):
    """A document made from results, for retrieval pipelines (LangChain, LlamaIndex)."""

    __tablename__ = "rag_analysis_results"
    # Ids are stable, so the same commit analysed again repeats them: unique per repository analysis.
    __table_args__ = (UniqueConstraint("repository_analysis_id", "document_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    #: Stable across re-runs: the same fact at the same commit keeps its id.
    document_id: Mapped[str] = mapped_column(String(255), index=True)
    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    # ``metadata`` is reserved on declarative classes, hence the attribute name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    created_at: Mapped[datetime] = _ts(default=utcnow)


#: Flow names double as file names (``<name>.json``) in the flows directory.
FLOW_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$"


class LangFlow(Base):
    """A LangFlow flow definition; deleting is soft and frees the name for reuse."""

    __tablename__ = "langflows"
    __table_args__ = (
        # Names are unique among live flows only.
        Index(
            "uq_langflows_live_name", "name", unique=True,
            sqlite_where=text("deleted_at IS NULL"), postgresql_where=text("deleted_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_active: Mapped[bool] = mapped_column(default=True)
    #: LangFlow's flag: a reusable component rather than a whole flow.
    is_component: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    #: The routing context given to the original API's upsert form of ``POST /flows``.
    context: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = _ts(default=utcnow)
    updated_at: Mapped[datetime] = _ts(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = _ts(index=True)


class AnalysisKey(Base):
    """A client-chosen string id of an analysis (the original API's ``analysis_id``, often a UUID).

    Analyses without one are addressed by their numeric id written as a string.
    """

    __tablename__ = "analysis_keys"

    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    #: The original API's ``include_correlation``: whether its results show the correlation.
    include_correlation: Mapped[bool] = mapped_column(default=True)


class ApiLog(Base):
    """One API call: who, what, how it ended and how long it took."""

    __tablename__ = "api_logs"
    __table_args__ = (
        Index("ix_api_logs_route_status", "route", "status_code"),
        # The log listing filtered by status, newest first.
        Index("ix_api_logs_status_code_id", "status_code", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[str] = mapped_column(String(64), index=True)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("user_sessions.id", ondelete="SET NULL"), index=True)
    method: Mapped[str] = mapped_column(String(10))
    route: Mapped[str] = mapped_column(String(255))
    path: Mapped[str | None] = mapped_column(String(2048))
    status_code: Mapped[int] = mapped_column()
    duration_ms: Mapped[float] = mapped_column()
    client_ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(512))
    error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = _ts(default=utcnow, index=True)


class BlobCacheEntry(Base):
    """Per-file analyzer output keyed by (analyzer, version, options, path, blob SHA)."""

    __tablename__ = "blob_cache"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = _ts(default=utcnow)


class AnalyzerState(Base):
    """State an incremental analyzer keeps between runs, per (analyzer, repository, ref)."""

    __tablename__ = "analyzer_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[datetime] = _ts(default=utcnow, onupdate=utcnow)


class SchemaHistory(Base):
    """The migration ledger (Flyway style).

    ``kind`` is ``migrate``, ``baseline``, ``downgrade`` or ``repair``.
    ``applied_key`` equals ``version`` while that revision counts as applied
    and is NULL otherwise (audit rows, reverted revisions); its unique
    constraint keeps each applied revision in the ledger exactly once, even
    with two migrators racing.
    """

    __tablename__ = "schema_history"

    installed_rank: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), index=True)
    applied_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(16))
    script: Mapped[str | None] = mapped_column(String(500))
    checksum: Mapped[str | None] = mapped_column(String(128))
    checksum_algorithm: Mapped[str] = mapped_column(String(32), default="sha256")
    installed_by: Mapped[str] = mapped_column(String(200))
    installed_on: Mapped[datetime] = _ts(default=utcnow)
    execution_time_ms: Mapped[int] = mapped_column(default=0)
    success: Mapped[bool] = mapped_column()


# --- known vulnerabilities (coe_framework.vulns) -------------------------------------


class Vulnerability(Base):
    """One OSV advisory as imported; ``modified`` decides whether a re-import changes it."""

    __tablename__ = "vulnerabilities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    osv_id: Mapped[str] = mapped_column(String(128), unique=True)
    modified: Mapped[datetime] = _ts()
    published: Mapped[datetime | None] = _ts()
    #: Set for a withdrawn advisory: kept so a re-import knows it, never matched.
    withdrawn: Mapped[datetime | None] = _ts()
    summary: Mapped[str | None] = mapped_column(String(1000))
    #: Other ids of the same advisory (CVE, GHSA, ...).
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    #: critical, high, medium, low or none; None when the advisory states none.
    severity: Mapped[str | None] = mapped_column(String(16), index=True)
    cvss_score: Mapped[float | None] = mapped_column()
    cvss_vector: Mapped[str | None] = mapped_column(String(255))
    #: The file (and archive member) it was read from.
    source: Mapped[str | None] = mapped_column(String(1024))
    imported_at: Mapped[datetime] = _ts(default=utcnow)


class VulnerablePackage(Base):
    """One package an advisory affects: its ranges and explicit versions, as OSV states them."""

    __tablename__ = "vulnerable_packages"
    __table_args__ = (Index("ix_vulnerable_packages_ecosystem_package", "ecosystem", "package"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vulnerability_id: Mapped[int] = mapped_column(BigId, ForeignKey("vulnerabilities.id", ondelete="CASCADE"), index=True)
    #: CoE's ecosystem name (pypi, npm, maven, golang, cargo, gem, composer, nuget).
    ecosystem: Mapped[str] = mapped_column(String(64))
    #: The package's normalized key within its ecosystem (the one dependencies are matched by).
    package: Mapped[str] = mapped_column(String(512))
    #: ``[{"type": "ECOSYSTEM" | "SEMVER", "events": [{"introduced": ...}, ...]}, ...]``
    ranges: Mapped[list[Any]] = mapped_column(default=list)
    versions: Mapped[list[Any]] = mapped_column(default=list)


class AdvisoryIndex(Base):
    """One package's advisories as a sorted version grid (see ``coe_framework.vulns.version_index``):
    derived from its ``vulnerable_packages`` rows, which ``fingerprint`` summarizes; an index
    whose fingerprint no longer matches them is rebuilt, never used."""

    __tablename__ = "advisory_indexes"
    __table_args__ = (UniqueConstraint("ecosystem", "package"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ecosystem: Mapped[str] = mapped_column(String(64))
    package: Mapped[str] = mapped_column(String(512))
    fingerprint: Mapped[str] = mapped_column(String(64))
    document: Mapped[dict[str, Any]] = mapped_column(JSONType)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DependencyVulnerability(Base):
    """An advisory matched to one dependency row: ``confirmed`` for a locked version that is
    affected, otherwise a constraint that may resolve to an affected version."""

    __tablename__ = "dependency_vulnerabilities"
    __table_args__ = (
        UniqueConstraint("tech_dependency_id", "vulnerability_id"),
        Index("ix_dependency_vulnerabilities_ecosystem_package", "ecosystem", "package"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tech_dependency_id: Mapped[int] = mapped_column(BigId, ForeignKey("tech_dependencies.id", ondelete="CASCADE"))
    vulnerability_id: Mapped[int] = mapped_column(BigId, ForeignKey("vulnerabilities.id", ondelete="CASCADE"), index=True)
    #: The dependency's repository analysis, ecosystem and package key, copied for the portfolio queries.
    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"), index=True
    )
    ecosystem: Mapped[str] = mapped_column(String(64))
    package: Mapped[str] = mapped_column(String(512))
    confirmed: Mapped[bool] = mapped_column()
    #: The first version that fixes it for this dependency, when the advisory names one.
    fixed_version: Mapped[str | None] = mapped_column(String(128))

    dependency: Mapped[TechDependency] = relationship(lazy="raise")
    vulnerability: Mapped[Vulnerability] = relationship(lazy="raise")
    repository_analysis: Mapped[RepositoryAnalysis] = relationship(lazy="raise")


# --- search (coe_framework/search) ----------------------------------------------------


class SearchIndexEntry(Base):
    """One RAG document prepared for lexical search: code-aware terms by field.

    ``names`` (path, symbol, headings) and ``body`` hold the document's text
    after code-aware tokenization (``retryPolicy`` also as ``retry policy``),
    so every database's full-text engine indexes the same terms. The engine
    objects over this table are created by migration 0007, one per dialect
    (SQLite FTS5 table and triggers, a PostgreSQL ``tsvector`` column and GIN
    index, MariaDB FULLTEXT indexes); they are not in this metadata, see
    :data:`coe_framework.search.lexical.DIALECT_OBJECTS`. The filter columns are
    copies of the document's, so a filtered query never reads JSON.
    """

    __tablename__ = "search_index"
    __table_args__ = (Index("ix_search_index_repository_analysis_kind", "repository_analysis_id", "kind"),)

    document_pk: Mapped[int] = mapped_column(
        BigId, ForeignKey("rag_analysis_results.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    repository_analysis_id: Mapped[int] = mapped_column(BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    language: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str | None] = mapped_column(String(4096))
    names: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)


class VectorEmbedding(Base):
    """One document's embedding by one model, stored once per stable document id.

    Document ids are stable for a commit, so a vector serves every analysis of
    that commit and is computed once. ``vector`` is little-endian float32.
    Rows whose document id no longer exists in ``rag_analysis_results`` are
    deleted with the analysis that held it last.
    """

    __tablename__ = "vector_embeddings"
    __table_args__ = (UniqueConstraint("document_id", "model"), Index("ix_vector_embeddings_model_id", "model", "id"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    document_id: Mapped[str] = mapped_column(String(255))
    model: Mapped[str] = mapped_column(String(255))
    dimension: Mapped[int] = mapped_column()
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = _ts(default=utcnow)


# --- dashboard (coe_framework/db/chart_aggregates.py) -----------------------------------


class ChartAggregate(Base):
    """One chart's data of one repository analysis: the small table the dashboard draws.

    Computed from the analysis' results once (when they are stored, or on the
    first view of an analysis stored before this table existed), so a page
    reads this row and never a whole result document. ``version`` is the
    aggregation's version: a row of another version is computed again.
    Deleted with its repository analysis.
    """

    __tablename__ = "chart_aggregates"

    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chart: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column()
    data: Mapped[Any] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = _ts(default=utcnow)


# --- measures and quality gates (coe_framework/measures, coe_framework/gate) -------------


class MeasureValue(Base):
    """One measure of one repository at one commit, from one analysis.

    Filled from the declared measures (``coe_register_measures``) when the
    results are stored, in the same unit of work; deleted with the analysis.
    Repository, commit and commit date are copies, so a trend reads this
    table alone.
    """

    __tablename__ = "measures"
    __table_args__ = (
        UniqueConstraint("repository_analysis_id", "key"),
        # A trend: one repository's measure in commit order.
        Index("ix_measures_repository_key_commit_date", "repository_id", "key", "commit_date"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    repository_id: Mapped[int] = mapped_column(ForeignKey("repositories.id", ondelete="CASCADE"))
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="CASCADE"), index=True)
    repository_analysis_id: Mapped[int] = mapped_column(BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"))
    commit_sha: Mapped[str] = mapped_column(String(64))
    #: The commit's date (the analysis' start when git gave none), the order of a trend.
    commit_date: Mapped[datetime] = _ts()
    analyzer: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column()


class GateResult(Base):
    """One quality gate evaluated on one repository analysis: the verdict and every condition."""

    __tablename__ = "gate_results"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="CASCADE"), index=True)
    repository_analysis_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="CASCADE"), index=True
    )
    #: The analysis compared against, when there was one (kept None when it is deleted).
    baseline_repository_analysis_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("repository_analyses.id", ondelete="SET NULL"), index=True
    )
    baseline_commit: Mapped[str | None] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column()
    #: ``[{"condition", "measure", "delta", "op", "threshold", "actual", "baseline", "status", "source"}, ...]``
    conditions: Mapped[list[Any]] = mapped_column(default=list)
    #: Where the conditions came from: a file name, or "command line".
    source: Mapped[str] = mapped_column(String(1024))
    created_at: Mapped[datetime] = _ts(default=utcnow)


#: The tables filled from :meth:`Analyzer.table_rows`, by name (their keys: :data:`.normalized_tables.NORMALIZED_TABLES`).
NORMALIZED_MODELS: dict[str, type[Base]] = {
    "code_files": CodeFile,
    "ast_nodes": AstNode,
    "tech_dependencies": TechDependency,
}


# --- watched repositories and webhooks (coe_framework/watch) --------------------------


class WatchedRepository(Base):
    """A repository kept analyzed: checked when due, analyzed when its ref moves.

    ``url`` is the credential-free source as the repository policy admitted it
    (``origin`` says which policy: ``cli`` may name local paths, ``api`` gets the
    server's). ``match_key`` is the URL reduced to host and path, lowercased,
    without ``.git``: what a webhook's payload is matched on. The webhook
    secret is kept twice, for the two ways hosts prove it: Fernet-encrypted
    (``COE_WEBHOOK_SECRET_KEY``) for the HMAC schemes, SHA-256 for GitLab's
    token, which only needs comparing. The check columns record the last pass:
    a failure raises ``failure_count`` and pushes ``next_due_at`` out by
    ``backoff_seconds`` (doubling, capped).
    """

    __tablename__ = "watched_repositories"
    __table_args__ = (
        UniqueConstraint("url", "ref"),
        # The scheduler's query: enabled watches by due time.
        Index("ix_watched_repositories_due", "enabled", "next_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    name: Mapped[str] = mapped_column(String(255))
    ref: Mapped[str] = mapped_column(String(255), default="HEAD")
    match_key: Mapped[str] = mapped_column(String(512), index=True)
    interval_seconds: Mapped[int] = mapped_column(default=3600)
    #: Analyzer names to run; None means every installed analyzer.
    analyzers: Mapped[list[Any] | None] = mapped_column(JSONType)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Which source policy admitted the URL: cli (local paths allowed) or api (the server's).
    origin: Mapped[str] = mapped_column(String(16), default="cli")
    enabled: Mapped[bool] = mapped_column(default=True)
    secret_encrypted: Mapped[str | None] = mapped_column(Text)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    next_due_at: Mapped[datetime] = _ts(default=utcnow)
    last_checked_at: Mapped[datetime | None] = _ts()
    #: The branch the remote's HEAD pointed at on the last check (for ``ref = HEAD``).
    resolved_ref: Mapped[str | None] = mapped_column(String(255))
    last_commit: Mapped[str | None] = mapped_column(String(64))
    last_request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="SET NULL"), index=True)
    #: unchanged | queued | busy | rewritten | failed | disabled
    last_outcome: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    failure_count: Mapped[int] = mapped_column(default=0)
    backoff_seconds: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = _ts(default=utcnow)
    updated_at: Mapped[datetime] = _ts(default=utcnow, onupdate=utcnow)


class LeaderLease(Base):
    """A named role one process holds at a time (the watch scheduler), until ``expires_at``.

    Taken and renewed by one guarded ``UPDATE`` (owner is me, or the lease
    expired), first created by an ``INSERT`` that the primary key lets only
    one process win: safe on every database without locks held across calls.
    """

    __tablename__ = "leader_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = _ts(default=utcnow)
    expires_at: Mapped[datetime] = _ts()


class WebhookDelivery(Base):
    """One accepted webhook delivery; the unique (provider, delivery id) refuses a replay."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (UniqueConstraint("provider", "delivery_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(200))
    watch_id: Mapped[int | None] = mapped_column(ForeignKey("watched_repositories.id", ondelete="SET NULL"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    #: queued | ignored | deferred | duplicate-commit
    outcome: Mapped[str] = mapped_column(String(32))
    request_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("analysis_requests.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = _ts(default=utcnow, index=True)
