"""The main job: prepare repositories, run analyzers, announce the outcome.

The CLI calls :func:`analyze_repositories` directly; the job executors call
:func:`run_stored_request` for queued requests, which calls the same function,
so every path analyses the same way.

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
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, Union

from .analysis.normalize import save_outcome
from .context import RepositoryInfo
from .errors import one_line
from .plugins import PluginManager
from .repo_config import merged_options, repository_options
from .repos import PreparedRepository, SourcePolicy, open_repository
from .runner import RepositoryOutcome, Runner, plan

if TYPE_CHECKING:  # pragma: no cover
    from .db.store import Store

#: A target: a path or URL, ``{"url": ..., "ref": ..., "name": ...}`` as stored in a request,
#: or a repository already prepared and pinned to a commit.
Target = Union[str, Mapping[str, Any], PreparedRepository]


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


def _open_target(target: Target, ref: str | None, policy: SourcePolicy) -> PreparedRepository:
    if isinstance(target, PreparedRepository):  # already validated and pinned (history backfill)
        return target
    if isinstance(target, str):
        return open_repository(target, ref, policy=policy)
    url = target.get("url")
    if not isinstance(url, str) or not url:
        raise ValueError("each repository needs a 'url'")
    return open_repository(url, target.get("ref") or ref, policy=policy, name=target.get("name"))


class _StoredProgress:
    """Forwards progress to the caller's callback and writes it to the request at most once a second."""

    def __init__(self, store: "Store", request_id: int, index: int, count: int, inner: Any):
        self.store, self.request_id, self.index, self.count, self.inner = store, request_id, index, count, inner
        self.last = 0.0

    def __call__(self, fraction: float, message: str) -> None:
        if self.inner is not None:
            self.inner(fraction, message)
        now = time.monotonic()
        if now - self.last >= PROGRESS_INTERVAL:
            self.last = now
            overall = (self.index + max(0.0, min(1.0, fraction))) / max(1, self.count)
            self.store.update_request(self.request_id, progress=overall, progress_message=message, expect_status=("running",))

    def close(self) -> None:
        if self.inner is not None and hasattr(self.inner, "close"):
            self.inner.close()


