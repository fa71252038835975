"""Options of the git analyzer."""
from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Author names or emails that mark automation accounts (case-insensitive regexes).
DEFAULT_BOT_PATTERNS: tuple[str, ...] = (
    r"\[bot\]",
    r"^dependabot",
    r"^renovate",
    r"^github-actions",
    r"noreply@github\.com$",
    r"^greenkeeper",
    r"^snyk-bot",
    r"^pre-commit-ci",
)

#: A revision name: branch, tag, SHA or simple suffixes (``~2``, ``^``); never an option.
REF_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/@{}^~+-]{0,254}$")

#: Fields that change the mined facts; the rest only shape the report.
MINING_FIELDS = ("first_parent", "since", "until", "exclude_bots", "bot_patterns", "rename_limit", "coupling_max_changeset")


class GitOptions(BaseModel):
    """What to mine and how much to report."""

    model_config = ConfigDict(extra="forbid")

    ref: str | None = Field(
        None, description="Revision to mine up to; default: the commit being analysed."
    )
    first_parent: bool = Field(
        False, description="Follow only first parents; a merge then carries its branch's changes."
    )
    since: datetime | None = Field(None, description="Count only commits authored at or after this time (reporting window).")
    until: datetime | None = Field(None, description="Count only commits authored before this time (reporting window).")
    exclude_bots: bool = Field(False, description="Leave out commits whose author matches bot_patterns.")
    bot_patterns: list[str] = Field(
        default_factory=lambda: list(DEFAULT_BOT_PATTERNS),
        max_length=100,
        description="Case-insensitive regexes matched against author name and email.",
    )
    rename_limit: int = Field(1000, ge=0, le=100_000, description="git's -l: rename detection gives up above this many candidates.")
    coupling_min_revisions: int = Field(5, ge=1, description="Both files of a pair need at least this many revisions.")
    coupling_min_shared: int = Field(5, ge=1, description="Commits that changed both files.")
    coupling_min_degree: float = Field(30.0, ge=0, le=100, description="Shared commits as a percentage of the pair's mean revisions.")
    coupling_max_changeset: int = Field(30, ge=2, le=1000, description="Commits touching more files are left out of coupling.")
    top_authors: int = Field(100, ge=1, le=100_000, description="Authors listed.")
    top_hotspots: int = Field(25, ge=1, le=10_000, description="Hotspots listed.")
    top_coupling: int = Field(50, ge=1, le=10_000, description="Coupled pairs listed.")
    top_file_authors: int = Field(3, ge=1, le=1000, description="Contributors listed per file.")

    @field_validator("ref")
    @classmethod
    def _safe_ref(cls, value: str | None) -> str | None:
        if value is not None and (not REF_PATTERN.match(value) or ".." in value):
            raise ValueError("must be a branch, tag or commit name (letters, digits and ._/@{}^~+-, not starting with '-')")
        return value

    @field_validator("since", "until")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    @field_validator("bot_patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            if len(pattern) > 200:
                raise ValueError("a bot pattern may be at most 200 characters")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"bad regex {pattern!r}: {exc}") from None
        return patterns

    @model_validator(mode="after")
    def _window(self) -> "GitOptions":
        if self.since and self.until and self.since >= self.until:
            raise ValueError("since must be earlier than until")
        return self

    def mining_hash(self) -> str:
        """A stable hash of the options that change the mined facts.

        Saved with the incremental state: when it differs, history is mined
        again from scratch. Report-only options (thresholds, top-N sizes) can
        change without a rebuild.
        """
        picked = self.model_dump(mode="json", include=set(MINING_FIELDS))
        canonical = json.dumps(picked, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]
