"""The original ``AnalysisResult`` document: what ``GET /api/v1/results/{id}`` answers and result files hold.

The same models check an original result file or database row before
``coe db import-legacy`` stores it, and describe the web answer in the
OpenAPI document. Unknown fields are ignored, as the original services did.
"""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LegacyStatus = Literal["pending", "running", "completed", "failed"]


class _Document(BaseModel):
    model_config = ConfigDict(extra="ignore")


class LegacyRepository(_Document):
    url: str
    branch: str | None = None
    name: str


class LegacyFile(_Document):
    path: str
    size: int | None = None
    language: str | None = None
    lines_of_code: int | None = None


class LegacyAstNode(_Document):
    type: str | None = None
    name: str | None = None
    line_start: int | None = None
    line_end: int | None = None
    children: list["LegacyAstNode"] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class LegacyTechSpec(_Document):
    language: str | None = None
    framework: str | None = None
    dependencies: list[str] = Field(default_factory=list)
    version: str | None = None
    package_manager: str | None = None


class LegacyCodeMetrics(_Document):
    cyclomatic_complexity: float | None = None
    maintainability_index: float | None = None
    lines_of_code: int | None = None
    comment_ratio: float | None = None


class LegacyCommit(_Document):
    commit_hash: str
    commit_date: str | None = None
    author: str | None = None
    message: str | None = None
    branch: str | None = None


class LegacyRepositoryAnalysis(_Document):
    repository: LegacyRepository
    clone_path: str | None = None
    files: list[LegacyFile] = Field(default_factory=list)
    ast_analysis: dict[str, list[LegacyAstNode]] = Field(default_factory=dict)
    tech_specs: list[LegacyTechSpec] = Field(default_factory=list)
    code_metrics: LegacyCodeMetrics = Field(default_factory=LegacyCodeMetrics)
    documentation_files: list[str] = Field(default_factory=list)
    config_files: list[str] = Field(default_factory=list)
    commit_info: LegacyCommit | None = None


class LegacyCorrelation(_Document):
    common_dependencies: list[str] = Field(default_factory=list)
    shared_technologies: list[str] = Field(default_factory=list)
    similar_patterns: list[Any] = Field(default_factory=list)
    architecture_similarity: dict[str, float | None] = Field(default_factory=dict)


class LegacyAnalysisResult(_Document):
    analysis_id: str
    status: LegacyStatus
    created_at: str | None = None
    completed_at: str | None = None
    repositories: list[LegacyRepositoryAnalysis] = Field(default_factory=list)
    correlation_analysis: LegacyCorrelation | None = None
    error_message: str | None = None
