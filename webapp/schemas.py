"""Request and response bodies as Pydantic models; the OpenAPI document is generated from them."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator

from coe_framework.db.models import FLOW_NAME_PATTERN

Status = Literal["queued", "running", "succeeded", "partial", "failed", "cancelled"]
Scope = Literal["read", "write", "admin"]


class _In(BaseModel):
    """Inputs reject unknown fields, so a typo is an error rather than ignored."""

    model_config = ConfigDict(extra="forbid")


# --- common --------------------------------------------------------------------


class PageQuery(BaseModel):
    limit: int = Field(50, ge=1, le=200, description="Items per page")
    cursor: str | None = Field(None, max_length=200, description="From the previous page's Link header")


class Message(BaseModel):
    status: str


class HealthOut(Message):
    timestamp: str
    service: str


# --- analyses ------------------------------------------------------------------


class RepositoryIn(_In):
    url: str | None = Field(None, min_length=1, max_length=2048, description="An https URL (ssh when enabled)")
    path: str | None = Field(None, min_length=1, max_length=4096, description="A directory the server allows")
    ref: str | None = Field(None, min_length=1, max_length=255, description="Branch, tag or commit (default: HEAD)")
    name: str | None = Field(None, min_length=1, max_length=255)

    @model_validator(mode="after")
    def _one_source(self) -> "RepositoryIn":
        if (self.url is None) == (self.path is None):
            raise ValueError("give exactly one of url or path")
        return self


class AnalysisCreate(_In):
    repositories: list[RepositoryIn] = Field(min_length=1, max_length=20)
    analyzers: list[str] | None = Field(None, min_length=1, max_length=50, description="Default: every installed analyzer")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Options per analyzer name")
    priority: Literal["interactive", "bulk"] = "interactive"


class RepositoryRef(BaseModel):
    id: int
    url: str
    name: str


class RepositoryAnalysisOut(BaseModel):
    id: int
    request_id: int
    repository: RepositoryRef
    ref: str | None = None
    commit: str | None = None
    commit_date: str | None = None
    commit_author: str | None = None
    commit_message: str | None = None
    status: str
    file_count: int | None = None
    line_count: int | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration: float | None = None


class SubmittedRepository(BaseModel):
    url: str
    name: str
    ref: str | None = None


class AnalysisOut(BaseModel):
    id: int
    status: Status
    progress: float
    progress_message: str | None = None
    error: str | None = None
    repositories: list[SubmittedRepository]
    analyzers: list[str] | None = None
    options: dict[str, Any]
    priority: int
    cancel_requested: bool
    created_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    repository_analyses: list[RepositoryAnalysisOut]


class EventRepository(BaseModel):
    name: str
    status: Status
    commit: str | None = None


class AnalysisEvent(BaseModel):
    """The data of every event on ``/analyses/{id}/events`` (``progress``, ``done``, ``timeout``)."""

    id: int
    status: Status
    progress: float
    progress_message: str | None = None
    repositories: list[EventRepository]


#: The event names of that stream.
EVENT_NAMES = ("progress", "done", "timeout")


class AnalysisPage(BaseModel):
    items: list[AnalysisOut]
    next_cursor: str | None = None


class AnalysisListQuery(PageQuery):
    status: Status | None = None
    repository: str | None = Field(None, min_length=1, max_length=2048, description="Repository id or URL")


class ResultOut(BaseModel):
    id: int
    repository_analysis_id: int
    repository: RepositoryRef
    commit: str | None = None
    analyzer: str
    version: str
    status: str
    data: Any = None
    error: str | None = None
    duration: float
    cached: bool
    created_at: str | None = None


class ResultsOut(BaseModel):
    analysis_id: int
    status: Status
    results: list[ResultOut]


# --- repositories --------------------------------------------------------------


class RepositoryOut(BaseModel):
    id: int
    url: str
    name: str
    default_branch: str | None = None
    last_commit_sha: str | None = None
    last_analyzed_at: str | None = None
    created_at: str | None = None


class RepositoryPage(BaseModel):
    items: list[RepositoryOut]
    next_cursor: str | None = None


class RepositoryListQuery(PageQuery):
    name: str | None = Field(None, min_length=1, max_length=255)


class RepositoryAnalysisPage(BaseModel):
    items: list[RepositoryAnalysisOut]
    next_cursor: str | None = None


class LatestResultsOut(BaseModel):
    repository: RepositoryOut
    results: list[ResultOut]


# --- sessions ------------------------------------------------------------------


class SessionCreate(_In):
    label: str = Field(min_length=1, max_length=200)
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="Default: never expires")


class SessionOut(BaseModel):
    id: int
    label: str
    token_prefix: str
    scopes: list[str]
    created_at: str | None = None
    last_activity_at: str | None = None
    expires_at: str | None = None
    revoked: bool
    revoked_at: str | None = None
    created_by_id: int | None = None


class SessionCreated(SessionOut):
    token: str = Field(description="Shown once; only its hash is stored")


class SessionPage(BaseModel):
    items: list[SessionOut]
    next_cursor: str | None = None


# --- flows ---------------------------------------------------------------------


class FlowCreate(_In):
    name: str = Field(pattern=FLOW_NAME_PATTERN, description="Unique among live flows; also the mirror file name")
    description: str | None = Field(None, max_length=10_000)
    data: dict[str, Any] = Field(default_factory=dict, description="The LangFlow flow definition")
    is_active: StrictBool = True  # 0, 1 or "true" are not booleans


class FlowPatch(_In):
    name: str | None = Field(None, pattern=FLOW_NAME_PATTERN)
    description: str | None = Field(None, max_length=10_000)
    data: dict[str, Any] | None = None
    is_active: StrictBool | None = None


class FlowOut(BaseModel):
    id: str
    name: str
    description: str | None = None
    data: dict[str, Any]
    is_active: bool
    created_at: str | None = None
    updated_at: str | None = None


class FlowPage(BaseModel):
    items: list[FlowOut]
    next_cursor: str | None = None


class FlowListQuery(PageQuery):
    name: str | None = Field(None, min_length=1, max_length=128, description="Names containing this text")
    is_active: bool | None = None


# --- logs ----------------------------------------------------------------------


class ApiLogOut(BaseModel):
    id: int
    request_id: str
    session_id: int | None = None
    method: str
    route: str
    path: str | None = None
    status_code: int
    duration_ms: float
    client_ip: str | None = None
    user_agent: str | None = None
    error: str | None = None
    created_at: str | None = None


class ApiLogPage(BaseModel):
    items: list[ApiLogOut]
    next_cursor: str | None = None


class ApiLogQuery(PageQuery):
    method: str | None = Field(None, pattern=r"^[A-Z]{3,7}$")
    status_code: int | None = Field(None, ge=100, le=599)
    route: str | None = Field(None, min_length=1, max_length=255)
    session_id: int | None = Field(None, ge=1)
    since: str | None = Field(None, description="ISO 8601 time, inclusive", max_length=40)
    until: str | None = Field(None, description="ISO 8601 time, exclusive", max_length=40)


# --- plugins -------------------------------------------------------------------


class PluginOut(BaseModel):
    name: str
    module: str
    version: str | None = None
    distribution: str | None = None
    builtin: bool
    source: str
    hooks: list[str] = []
    analyzers: list[str]
    commands: list[str]
    routes: list[str]
    error: str | None = None


class AnalyzerOut(BaseModel):
    name: str
    version: str
    description: str | None = None
    kind: str
    requires: list[str]
    uses: list[str]
    plugin: str | None = None
    options_schema: dict[str, Any]
    result_schema: dict[str, Any]


class PluginsOut(BaseModel):
    plugins: list[PluginOut]
    analyzers: list[AnalyzerOut]
    load_errors: dict[str, str]


# --- health --------------------------------------------------------------------


class ReadyOut(BaseModel):
    status: Literal["ready", "unavailable"]
    database: str
    migrations: str


# --- exports -------------------------------------------------------------------


class RagDocumentOut(BaseModel):
    id: str
    kind: str
    text: str
    metadata: dict[str, Any]
    repository_analysis_id: int
    created_at: str | None = None


class RagDocumentPage(BaseModel):
    items: list[RagDocumentOut]
    next_cursor: str | None = None


class RagDocumentQuery(PageQuery):
    kind: str | None = Field(None, min_length=1, max_length=64)
    path: str | None = Field(None, min_length=1, max_length=4096, description="Documents about this file path")


class RepositoryName(BaseModel):
    id: int
    url: str | None = None
    name: str | None = None


class CorrelationOut(BaseModel):
    repository_a: RepositoryName
    repository_b: RepositoryName
    shared_dependencies: list[Any]
    shared_contributors: list[Any]
    scores: dict[str, Any]
    similarity: float | None = None
    created_at: str | None = None


class CorrelationsOut(BaseModel):
    analysis_id: int
    items: list[CorrelationOut]


class ThresholdQuery(BaseModel):
    threshold: float = Field(10.0, ge=0, le=10_000, description="Cyclomatic complexity above which a function is a finding")


class SbomQuery(BaseModel):
    repository: int | None = Field(None, ge=1, description="Repository id; needed when the analysis has several")
