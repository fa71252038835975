"""A validated analysis request: which repositories, which analyzers with which options, in what order.

A :class:`Submission` is made once where a request enters (the API, ``coe
analyze``) by :meth:`Submission.create`: every source is parsed with the
entry's :class:`~coe_framework.repository.sources.SourcePolicy`, every analyzer's options
are validated into its options model, and the plan (requirements added, in
dependency order) is built. A queued request is stored as the request row's
columns (:meth:`Submission.to_json`, the shape rows have always had), and the
job restores it with :meth:`Submission.from_json`: the stored canonical
sources are read back without parsing, and only checked against the job's
policy (:func:`~coe_framework.repository.sources.admit`) where they will be fetched.
Nothing after that re-parses, re-validates or re-plans: the runner runs the
submission's steps (:meth:`~coe_framework.analysis.runner.Runner.run_steps`).

Bad input raises :class:`SubmissionError`, a :class:`~coe_framework.errors.BadInput` naming the field
(``analyzers.1``, ``options.git``, ``repositories.0.url``) with the one-line
reason the CLI prints and the API returns as a 422.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence, Union

from ..errors import BadInput, first_line
from ..repository.gitutil import GitError
from ..plugin.contract import unknown_choice
from ..plugin.manager import PluginManager
from ..repository.sources import (
    PreparedRepository,
    RepositorySource,
    SourceError,
    SourcePolicy,
    admit,
    parse_source,
    prepare,
    stored_source,
)
from .runner import PlanError, Step, plan

__all__ = ["RequestedRepository", "Submission", "SubmissionError", "Target"]


class SubmissionError(BadInput, ValueError):
    """A submission's bad input: ``field`` names where, the message says why (one line).

    Bad input (never retried); a ``ValueError`` too, as callers caught before the error kinds existed.
    """

    field: str

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)
        self.message = message


@dataclass(frozen=True)
class RequestedRepository:
    """One repository of a submission: its validated source and the ref asked for."""

    source: RepositorySource
    #: The branch, tag or commit asked for; None: the repository's HEAD.
    ref: str | None = None
    #: Set when the repository was already fetched and pinned to a commit (history backfill).
    prepared: PreparedRepository | None = field(default=None, compare=False)

    def prepare(self) -> PreparedRepository:
        """Fetch (or open) the repository and pin the ref to a commit; one-line :class:`SourceError`."""
        if self.prepared is not None:
            return self.prepared
        try:
            return prepare(self.source, self.ref)
        except GitError as exc:
            raise SourceError(str(exc)) from None

    def to_json(self) -> dict[str, Any]:
        """The request row's entry: credential-free URL, name and ref."""
        ref = self.prepared.ref if self.prepared is not None else self.ref
        return {"url": self.source.url, "name": self.source.name, "ref": ref}


#: What an entry names: a path or URL, ``{"url" | "path": ..., "name": ..., "ref": ...}``,
#: a repository already prepared and pinned, or a :class:`RequestedRepository`.
Target = Union[str, Mapping[str, Any], PreparedRepository, RequestedRepository]