def _record_request(store: "Store", request_id: int | None, prepared: Sequence[PreparedRepository],
                    analyzers: Sequence[str] | None, ref: str | None, options: Mapping[str, Any] | None) -> int:
    """Create the request row for a direct (CLI) analysis, or mark a queued one running."""
    from .db.store import request_hash

    if request_id is not None:
        store.update_request(request_id, status="running", expect_status=("queued", "running"))
        return request_id
    request, _created = store.create_request(
        [{"url": p.source.url, "ref": p.ref, "name": p.source.name} for p in prepared],
        analyzers=analyzers,
        ref=ref,
        options=options,
        status="running",
        source="cli",
        request_hash=request_hash([(p.source.url, p.commit) for p in prepared], analyzers, options),
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
    """Validate everything first, then analyse each target in turn.

    Bad input (unknown analyzer, invalid options, a refused or missing source,
    an unknown ref) raises before any analyzer runs. With a store (the
    default opens the one the environment names; ``None`` stores nothing)
    everything is persisted; ``request_id`` names an existing queued request
    to run instead of creating one. ``report.extra["analysis_id"]`` holds
    the stored id. ``insights=False`` leaves out what is built from stored
    results afterwards (RAG documents, search index, correlations,
    vulnerability matches): what a history backfill of old commits skips.
    """
    ordered = plan(manager, analyzers)
    for analyzer in ordered:
        analyzer.parse_options((options or {}).get(analyzer.name))
    prepared = [_open_target(target, ref, policy) for target in targets]
    names = [a.name for a in ordered]
    if isinstance(store, _DefaultStore):
        from .analysis.process_store import open_store

        store = open_store()
    direct = contextlib.nullcontext()
    if store is not None:
        created = request_id is None
        request_id = _record_request(store, request_id, prepared, analyzers, ref, options)
        if analysis_id is None:
            analysis_id = request_id
        if created:  # this process runs it: a lease lets the reaper end it should the process die
            from .jobs.direct import DirectRun

            direct = DirectRun(store.engine, request_id)
            cancelled = direct.cancelled(cancelled)
    own_runner = runner is None
    runner = runner or Runner(manager, workers=workers, **(store.runner_caches() if store is not None else {}))
    try:
        with direct:
            report = _run_all(manager, runner, prepared, names, options, progress_factory, cancelled, analysis_id, store, request_id, insights)
    except BaseException as exc:
        if store is not None and request_id is not None:
            reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else one_line(exc)
            store.update_request(request_id, status="failed", error=reason[:2000], expect_status=("queued", "running"))
        raise
    finally:
        if own_runner:
            runner.close()
    if store is not None and request_id is not None:
        errors = "; ".join(f"{o.repository.name}/{n}: {m}" for o in report.repositories for n, m in o.errors.items())
        store.update_request(request_id, status=report.status, progress=1.0, error=errors[:4000] or None, expect_status=("running",))
        report.extra["analysis_id"] = request_id
        from .db.engine import redacted

        report.notes.append(f"stored as analysis {request_id} in {redacted(store.engine.url)}")
    return report


def _run_all(
    manager: PluginManager,
    runner: Runner,
    prepared: Sequence[PreparedRepository],
    names: Sequence[str],
    options: Mapping[str, Mapping[str, Any]] | None,
    progress_factory: Callable[[str], Any] | None,
    cancelled: Callable[[], bool] | None,
    analysis_id: Any,
    store: "Store | None",
    request_id: int | None,
    insights: bool = True,
) -> AnalysisReport:
    payload = _event_payload(analysis_id, prepared, names)
    manager.call_listeners("coe_analysis_started", analysis=payload)
    outcomes: list[RepositoryOutcome] = []
    notes: list[str] = []
    for index, repo in enumerate(prepared):
        own = repository_options(repo.git_dir, repo.commit, manager.analyzers, names, repo.source.name)
        notes.extend(own.notes)
        progress = progress_factory(repo.source.name) if progress_factory else None
        stored_id = None
        if store is not None and request_id is not None:
            stored_id = store.start_repository_analysis(request_id, repo)
            progress = _StoredProgress(store, request_id, index, len(prepared), progress)
        try:
            outcome = runner.run(
                str(repo.git_dir),
                repo.commit,
                RepositoryInfo(url=repo.source.url, name=repo.source.name, path=str(repo.git_dir)),
                names,
                merged_options(own.options, options) if own.options else options,
                ref=repo.ref,
                progress=progress,
                cancelled=cancelled,
            )
        finally:
            if progress is not None and hasattr(progress, "close"):
                progress.close()
        if store is not None and stored_id is not None:
            # Rows, measures and chart aggregates are computed here; the store writes them in one unit of work.
            save_outcome(store, stored_id, outcome, manager)
        outcomes.append(outcome)
    report = AnalysisReport(outcomes, prepared, notes=notes)
    if insights and store is not None and request_id is not None:  # RAG documents and correlations, from the stored results
        from .insights import publish_insights
        from .vulns.matching import publish_matches

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
) -> AnalysisReport:
    """Run a request recorded in the store (what the job executors call).

    Sources are checked with the server's policy unless another is given;
    bad input marks the request failed with the one-line reason and raises.
    """
    from .db.store import NotFound

    request = store.get_analysis(request_id)
    if request is None:
        raise NotFound(f"analysis {request_id} does not exist")
    try:
        return analyze_repositories(
            manager,
            request["repositories"],
            analyzers=request["analyzers"],
            ref=request["ref"],
            options=request["options"],
            workers=workers,
            policy=policy if policy is not None else SourcePolicy.for_server(),
            runner=runner,
            progress_factory=progress_factory,
            cancelled=cancelled,
            store=store,
            request_id=request_id,
        )
    except Exception as exc:
        # Failures before the run starts (a refused source, an unknown ref) end the request too.
        store.update_request(request_id, status="failed", error=str(exc)[:2000] or type(exc).__name__, expect_status=("queued", "running"))
        raise
