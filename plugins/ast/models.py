"""Options and result schemas of the ``ast`` analyzer."""
from __future__ import annotations

from typing import Any, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .languages import LANGUAGES

#: Definitions nested deeper than this are left out (the file reports it).
DEFAULT_MAX_DEPTH = 64
#: A file's serialized result beyond this many bytes keeps its figures only.
DEFAULT_MAX_RESULT_SIZE = 4 * 1024 * 1024


class AstOptions(BaseModel):
    """What the ``ast`` analyzer looks at and how hard it may try."""

    model_config = ConfigDict(extra="forbid")

    languages: Optional[list[str]] = Field(
        None, description="Languages to analyze (default: every supported language)."
    )
    exclude: list[str] = Field(
        default_factory=list,
        description="Glob patterns of paths to skip (fnmatch, matched against the repository-relative path).",
    )
    max_file_size: int = Field(1024 * 1024, ge=1, le=64 * 1024 * 1024, description="Files larger than this many bytes are reported as capped.")
    file_timeout: float = Field(10.0, gt=0, le=600, description="Seconds one file may take before it is reported as capped.")
    top_n: int = Field(20, ge=1, le=1000, description="How many functions and files the summary's rankings hold.")
    max_depth: int = Field(
        DEFAULT_MAX_DEPTH, ge=1, le=1000,
        description="Definitions nested deeper than this are left out; the file gets a warning and `depth_capped`.",
    )
    max_result_size: int = Field(
        DEFAULT_MAX_RESULT_SIZE, ge=1024, le=256 * 1024 * 1024,
        description="A file whose result would be larger (bytes of JSON) keeps its figures but not its symbols and imports.",
    )

    @field_validator("languages")
    @classmethod
    def _known_languages(cls, value: Optional[list[str]]) -> Optional[list[str]]:
        if value is None:
            return None
        unknown = sorted(set(value) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language '{unknown[0]}' (supported: {', '.join(LANGUAGES)})")
        return sorted(set(value))


class Symbol(BaseModel):
    """A function, method, class or other type definition."""

    model_config = ConfigDict(extra="allow")

    kind: str
    name: str
    qualified_name: str
    line_start: int
    line_end: int
    #: Index in the same file's ``symbols`` of the enclosing definition.
    parent: Optional[int] = None
    complexity: int


class FileResult(BaseModel):
    """One file's metrics; ``error`` (and ``capped``) when it could not be analyzed."""

    model_config = ConfigDict(extra="allow")

    language: Optional[str] = None
    loc: Optional[int] = None
    sloc: Optional[int] = None
    complexity: Optional[int] = None
    max_complexity: Optional[int] = None
    maintainability: Optional[float] = None
    functions: Optional[int] = None
    symbols: list[Symbol] = Field(default_factory=list)
    imports: list[dict[str, Any]] = Field(default_factory=list)
    error: Optional[str] = None
    capped: Optional[bool] = None


class AstResult(BaseModel):
    """Per-file metrics and the repository summary."""

    model_config = ConfigDict(extra="allow")

    files: dict[str, FileResult]
    totals: dict[str, Any]
    languages: dict[str, dict[str, Any]]
    top_functions: list[dict[str, Any]]
    least_maintainable: list[dict[str, Any]]
    complexity_percentiles: dict[str, Any]
    rank_distribution: dict[str, int]
    errors: list[dict[str, Any]]