@dataclass(frozen=True)
class Submission:
    """What one analysis runs: made once, carried as is (in memory or through the request row)."""

    repositories: tuple[RequestedRepository, ...]
    #: The analyzers to run with their validated options, in dependency order.
    steps: tuple[Step, ...]
    #: Analyzer names as asked (None: every installed analyzer); with ``options``, the request's identity.
    analyzers: tuple[str, ...] | None = None
    #: The options as given, per analyzer (only these count for the request's identity).
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The ref given for every repository without its own (``coe analyze --ref``).
    ref: str | None = None

    @property
    def plan(self) -> list[str]:
        """The analyzer names in the order they run."""
        return [step.name for step in self.steps]

    @classmethod
    def create(
        cls,
        manager: PluginManager,
        targets: Sequence[Target],
        *,
        analyzers: Sequence[str] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        ref: str | None = None,
        policy: SourcePolicy = SourcePolicy(),
        ref_problem: Callable[[str], str | None] | None = None,
    ) -> "Submission":
        """Validate a request where it enters: analyzers and options first, then every source.

        ``ref_problem`` may refuse an entry's own ref (the API's rules for
        ref names) with a one-line reason. Raises :class:`SubmissionError` on
        the first problem.
        """
        given = {str(name): dict(values) for name, values in (options or {}).items()}
        steps = _steps(manager, analyzers, given)
        repositories = tuple(_requested(target, index, ref, policy, ref_problem) for index, target in enumerate(targets))
        return cls(repositories, tuple(steps), tuple(analyzers) if analyzers else None, given, ref)

    def to_json(self) -> dict[str, Any]:
        """The request row's columns (``repositories``, ``analyzers``, ``ref``, ``options``)."""
        return {
            "repositories": [repo.to_json() for repo in self.repositories],
            "analyzers": list(self.analyzers) if self.analyzers else None,
            "ref": self.ref,
            "options": {name: dict(values) for name, values in self.options.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any], manager: PluginManager, policy: SourcePolicy) -> "Submission":
        """The submission a request row (or :meth:`to_json`) holds, for the process that runs it.

        Sources are the stored canonical ones, admitted by ``policy`` (local
        paths allowed, host addresses checked and pinned now); analyzers are
        looked up among this process's plugins and their stored options
        restored into their models. Rows written before submissions existed
        have the same columns and read the same way (an entry without a name
        gets the one its URL gives).
        """
        default_ref = data.get("ref")
        repositories = []
        for index, entry in enumerate(data.get("repositories") or []):
            url = entry.get("url") if isinstance(entry, Mapping) else None
            if not isinstance(url, str) or not url:
                raise SubmissionError(f"repositories.{index}.url", "each repository needs a 'url'")
            try:
                source = admit(stored_source(url, entry.get("name")), policy)
            except SourceError as exc:
                raise SubmissionError(f"repositories.{index}.url", str(exc)) from None
            repositories.append(RequestedRepository(source, entry.get("ref") or default_ref))
        analyzers = data.get("analyzers") or None
        options = {str(name): dict(values) for name, values in (data.get("options") or {}).items()}
        steps = _steps(manager, analyzers, options)
        return cls(tuple(repositories), tuple(steps), tuple(analyzers) if analyzers else None, options, default_ref)


def _steps(manager: PluginManager, analyzers: Sequence[str] | None, options: Mapping[str, Mapping[str, Any]]) -> list[Step]:
    """The plan with validated options; the first problem as a :class:`SubmissionError`."""
    unknown = unknown_choice(manager.analyzers, analyzers, options)
    if unknown is not None:
        raise SubmissionError(*unknown)
    try:
        ordered = plan(manager, analyzers)
    except PlanError as exc:
        raise SubmissionError("analyzers", str(exc)) from None
    selected = {a.name for a in ordered}
    for name in sorted(options):
        if name not in selected:
            raise SubmissionError(f"options.{name}", f"options given for analyzer '{name}', which is not selected")
    steps = []
    for analyzer in ordered:
        try:
            steps.append(Step(analyzer, analyzer.parse_options(options.get(analyzer.name))))
        except Exception as exc:  # noqa: BLE001 - the analyzer's own one-line reason (OptionsError), whatever it raised
            raise SubmissionError(f"options.{analyzer.name}", first_line(exc) or "invalid options") from None
    return steps


def _requested(target: Target, index: int, ref: str | None, policy: SourcePolicy,
               ref_problem: Callable[[str], str | None] | None = None) -> RequestedRepository:
    """One entry parsed with ``policy``; a refused source is a :class:`SubmissionError` naming it."""
    if isinstance(target, RequestedRepository):
        return target
    if isinstance(target, PreparedRepository):  # already validated and pinned
        return RequestedRepository(target.source, target.ref, target)
    text: Any
    name: str | None
    own_ref: str | None
    if isinstance(target, str):
        key, text, name, own_ref = "url", target, None, None
    else:
        key = "url" if target.get("url") is not None or target.get("path") is None else "path"
        text, name, own_ref = target.get(key), target.get("name"), target.get("ref")
        if not isinstance(text, str) or not text:
            raise SubmissionError(f"repositories.{index}.{key}", "each repository needs a 'url'")
        problem = ref_problem(own_ref) if ref_problem is not None and own_ref is not None else None
        if problem is not None:
            raise SubmissionError(f"repositories.{index}.ref", problem)
    try:
        source = parse_source(text, policy, name=name)
    except (SourceError, GitError) as exc:
        raise SubmissionError(f"repositories.{index}.{key}", str(exc)) from None
    return RequestedRepository(source, own_ref or ref)
