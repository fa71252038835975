"""The watch scheduler: one leader checks due watches and queues analyses where a ref moved.

A pass (:meth:`WatchScheduler.run_once`) runs only in the process holding
the ``watch-scheduler`` lease (:mod:`.leader`). It reads due watches in
batches by id; a watch whose previous analysis is still queued or running
is skipped without a check (never two runs of one repository at once). The
others are checked with one ``git ls-remote`` each, concurrently
(:mod:`.remote`), and settled in bulk: unchanged watches in one
``executemany``, failures in another. A moved ref queues an analysis through
:func:`.queueing.queue_analysis`. A check that fails (the repository is gone,
moved, refused by the policy, timed out) raises the watch's failure count and
pushes it out by its interval doubled per failure, capped: a missing
repository costs one short process per backoff step, never a loop.

A ref whose new commit does not descend from the last one seen is recorded
as ``rewritten`` (when both commits are on this machine: a local repository,
or a mirror a webhook's analysis fetched) and analyzed like any new commit.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import Engine, bindparam, delete, select, update

from ..db.models import AnalysisRequest, WatchedRepository, WebhookDelivery, utcnow
from ..errors import one_line
from ..repository.sources import RepositorySource, SourceError, default_workspace, mirror_path, parse_source
from .leader import LeaderLease
from .queueing import ACTIVE, queue_analysis
from .registry import WatchRegistry, backoff_delay, policy_for
from .remote import RemoteHead, is_ancestor, ls_remote_many
from .settings import WatchSettings

log = logging.getLogger(__name__)
W = WatchedRepository.__table__
LEADER_ROLE = "watch-scheduler"


@dataclass
class PassReport:
    """What one pass did, by watch id."""

    checked: int = 0
    unchanged: list[int] = field(default_factory=list)
    queued: dict[int, int] = field(default_factory=dict)
    busy: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)
    rewritten: list[int] = field(default_factory=list)
    #: True when leadership was lost during the pass (it stopped early).
    lost_lead: bool = False


class WatchScheduler:
    """Checks due watches when it leads; ``submit`` hands queued requests to the job executor."""

    def __init__(self, engine: Engine, settings: WatchSettings | None = None, *, submit: Callable[[int], Any] | None = None,
                 clock: Callable[[], datetime] = utcnow, owner: str | None = None, workspace: Path | None = None):
        self.engine = engine
        self.settings = settings or WatchSettings.from_env()
        self.submit = submit
        self.clock = clock
        self.registry = WatchRegistry(engine)
        ttl = max(3 * self.settings.tick_seconds, self.settings.check_timeout * 2 + 30)
        self.lease = LeaderLease(engine, LEADER_ROLE, ttl_seconds=ttl, owner=owner, clock=clock)
        self.workspace = workspace

    def run_once(self) -> PassReport | None:
        """One pass when this process leads (None when another does)."""
        if not self.lease.acquire():
            return None
        report = PassReport()
        now = self.clock()
        after = 0
        while True:
            batch = self.registry.due(now, self.settings.batch_size, after)
            if not batch:
                break
            after = batch[-1].id
            self._check_batch(batch, now, report)
            if not self.lease.acquire():  # a pass longer than the lease: stop rather than run beside a new leader
                report.lost_lead = True
                break
        self._prune_deliveries(now)
        return report

    # -- one batch ------------------------------------------------------------

    def _check_batch(self, batch: list[WatchedRepository], now: datetime, report: PassReport) -> None:
        active = self._active_requests([w.last_request_id for w in batch if w.last_request_id is not None])
        to_check: list[tuple[WatchedRepository, RepositorySource]] = []
        failures: list[tuple[WatchedRepository, str]] = []
        for watch in batch:
            if watch.last_request_id in active:
                report.busy.append(watch.id)
                continue
            try:
                to_check.append((watch, parse_source(watch.url, policy_for(watch.origin), name=watch.name)))
            except SourceError as exc:  # the policy changed, or a name stopped resolving
                failures.append((watch, str(exc)))
        heads = ls_remote_many([(source, w.ref) for w, source in to_check],
                               concurrency=self.settings.concurrency, timeout=self.settings.check_timeout)
        report.checked += len(to_check)
        unchanged: list[tuple[WatchedRepository, RemoteHead]] = []
        for (watch, source), head in zip(to_check, heads):
            if head.error or head.commit is None:
                failures.append((watch, head.error or "no commit"))
            elif head.commit == watch.last_commit:
                unchanged.append((watch, head))
            else:
                self._changed(watch, source, head, now, report)
        self._settle_unchanged(unchanged, now, report)
        self._settle_failures(failures, now, report)

    def _active_requests(self, ids: list[int]) -> set[int]:
        if not ids:
            return set()
        with self.engine.connect() as conn:
            rows = conn.execute(select(AnalysisRequest.id).where(AnalysisRequest.id.in_(ids), AnalysisRequest.status.in_(ACTIVE)))
            return {row[0] for row in rows}

    def _changed(self, watch: WatchedRepository, source: RepositorySource, head: RemoteHead, now: datetime, report: PassReport) -> None:
        assert head.commit is not None
        outcome, note = "queued", None
        if watch.last_commit and self._rewritten(source, watch.last_commit, head.commit):
            outcome = "rewritten"
            note = f"history rewritten: {watch.last_commit[:12]} is no longer an ancestor of {head.commit[:12]}"
            report.rewritten.append(watch.id)
            log.warning("watch %s (%s): %s", watch.id, watch.url, note)
        try:
            queued = queue_analysis(self.engine, watch.id, head.commit, submit=self.submit, now=now,
                                    branch=head.branch, outcome=outcome, note=note)
        except Exception as exc:  # noqa: BLE001 - one watch's trouble never ends the pass
            log.warning("watch %s: queueing failed", watch.id, exc_info=True)
            self._settle_failures([(watch, f"queueing the analysis failed: {one_line(exc)}")], now, report)
            return
        if queued.outcome == "queued" and queued.request_id is not None:
            report.queued[watch.id] = queued.request_id
        elif queued.outcome == "busy":
            report.busy.append(watch.id)
        else:
            report.unchanged.append(watch.id)

    def _rewritten(self, source: RepositorySource, older: str, newer: str) -> bool:
        if source.kind == "local":
            git_dir: Path = source.path  # type: ignore[assignment]
        else:
            git_dir = mirror_path(source, self.workspace or default_workspace())
            if not git_dir.exists():
                return False
        return is_ancestor(git_dir, older, newer) is False

    def _settle_unchanged(self, items: list[tuple[WatchedRepository, RemoteHead]], now: datetime, report: PassReport) -> None:
        if not items:
            return
        statement = (
            update(W).where(W.c.id == bindparam("b_id"))
            .values(last_checked_at=now, next_due_at=bindparam("b_due"), last_outcome="unchanged", last_error=None,
                    failure_count=0, backoff_seconds=0, resolved_ref=bindparam("b_branch"), updated_at=now)
        )
        params = [{"b_id": w.id, "b_due": now + timedelta(seconds=w.interval_seconds), "b_branch": h.branch or w.resolved_ref}
                  for w, h in items]
        with self._writer().begin() as conn:
            conn.execute(statement, params)
        report.unchanged.extend(w.id for w, _ in items)

    def _settle_failures(self, items: list[tuple[WatchedRepository, str]], now: datetime, report: PassReport) -> None:
        if not items:
            return
        statement = (
            update(W).where(W.c.id == bindparam("b_id"))
            .values(last_checked_at=now, next_due_at=bindparam("b_due"), last_outcome="failed", last_error=bindparam("b_error"),
                    failure_count=bindparam("b_failures"), backoff_seconds=bindparam("b_backoff"), updated_at=now)
        )
        params = []
        for watch, error in items:
            failures = (watch.failure_count or 0) + 1
            delay = backoff_delay(failures, watch.interval_seconds, self.settings.max_backoff_seconds)
            params.append({"b_id": watch.id, "b_due": now + timedelta(seconds=delay), "b_error": error[:2000],
                           "b_failures": failures, "b_backoff": delay})
            report.failed[watch.id] = error
            log.warning("watch %s (%s): check %d failed, next in %ss: %s", watch.id, watch.url, failures, delay, error)
        with self._writer().begin() as conn:
            conn.execute(statement, params)

    def _prune_deliveries(self, now: datetime) -> None:
        days = self.settings.delivery_retention_days
        if days <= 0:
            return
        try:
            with self._writer().begin() as conn:
                conn.execute(delete(WebhookDelivery).where(WebhookDelivery.received_at < now - timedelta(days=days)))
        except Exception:  # noqa: BLE001 - pruning is housekeeping; the next pass tries again
            log.warning("pruning old webhook deliveries failed", exc_info=True)

    def _writer(self) -> Engine:
        return self.engine.execution_options(sqlite_begin="immediate") if self.engine.dialect.name == "sqlite" else self.engine

    def stop(self) -> None:
        """Give up leadership (another process takes over at its next tick)."""
        try:
            self.lease.release()
        except Exception:  # noqa: BLE001 - the lease then expires on its own
            log.warning("releasing the scheduler lease failed", exc_info=True)


class SchedulerThread:
    """Runs :meth:`WatchScheduler.run_once` every ``tick_seconds`` on a daemon thread until stopped."""

    def __init__(self, scheduler: WatchScheduler):
        self.scheduler = scheduler
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="coe-watch-scheduler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                report = self.scheduler.run_once()
                if report and (report.queued or report.failed):
                    log.info("watch pass: %d checked, %d queued, %d failed", report.checked, len(report.queued), len(report.failed))
            except Exception:  # noqa: BLE001 - a database hiccup must not end the scheduler
                log.warning("watch scheduler pass failed", exc_info=True)
            self._stop.wait(self.scheduler.settings.tick_seconds)

    def stop(self, wait: bool = True) -> None:
        self._stop.set()
        if wait and self._thread.is_alive():
            self._thread.join(timeout=self.scheduler.settings.check_timeout + 5)
        self.scheduler.stop()
