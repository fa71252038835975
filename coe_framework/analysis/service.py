"""The main job: prepare repositories, run analyzers, announce the outcome.

Every analysis runs a :class:`~coe_framework.analysis.submission.Submission`,
validated once where the request entered, through :func:`run_submission`.
The CLI calls :func:`analyze_repositories` (which makes the submission from
its arguments); the job executors call :func:`run_stored_request`, which
restores the submission from the request row they read. Status and progress
go through a :class:`~coe_framework.analysis.status.StatusPort` (a job's lease
guard wraps the store's).

Persistence: unless told otherwise (``store=None``), the analysis is stored
in the database (``COE_DATABASE_URL``, migrated on first use): the request,
one ``repository_analyses`` row per repository, every analyzer's result with
its normalized rows, measures and chart aggregates (computed here, before
the store's unit of work, :mod:`coe_framework.analysis.normalize`). The database also serves as the runner's result cache,
blob cache and state store, so analysing an unchanged repository again is a
cache hit and a new commit re-runs only changed blobs.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from .normalize import save_outcome
from .status import StatusPort
from .submission import RequestedRepository, Submission, Target
from ..plugin.context import RepositoryInfo
from ..errors import one_line
from ..plugin.manager import PluginManager
from .repo_config import merged_options, repository_options
from ..repository.sources import PreparedRepository, SourcePolicy
from .runner import RepositoryOutcome, Runner, Step

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store

__all__ = ["AnalysisReport", "DEFAULT_STORE", "Target", "analyze_repositories", "run_stored_request", "run_submission"]


class _DefaultStore:
    """Marker: open the store named by the environment."""


DEFAULT_STORE: Any = _DefaultStore()
#: Seconds between progress writes to the database.
PROGRESS_INTERVAL = 1.0


@dataclass
class AnalysisReport:
    """Outcomes of one analysis over one or more repositories."""

    repositories: list[RepositoryOutcome]
    prepared: list[PreparedRepository] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """succeeded, cancelled, failed (every repository failed) or partial (anything in between)."""
        statuses = [o.status for o in self.repositories]
        if "cancelled" in statuses:
            return "cancelled"
        if all(s == "succeeded" for s in statuses):
            return "succeeded"
        return "failed" if all(s == "failed" for s in statuses) else "partial"


def _event_payload(analysis_id: Any, prepared: Sequence[PreparedRepository], analyzers: Sequence[str]) -> dict[str, Any]:
    return {
        "id": analysis_id,
        "repositories": [{"url": p.source.url, "name": p.source.name, "commit": p.commit} for p in prepared],
        "analyzers": list(analyzers),
    }


class _StoredProgress:
    """Forwards progress to the caller's callback and reports it to the status port at most once a second."""

    def __init__(self, status: StatusPort, request_id: int, index: int, count: int, inner: Any):
        self.status, self.request_id, self.index, self.count, self.inner = status, request_id, index, count, inner
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.inner is not None:
            self.inner(fraction, message)
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            overall = (self.index + max(0.0, min(1.0, fraction))) / max(1, self.count)
            self.status.progress(self.request_id, overall, message)

    def close(self) -> None:
        if self.inner is not None and hasattr(self.inner, "close"):
            self.inner.close()


def _record_request(store: "Store", status: StatusPort, request_id: int | None, submission: Submission,
                    prepared: Sequence[PreparedRepository]) -> int:
    """Create the request row for a direct (CLI) analysis, or mark a queued one running."""
    from ..db.store import request_hash

    if request_id is not None:
        status.running(request_id)
        return request_id
    pinned = Submission(tuple(RequestedRepository(p.source, p.ref, p) for p in prepared), submission.steps,
                        submission.analyzers, submission.options, submission.ref)
    columns = pinned.to_json()
    request, _created = store.create_request(
        columns["repositories"],
        analyzers=columns["analyzers"],
        ref=columns["ref"],
        options=columns["options"],
        status="running",
        source="cli",
        request_hash=request_hash([(p.source.url, p.commit) for p in prepared], columns["analyzers"], columns["options"]),
    )
    return int(request["id"])


