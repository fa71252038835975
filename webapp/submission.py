"""Turning a POSTed analysis into a queued request, safely.

Repository sources are hostile input: each is validated with the server's
:class:`~coe_framework.repos.SourcePolicy` before anything is queued, and
analyzers and options are checked against the installed plugins, so a bad
submission is a 422 naming the field rather than a failed job later.

When every repository's commit is known without touching the network (a
local directory the server may read, or a full commit SHA as the ref), the
submission gets its :func:`~coe_framework.db.store.request_hash`, and an
earlier succeeded analysis with the same hash is returned instead of
running again.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from coe_framework.analyzer import choice_problem
from coe_framework.gitutil import GitError
from coe_framework.plugins import PluginManager
from coe_framework.repos import SourceError, SourcePolicy, parse_source, prepare
from coe_framework.db.store import request_hash

from .problems import Problem
from .schemas import AnalysisCreate

FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|^-|^/|/$|\.lock$")


@dataclass(frozen=True)
class Submission:
    """A validated analysis request, ready for the store."""

    repositories: list[dict[str, Any]]
    analyzers: list[str] | None
    options: dict[str, dict[str, Any]]
    priority: int
    request_hash: str | None


def _field_error(field: str, message: str) -> Problem:
    return Problem(422, f"invalid fields: {field}", errors=[{"location": "json", "field": field, "message": message}])


def validate_submission(body: AnalysisCreate, manager: PluginManager, policy: SourcePolicy | None = None) -> Submission:
    """Check analyzers, options and sources; 422 with the field and reason on the first problem."""
    from coe_framework.db.models import PRIORITY_BULK, PRIORITY_INTERACTIVE

    installed = manager.analyzers
    analyzers = sorted(set(body.analyzers)) if body.analyzers else None
    problem = choice_problem(installed, body.analyzers, body.options)
    if problem is not None:
        raise _field_error(*problem)
    policy = policy or SourcePolicy.for_server()
    repositories: list[dict[str, Any]] = []
    pinned: list[tuple[str, str]] = []
    for index, repo in enumerate(body.repositories):
        key = "url" if repo.url is not None else "path"
        target = repo.url if repo.url is not None else repo.path
        if repo.ref is not None and _BAD_REF.search(repo.ref):
            raise _field_error(f"repositories.{index}.ref", f"invalid ref '{repo.ref[:100]}'")
        try:
            source = parse_source(target or "", policy, name=repo.name)
            commit = _known_commit(source, repo.ref)
        except (SourceError, GitError) as exc:
            raise _field_error(f"repositories.{index}.{key}", str(exc)) from None
        repositories.append({"url": source.url, "name": source.name, "ref": repo.ref})
        if commit is not None:
            pinned.append((source.url, commit))
    # Only options actually given count for identity, as the runner sees them.
    digest = request_hash(pinned, analyzers, body.options) if len(pinned) == len(repositories) else None
    priority = PRIORITY_BULK if body.priority == "bulk" else PRIORITY_INTERACTIVE
    return Submission(repositories, analyzers, dict(body.options), priority, digest)


def _known_commit(source: Any, ref: str | None) -> str | None:
    """The commit a source is at, when knowable without the network."""
    if source.kind == "local":
        return prepare(source, ref, fetch=False).commit
    if ref is not None and FULL_SHA.match(ref):
        return ref
    return None


def same_submission(existing: dict[str, Any], submission: Submission) -> bool:
    """True when a stored request asked for exactly what ``submission`` asks (Idempotency-Key reuse)."""
    return (
        [dict(r) for r in existing.get("repositories") or []] == submission.repositories
        and (existing.get("analyzers") or None) == submission.analyzers
        and (existing.get("options") or {}) == submission.options
    )
