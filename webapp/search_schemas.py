"""Request and response bodies of ``POST /api/v1/rag-documents/search``."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coe_framework.search.service import DEFAULT_K, MAX_K, MAX_QUERY_CHARS


class SearchFiltersIn(BaseModel):
    """Narrow a search; unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")

    analysis: int | None = Field(None, ge=1, description="Only this analysis's documents")
    repository: int | str | None = Field(None, description="Repository id, URL or name")
    commit: str | None = Field(None, min_length=4, max_length=64, description="Commit SHA or a prefix of at least 4 hex digits")
    type: str | list[str] | None = Field(None, description="Document kind(s): code, docs, overview, git_summary, techspec, ...")
    language: str | None = Field(None, min_length=1, max_length=64)
    path_prefix: str | None = Field(None, min_length=1, max_length=4096, description="Files whose path starts with this")


class SearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS, description="Words, identifiers or paths")
    k: int = Field(DEFAULT_K, ge=1, le=MAX_K, description="Hits per page")
    filters: SearchFiltersIn | None = None
    cursor: str | None = Field(None, max_length=200, description="The previous page's next_cursor")
    explain: bool = Field(False, description="Add how the hits were found")


class SearchHitOut(BaseModel):
    id: str = Field(description="The document's stable id")
    score: float = Field(description="BM25 (or the database's rank) alone; the fused score with vectors")
    text: str
    metadata: dict[str, Any]
    highlights: list[dict[str, Any]] = Field(description="Fragments around matched terms: fragment, offset, matches [[start, end]]")


class SearchPageOut(BaseModel):
    items: list[SearchHitOut]
    next_cursor: str | None = None
    explain: dict[str, Any] | None = None
