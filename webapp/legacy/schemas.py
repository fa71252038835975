"""The original services' request and response bodies (the result document is in :mod:`coe_framework.legacy.models`).

Inputs ignore unknown fields, as the original services did; lengths are
CoE's own limits, so a value the store could not hold is a 422 here.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coe_framework.legacy.ids import KEY_PATTERN
from coe_framework.legacy.models import LegacyAnalysisResult, LegacyStatus

from ..schemas import FLOW_NAME_PATTERN

class _In(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- flows ---------------------------------------------------------------------------


class FlowNode(_In):
    id: str
    type: str
    position: dict[str, Any]
    data: dict[str, Any]


class FlowEdge(_In):
    id: str
    source: str
    target: str
    sourceHandle: str | None = None  # noqa: N815 - LangFlow's spelling
    targetHandle: str | None = None  # noqa: N815


class FlowGraph(_In):
    nodes: list[FlowNode]
    edges: list[FlowEdge]
    viewport: dict[str, Any] | None = None


class FlowData(_In):
    """A LangFlow flow as LangFlow exports it."""

    name: str = Field(max_length=255)
    id: str
    description: str | None = Field(None, max_length=10_000)
    data: FlowGraph
    is_component: bool = False


class FlowSave(_In):
    name: str = Field(pattern=FLOW_NAME_PATTERN, description="Unique among live flows; also the mirror file name")
    flow_data: FlowData
    description: str | None = Field(None, max_length=10_000)


class FlowSaved(BaseModel):
    message: str
    id: int
    filename: str
    created_at: str | None = None


class FlowSummary(BaseModel):
    name: str
    id: int
    description: str | None = None
    filename: str
    created_at: str | None = None
    updated_at: str | None = None


class FlowList(BaseModel):
    flows: list[FlowSummary]


class FlowDocument(BaseModel):
    """The stored LangFlow JSON with the row's fields added."""

    model_config = ConfigDict(extra="allow")

    name: str
    id: int
    description: str | None = None
    data: dict[str, Any]
    is_component: bool
    saved_name: str
    created_at: str | None = None
    updated_at: str | None = None
    is_active: bool


class FlowUpsert(_In):
    endpoint: str = Field(pattern=FLOW_NAME_PATTERN, description="The flow's name")
    description: str | None = Field(None, max_length=10_000)
    flow_body: FlowData
    flow_id: str | None = Field(None, min_length=1, max_length=64, description="Updates the flow with this id when it exists")
    context: str | None = Field(None, max_length=255)


class FlowRead(BaseModel):
    id: int
    endpoint: str
    description: str | None = None
    flow_body: dict[str, Any]
    flow_id: str
    context: str | None = None
    is_active: bool
    created_at: str | None = None
    updated_at: str | None = None


class FlowDeleted(FlowRead):
    message: str


# --- analysis ------------------------------------------------------------------------


class AnalyzeRepository(_In):
    url: str = Field(min_length=1, max_length=2048, description="An https URL, or a directory the server allows")
    branch: str = Field("main", min_length=1, max_length=255)
    name: str | None = Field(None, min_length=1, max_length=255)


class AnalyzeRequest(_In):
    repositories: list[AnalyzeRepository] = Field(min_length=1, max_length=20)
    analysis_id: str | None = Field(None, pattern=KEY_PATTERN, description="A string id of your choice (not all digits); default: a UUID")
    include_ast: bool = True
    include_tech_spec: bool = True
    include_correlation: bool = True
    group_name: str | None = Field(None, max_length=255)

    @field_validator("analysis_id")
    @classmethod
    def _not_a_number(cls, value: str | None) -> str | None:
        if value is not None and value.isdigit():
            raise ValueError("an analysis_id of digits only would name CoE's numeric ids; add a letter")
        return value


class AnalyzeStarted(BaseModel):
    analysis_id: str
    status: Literal["started"]
    message: str


class ResultsQuery(_In):
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0, le=2**31)


class ResultSummary(BaseModel):
    analysis_id: str
    status: LegacyStatus
    created_at: str | None = None
    completed_at: str | None = None
    repository_count: int
    source: Literal["database"]


# --- search ----------------------------------------------------------------------------


class LegacySearchRequest(_In):
    """``query``, ``k`` and ``filter_metadata``, from the query string or a JSON body."""

    query: str = Field(min_length=1, max_length=1000)
    k: int = Field(default=5, ge=1, le=100)
    #: Metadata equality filters; the keys CoE can filter on are listed in ``SEARCH_FILTER_KEYS``.
    filter_metadata: dict[str, Any] | None = None


class LegacySearchHit(BaseModel):
    content: str
    metadata: dict[str, Any]
    score: float


class RagStats(BaseModel):
    total_documents: int
    persist_directory: str | None = None


__all__ = ["LegacyAnalysisResult"]
