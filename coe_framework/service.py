"""The main job: prepare repositories, run analyzers, announce the outcome.

The CLI calls :func:`analyze_repositories` directly; the job executors call
the same function for queued requests, so every path analyses the same way.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from .context import RepositoryInfo
from .plugins import PluginManager
from .repos import PreparedRepository, SourcePolicy, open_repository
from .runner import RepositoryOutcome, Runner, overall_status, plan


@dataclass
class AnalysisReport:
    """Outcomes of one analysis over one or more repositories."""

    repositories: list[RepositoryOutcome]
    prepared: list[PreparedRepository] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return overall_status([o.status for o in self.repositories])


def _event_payload(analysis_id: Any, prepared: Sequence[PreparedRepository], analyzers: Sequence[str]) -> dict[str, Any]:
    return {
        "id": analysis_id,
        "repositories": [{"url": p.source.url, "name": p.source.name, "commit": p.commit} for p in prepared],
        "analyzers": list(analyzers),
    }


def analyze_repositories(
    manager: PluginManager,
    targets: Sequence[str],
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
) -> AnalysisReport:
    """Validate everything first, then analyse each target in turn.

    Bad input (unknown analyzer, invalid options, a refused or missing source,
    an unknown ref) raises before any analyzer runs.
    """
    ordered = plan(manager, analyzers)
    for analyzer in ordered:
        analyzer.parse_options((options or {}).get(analyzer.name))
    prepared = [open_repository(target, ref, policy=policy) for target in targets]
    names = [a.name for a in ordered]
    own_runner = runner is None
    runner = runner or Runner(manager, workers=workers)
    payload = _event_payload(analysis_id, prepared, names)
    manager.call_listeners("coe_analysis_started", analysis=payload)
    outcomes: list[RepositoryOutcome] = []
    try:
        for repo in prepared:
            progress = progress_factory(repo.source.name) if progress_factory else None
            try:
                outcome = runner.run(
                    str(repo.git_dir),
                    repo.commit,
                    RepositoryInfo(url=repo.source.url, name=repo.source.name, path=str(repo.git_dir)),
                    names,
                    options,
                    ref=repo.ref,
                    progress=progress,
                    cancelled=cancelled,
                )
            finally:
                if progress is not None and hasattr(progress, "close"):
                    progress.close()
            outcomes.append(outcome)
    finally:
        if own_runner:
            runner.close()
    report = AnalysisReport(outcomes, prepared)
    errors = {f"{o.repository.name}/{name}": msg for o in outcomes for name, msg in o.errors.items()}
    manager.call_listeners("coe_analysis_finished", analysis={**payload, "errors": errors}, status=report.status)
    return report
