"""Turning a POSTed analysis into a queued request, safely.

Repository sources are hostile input: the body becomes a
:class:`~coe_framework.analysis.submission.Submission` (sources parsed with the
server's :class:`~coe_framework.repository.sources.SourcePolicy`, analyzers planned and
their options validated) before anything is queued, so a bad submission is a
422 naming the field rather than a failed job later. The request row stores
it (:meth:`Submission.to_json`) and the job restores it without parsing again.

When every repository's commit is known without touching the network (a
local directory the server may read, or a full commit SHA as the ref), the
submission gets its :func:`~coe_framework.db.store.request_hash`, and an
earlier succeeded analysis with the same hash is returned instead of
running again.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any

from coe_framework.analysis.submission import RequestedRepository, Submission, SubmissionError
from coe_framework.repository.gitutil import GitError
from coe_framework.plugin.manager import PluginManager
from coe_framework.repository.sources import SourceError, SourcePolicy, prepare
from coe_framework.db.store import request_hash

from .problems import Problem
from .schemas import AnalysisCreate

FULL_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|^-|^/|/$|\.lock$")


@dataclass(frozen=True)
class Admission:
    """A validated submission with what the API adds: its priority and, when knowable, its hash."""

    submission: Submission
    priority: int
    request_hash: str | None

    @property
    def repositories(self) -> list[dict[str, Any]]:
        """The request row's ``repositories``."""
        return [repo.to_json() for repo in self.submission.repositories]

    @property
    def analyzers(self) -> list[str] | None:
        """The analyzers asked for (None: all)."""
        return list(self.submission.analyzers) if self.submission.analyzers else None

    @property
    def options(self) -> dict[str, dict[str, Any]]:
        """The options as given."""
        return {name: dict(values) for name, values in self.submission.options.items()}


def _field_error(field: str, message: str) -> Problem:
    return Problem(422, f"invalid fields: {field}", errors=[{"location": "json", "field": field, "message": message}])


def _ref_problem(ref: str) -> str | None:
    return f"invalid ref '{ref[:100]}'" if _BAD_REF.search(ref) else None


def validate_submission(body: AnalysisCreate, manager: PluginManager, policy: SourcePolicy | None = None) -> Admission:
    """Check analyzers, options and sources; 422 with the field and reason on the first problem."""
    from coe_framework.db.models import PRIORITY_BULK, PRIORITY_INTERACTIVE

    targets = [
        {"url": repo.url} if repo.url is not None else {"path": repo.path}
        for repo in body.repositories
    ]
    for target, repo in zip(targets, body.repositories):
        target.update(name=repo.name, ref=repo.ref)
    try:
        submission = Submission.create(
            manager, targets, analyzers=body.analyzers or None, options=body.options,
            policy=policy or SourcePolicy.for_server(), ref_problem=_ref_problem,
        )
    except SubmissionError as exc:
        raise _field_error(exc.field, exc.message) from None
    analyzers = tuple(sorted(set(body.analyzers))) if body.analyzers else None
    submission = dataclasses.replace(submission, analyzers=analyzers)
    pinned: list[tuple[str, str]] = []
    for index, (target, repo) in enumerate(zip(targets, submission.repositories)):
        try:
            commit = _known_commit(repo)
        except (SourceError, GitError) as exc:
            raise _field_error(f"repositories.{index}.{'url' if 'url' in target else 'path'}", str(exc)) from None
        if commit is not None:
            pinned.append((repo.source.url, commit))
    # Only options actually given count for identity, as the runner sees them.
    options = dict(submission.options)
    digest = request_hash(pinned, list(analyzers) if analyzers else None, options) if len(pinned) == len(submission.repositories) else None
    priority = PRIORITY_BULK if body.priority == "bulk" else PRIORITY_INTERACTIVE
    return Admission(submission, priority, digest)


def _known_commit(repo: RequestedRepository) -> str | None:
    """The commit a repository is at, when knowable without the network."""
    if repo.source.kind == "local":
        return prepare(repo.source, repo.ref, fetch=False).commit
    if repo.ref is not None and FULL_SHA.match(repo.ref):
        return repo.ref
    return None


def same_submission(existing: dict[str, Any], admission: Admission) -> bool:
    """True when a stored request asked for exactly what ``admission`` asks (Idempotency-Key reuse)."""
    return (
        [dict(r) for r in existing.get("repositories") or []] == admission.repositories
        and (existing.get("analyzers") or None) == admission.analyzers
        and (existing.get("options") or {}) == admission.options
    )
