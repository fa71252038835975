"""Request and response bodies of ``/api/v1/watches`` and ``/api/v1/hooks/*``."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool


class WatchCreate(BaseModel):
    """A repository to keep analyzed; unknown fields are an error."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=1, max_length=2048, description="An https URL (ssh when enabled; a local path below COE_ALLOWED_DIRS)")
    ref: str = Field("HEAD", min_length=1, max_length=255, description="Branch or tag to follow (HEAD: the default branch)")
    interval: str = Field("1h", min_length=1, max_length=40, description="How often to check: 90s, 30m, 1h, 1d, 1h30m")
    analyzers: list[str] | None = Field(None, min_length=1, max_length=50, description="Default: every installed analyzer")
    options: dict[str, dict[str, Any]] = Field(default_factory=dict, description="Options per analyzer name")
    secret: str | None = Field(None, min_length=16, max_length=256, description="Webhook secret (write-only)")
    generate_secret: StrictBool = Field(False, description="Make a webhook secret and return it once")


class WatchOut(BaseModel):
    id: int
    url: str
    name: str
    ref: str
    interval_seconds: int
    interval: str
    analyzers: list[str] | None = None
    options: dict[str, Any]
    origin: str
    enabled: bool
    has_secret: bool
    next_due_at: str | None = None
    last_checked_at: str | None = None
    resolved_ref: str | None = None
    last_commit: str | None = None
    last_request_id: int | None = None
    last_outcome: str | None = None
    last_error: str | None = None
    failure_count: int
    backoff_seconds: int
    created_at: str | None = None


class WatchCreated(WatchOut):
    secret: str | None = Field(None, description="The generated webhook secret, in this response only")


class WatchPage(BaseModel):
    items: list[WatchOut]
    next_cursor: str | None = None


class HookOut(BaseModel):
    """What a delivery did: queued analyses, or why it was acknowledged and ignored."""

    status: Literal["queued", "ignored", "busy", "pong"]
    delivery: str
    watches: list[int]
    analyses: list[int]
    reason: str | None = None
