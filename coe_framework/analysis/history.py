"""Backfilling measures over a repository's history.

``coe history REPO --samples N`` picks N commits spread evenly over the
first-parent history of a ref (the first and the newest included) and
analyzes each one that has no stored measures yet, oldest first. Each is an
ordinary stored analysis, so its measures land in the ``measures`` table;
what makes N analyses cheap is reused rather than re-implemented:

* one runner for all of them, with the database's caches: a file blob already
  analyzed at an earlier sample is a blob-cache hit, and an unchanged tree
  reuses the whole ``ast`` aggregate; its file workers are kept from sample to
  sample instead of being forked for each;
* every sample is analyzed under the same ref name, oldest first, so the
  incremental ``git`` analyzer mines only the commits since the previous sample;
* RAG documents, search indexing, correlations and vulnerability matching are
  left out (``insights=False``): they serve the newest analysis, not a trend.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from ..repository.gitutil import run_git
from ..plugin.manager import PluginManager
from ..repository.sources import PreparedRepository, SourceError, SourcePolicy, open_repository, pin_commit
from .runner import Runner

#: The most samples one backfill may take.
MAX_SAMPLES = 1000


@dataclass
class SampleOutcome:
    """What happened to one sampled commit."""

    commit: str
    commit_date: str
    status: str  # analyzed | skipped (already measured) | <analysis status>
    analysis_id: int | None = None
    seconds: float = 0.0
    cpu_seconds: float = 0.0


@dataclass
class HistoryReport:
    """The samples of one backfill, oldest first."""

    repository: str
    samples: list[SampleOutcome] = field(default_factory=list)

    @property
    def analyzed(self) -> list[SampleOutcome]:
        return [s for s in self.samples if s.status != "skipped"]

    @property
    def failed(self) -> list[SampleOutcome]:
        return [s for s in self.analyzed if s.status not in ("succeeded", "partial")]


def first_parent_history(git_dir: Any, commit: str) -> list[str]:
    """The first-parent chain ending at ``commit``, oldest first."""
    out = run_git(["rev-list", "--first-parent", "--reverse", commit, "--"], cwd=git_dir, timeout=300).stdout
    return out.decode().split()


def sample_evenly(commits: Sequence[str], samples: int) -> list[str]:
    """``samples`` commits spread evenly over ``commits`` (all of them when there are fewer),
    the first and the last always included, order kept."""
    if samples < 1:
        raise ValueError("--samples must be at least 1")
    if len(commits) <= samples:
        return list(commits)
    if samples == 1:
        return [commits[-1]]
    step = (len(commits) - 1) / (samples - 1)
    picked = sorted({round(i * step) for i in range(samples)})
    return [commits[i] for i in picked]


def backfill(
    manager: PluginManager,
    target: str,
    *,
    samples: int,
    ref: str | None = None,
    analyzers: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
    workers: int | None = None,
    store: Any,
    policy: SourcePolicy = SourcePolicy(),
    on_sample: Callable[[int, int, SampleOutcome], None] | None = None,
) -> HistoryReport:
    """Analyze ``samples`` commits of ``target``'s history that have no stored measures yet."""
    import resource

    from .service import analyze_repositories
    from ..measures.queries import commits_with_measures

    if not 1 <= samples <= MAX_SAMPLES:
        raise ValueError(f"--samples must be between 1 and {MAX_SAMPLES}")
    head = open_repository(target, ref, policy=policy)
    picked = sample_evenly(first_parent_history(head.git_dir, head.commit), samples)
    known = store.find_repository(head.source.url)
    measured: set[str] = set()
    if known is not None:
        with store.session() as session:
            measured = commits_with_measures(session, int(known["id"]), picked)
    report = HistoryReport(head.source.url)
    with Runner(manager, workers=workers, keep_file_pools=True, **store.runner_caches()) as runner:
        for index, commit in enumerate(picked):
            pinned: PreparedRepository = pin_commit(head, commit)
            sample = SampleOutcome(commit, pinned.commit_date, "skipped")
            if commit not in measured:
                started, cpu = time.monotonic(), _cpu_seconds(resource)
                outcome = analyze_repositories(
                    manager, [pinned], analyzers=analyzers, options=options, runner=runner, store=store, insights=False,
                )
                sample.status = outcome.status
                sample.analysis_id = outcome.extra.get("analysis_id")
                sample.seconds, sample.cpu_seconds = time.monotonic() - started, _cpu_seconds(resource) - cpu
            report.samples.append(sample)
            if on_sample is not None:
                on_sample(index + 1, len(picked), sample)
    return report


def _cpu_seconds(resource: Any) -> float:
    """CPU time of this process and its finished children (analyzer processes, git, file workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


__all__ = ["HistoryReport", "SampleOutcome", "SourceError", "backfill", "first_parent_history", "sample_evenly"]
