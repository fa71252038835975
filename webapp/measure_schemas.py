"""Bodies of the measures and gate routes (``webapp/api/measures.py``)."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .schemas import PageQuery


class MeasureQuery(PageQuery):
    limit: int = Field(100, ge=1, le=1000, description="Points per page")
    key: str | None = Field(None, min_length=1, max_length=64, description="One measure key (default: every measure)")
    since: str | None = Field(None, min_length=4, max_length=40, description="Commits dated at or after this ISO 8601 date or time (UTC when no zone)")


class MeasurePointOut(BaseModel):
    id: int
    key: str
    value: float
    analyzer: str
    commit: str
    commit_date: str | None = None
    analysis_id: int
    repository_analysis_id: int


class MeasurePage(BaseModel):
    items: list[MeasurePointOut] = Field(description="Newest commit first")
    next_cursor: str | None = None


class MeasureDeclarationOut(BaseModel):
    key: str
    analyzer: str
    description: str
    better: str | None = None
    needs_baseline: bool


class MeasureCatalogueOut(BaseModel):
    items: list[MeasureDeclarationOut]


class GateConditionOut(BaseModel):
    condition: str
    measure: str
    delta: bool
    op: str
    threshold: float
    source: str
    status: str = Field(description="passed, failed, error (no value) or skipped (no baseline)")
    actual: float | None = None
    current: float | None = None
    baseline: float | None = None
    reason: str | None = None


class GateOut(BaseModel):
    id: int
    analysis_id: int
    repository_analysis_id: int
    commit: str | None = None
    passed: bool
    baseline: dict[str, Any] | None = None
    source: str
    conditions: list[GateConditionOut]
    created_at: str | None = None


class GateListOut(BaseModel):
    latest: GateOut = Field(description="The newest gate evaluated on the analysis")
    items: list[GateOut] = Field(description="Every gate evaluated on it, newest first")
