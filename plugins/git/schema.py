"""The git analyzer's result schema (documented in the plugin README)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AuthorReport(_Model):
    """An author as mapped by .mailmap, with the raw identities merged into it."""

    id: str
    name: str
    email: str
    commits: int
    merges: int
    lines_added: int
    lines_removed: int
    files_touched: int
    first_commit_at: str
    last_commit_at: str
    identities: list[str]


class FileContributor(_Model):
    author: str
    commits: int
    lines_added: int
    lines_removed: int


class FileReport(_Model):
    """History of one file present at the analysed commit, renames folded in."""

    revisions: int
    lines_added: int
    lines_removed: int
    churn: int
    binary_changes: int
    author_count: int
    main_author: str
    ownership: float
    created_by: str | None
    first_changed_at: str
    last_changed_at: str
    age_days: int
    contributors: list[FileContributor]


class TruckFactorReport(_Model):
    value: int
    authors: list[str]
    files_considered: int
    method: Literal["degree-of-authorship"]


class CouplingPair(_Model):
    file_a: str
    file_b: str
    shared_commits: int
    revisions_a: int
    revisions_b: int
    degree: float


class Hotspot(_Model):
    path: str
    score: float
    revisions: int
    churn: int
    complexity: int | None
    loc: int | None


class CodeAge(_Model):
    reference_at: str
    median_days: int | None
    buckets: dict[str, int]


class Period(_Model):
    period: str
    commits: int
    merges: int
    lines_added: int
    lines_removed: int
    authors: int


class Timeline(_Model):
    weeks: list[Period]
    months: list[Period]


class Mining(_Model):
    """How this result was produced."""

    mode: Literal["full", "incremental", "unchanged"]
    head: str
    base: str | None
    commits_mined: int
    first_parent: bool
    mailmap: str | None


class GitResult(_Model):
    """Everything the git analyzer reports."""

    commits: int
    merges: int
    commits_filtered: int
    lines_added: int
    lines_removed: int
    author_count: int
    first_commit_at: str | None
    last_commit_at: str | None
    authors: list[AuthorReport]
    #: Every author as (lower-cased e-mail after the mailmap, name, commits), by e-mail.
    contributors: list[tuple[str, str, int]]
    files: dict[str, FileReport]
    deleted_files: int
    truck_factor: TruckFactorReport
    coupling: list[CouplingPair]
    hotspots: list[Hotspot]
    hotspot_basis: Literal["revisions*churn", "revisions*complexity"]
    code_age: CodeAge
    timeline: Timeline
    mining: Mining