def analyze_repositories(
    manager: PluginManager,
    targets: Sequence[Target],
    *,
    analyzers: Sequence[str] | None = None,
    ref: str | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int | None = None,
    policy: SourcePolicy = SourcePolicy(),
    runner: Runner | None = None,
    progress_factory: Callable[[str], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
    analysis_id: Any = None,
    store: Any = DEFAULT_STORE,
    request_id: int | None = None,
    insights: bool = True,
) -> AnalysisReport:
    """Validate everything first (one :class:`Submission`), then analyse each target in turn.

    Bad input (unknown analyzer, invalid options, a refused or missing source,
    an unknown ref) raises before any analyzer runs. The other arguments are
    :func:`run_submission`'s.
    """
    submission = Submission.create(manager, targets, analyzers=analyzers, options=options, ref=ref, policy=policy)
    return run_submission(
        manager, submission, workers=workers, runner=runner, progress_factory=progress_factory, cancelled=cancelled,
        analysis_id=analysis_id, store=store, request_id=request_id, insights=insights,
    )


def run_submission(
    manager: PluginManager,
    submission: Submission,
    *,
    workers: int | None = None,
    runner: Runner | None = None,
    progress_factory: Callable[[str], Any] | None = None,
    cancelled: Callable[[], bool] | None = None,
    analysis_id: Any = None,
    store: Any = DEFAULT_STORE,
    request_id: int | None = None,
    insights: bool = True,
    status: StatusPort | None = None,
) -> AnalysisReport:
    """Prepare the submission's repositories and run its plan on each, in turn.

    With a store (the default opens the one the environment names; ``None``
    stores nothing) everything is persisted; ``request_id`` names an existing
    queued request to run instead of creating one, and ``status`` is where
    its status and progress go (default: the request row).
    ``report.extra["analysis_id"]`` holds the stored id. ``insights=False``
    leaves out what is built from stored results afterwards (RAG documents,
    search index, correlations, vulnerability matches): what a history
    backfill of old commits skips.
    """
    prepared = [repo.prepare() for repo in submission.repositories]
    if isinstance(store, _DefaultStore):
        from .process_store import open_store

        store = open_store()
    direct: Any = contextlib.nullcontext()
    if store is not None and status is None:
        from ..db.request_status import RequestStatus

        status = RequestStatus(store)
    if store is not None and status is not None:
        created = request_id is None
        request_id = _record_request(store, status, request_id, submission, prepared)
        if analysis_id is None:
            analysis_id = request_id
        if created:  # this process runs it: a lease lets the reaper end it should the process die
            from ..queue.direct import DirectRun

            run = DirectRun(store.engine, request_id)
            cancelled = run.cancelled(cancelled)
            direct = run
    own_runner = runner is None
    runner = runner or Runner(manager, workers=workers, **(store.runner_caches() if store is not None else {}))
    try:
        with direct:
            report = _run_all(manager, runner, prepared, submission, progress_factory, cancelled, analysis_id,
                              store, status, request_id, insights)
    except BaseException as exc:
        if status is not None and request_id is not None:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else one_line(exc)
            status.failed(request_id, reason[:2000])
        raise
    finally:
        if own_runner:
            runner.close()
    if store is not None and status is not None and request_id is not None:
        errors = "; ".join(f"{o.repository.name}/{n}: {m}" for o in report.repositories for n, m in o.errors.items())
        status.finished(request_id, report.status, errors[:4000] or None)
        report.extra["analysis_id"] = request_id
        from ..db.engine import redacted

        report.notes.append(f"stored as analysis {request_id} in {redacted(store.engine.url)}")
    return report


def _repository_steps(manager: PluginManager, repo: PreparedRepository, steps: Sequence[Step],
                      given: Mapping[str, Mapping[str, Any]], notes: list[str]) -> Sequence[Step]:
    """The submission's steps, with the repository's own ``[tool.coe]`` options under the given ones.

    Only analyzers the repository configures get their (merged, new) options validated.
    """
    names = [step.name for step in steps]
    own = repository_options(repo.git_dir, repo.commit, manager.analyzers, names, repo.source.name)
    notes.extend(own.notes)
    if not own.options:
        return steps
    merged = merged_options(own.options, given)
    return [Step(s.analyzer, s.analyzer.parse_options(merged[s.name])) if s.name in own.options else s for s in steps]


def _run_all(
    manager: PluginManager,
    runner: Runner,
    prepared: list[PreparedRepository],
    submission: Submission,
    progress_factory: Callable[[str], Any] | None,
    cancelled: Callable[[], bool] | None,
    analysis_id: Any,
    store: "Store | None",
    status: StatusPort | None,
    request_id: int | None,
    insights: bool = True,
) -> AnalysisReport:
    names = submission.plan
    payload = _event_payload(analysis_id, prepared, names)
    manager.call_listeners("coe_analysis_started", analysis=payload)
    outcomes: list[RepositoryOutcome] = []
    notes: list[str] = []
    for index, repo in enumerate(prepared):
        steps = _repository_steps(manager, repo, submission.steps, submission.options, notes)
        progress = progress_factory(repo.source.name) if progress_factory else None
        stored_id = None
        if store is not None and status is not None and request_id is not None:
            status.before_write()
            stored_id = store.start_repository_analysis(request_id, repo)
            progress = _StoredProgress(status, request_id, index, len(prepared), progress)
        try:
            outcome = runner.run_steps(
                str(repo.git_dir),
                repo.commit,
                RepositoryInfo(url=repo.source.url, name=repo.source.name, path=str(repo.git_dir)),
                steps,
                ref=repo.ref,
                progress=progress,
                cancelled=cancelled,
            )
        finally:
            if progress is not None and hasattr(progress, "close"):
                progress.close()
        if store is not None and status is not None and stored_id is not None:
            status.before_write()
            # Rows, measures and chart aggregates are computed here; the store writes them in one unit of work.
            save_outcome(store, stored_id, outcome, manager)
        outcomes.append(outcome)
    report = AnalysisReport(outcomes, prepared, notes=notes)
    if insights and store is not None and request_id is not None:  # RAG documents and correlations, from the stored results
        from ..outputs.insights import publish_insights
        from ..vulns.matching import publish_matches

        report.notes.extend(publish_matches(store, request_id))
        report.notes.extend(publish_insights(store, request_id, manager, prepared))
    errors = {f"{o.repository.name}/{name}": msg for o in outcomes for name, msg in o.errors.items()}
    manager.call_listeners("coe_analysis_finished", analysis={**payload, "errors": errors}, status=report.status)
    return report


def run_stored_request(
    manager: PluginManager,
    store: "Store",
    request_id: int,
    *,
    policy: SourcePolicy | None = None,
    runner: Runner | None = None,
    workers: int | None = None,
    cancelled: Callable[[], bool] | None = None,
    progress_factory: Callable[[str], Any] | None = None,
    request: Mapping[str, Any] | None = None,
    status: StatusPort | None = None,
) -> AnalysisReport:
    """Run a request recorded in the store (what the job executors call).

    ``request`` is the row when the caller has read it already (it is read
    here otherwise); its submission is restored once
    (:meth:`Submission.from_json`), with sources admitted by the server's
    policy unless another is given. Bad input marks the request failed with
    the one-line reason and raises. ``status`` receives status and progress
    (default: the request row).
    """
    from ..db.request_status import RequestStatus
    from ..db.store import NotFound

    if request is None:
        request = store.get_analysis(request_id)
    if request is None:
        raise NotFound(f"analysis {request_id} does not exist")
    status = status if status is not None else RequestStatus(store)
    try:
        submission = Submission.from_json(request, manager, policy if policy is not None else SourcePolicy.for_server())
        return run_submission(
            manager,
            submission,
            workers=workers,
            runner=runner,
            progress_factory=progress_factory,
            cancelled=cancelled,
            store=store,
            request_id=request_id,
            status=status,
        )
    except Exception as exc:
        # Failures before the run starts (a refused source, an unknown ref) end the request too.
        status.failed(request_id, str(exc)[:2000] or type(exc).__name__)
        raise
