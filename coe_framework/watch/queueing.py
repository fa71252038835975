"""The one way a watch queues an analysis: a queued request row, then the job executor.

The watch's row is locked while it decides (``FOR UPDATE``; SQLite's write
lock), so a webhook and a scheduler pass that see the same new commit queue
it once. While the watch's previous analysis is queued or running nothing is
queued (never two runs of one watched repository at once); the watch is made
due instead, so the next pass queues the newest commit once the run ended.
A commit already analyzed with the same analyzers and options (same request
hash) is not analyzed again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ..db.engine import unit_of_work
from ..db.models import PRIORITY_BULK, AnalysisRequest, WatchedRepository, utcnow
from ..db.store import request_hash

log = logging.getLogger(__name__)

#: Statuses of a previous analysis that block a new one.
ACTIVE = ("queued", "running")


@dataclass(frozen=True)
class Queued:
    """What queueing decided: ``queued``, ``busy`` (a run is active), ``unchanged`` or ``analyzed`` (done before)."""

    outcome: str
    request_id: int | None = None


def request_source(origin: str) -> str:
    """The request's ``source``: the CLI's policy for watches added there, the server's otherwise."""
    return "watch-cli" if origin == "cli" else "watch"


def queue_analysis(engine: Engine, watch_id: int, commit: str, *, submit: Callable[[int], Any] | None,
                   now: datetime | None = None, branch: str | None = None, outcome: str = "queued",
                   note: str | None = None) -> Queued:
    """Queue an analysis of ``commit`` for the watch, unless one is active or it was analyzed already.

    ``submit`` hands the new request to the job executor after the commit
    (a failure there leaves it queued for a worker or the reaper). ``branch``
    records what HEAD named; ``outcome``/``note`` what the check found
    (``rewritten`` with the reason, for instance).
    """
    with unit_of_work(engine, write=True) as session:
        queued = queue_in(session, watch_id, commit, now=now, branch=branch, outcome=outcome, note=note)
    hand_over(queued, submit)
    return queued


def hand_over(queued: Queued, submit: Callable[[int], Any] | None) -> None:
    """Give a newly queued request to the job executor (after its transaction committed)."""
    if submit is None or queued.outcome != "queued" or queued.request_id is None:
        return
    try:
        submit(queued.request_id)
    except Exception:  # noqa: BLE001 - the row stays queued; a worker or the reaper takes it
        log.exception("could not hand analysis %s to the executor; it stays queued", queued.request_id)


def queue_in(session: Session, watch_id: int, commit: str, *, now: datetime | None = None, branch: str | None = None,
             outcome: str = "queued", note: str | None = None) -> Queued:
    """:func:`queue_analysis` inside the caller's unit of work (which then calls :func:`hand_over`)."""
    now = now or utcnow()
    watch = session.scalars(select(WatchedRepository).where(WatchedRepository.id == watch_id).with_for_update()).first()
    if watch is None:
        return Queued("gone")
    watch.last_checked_at = now
    watch.failure_count = 0
    watch.backoff_seconds = 0
    watch.last_error = note
    if branch:
        watch.resolved_ref = branch
    active = None
    if watch.last_request_id is not None:
        active = session.scalar(select(AnalysisRequest.status).where(AnalysisRequest.id == watch.last_request_id))
    if active in ACTIVE:
        if commit != watch.last_commit:
            watch.next_due_at = now  # check again as soon as the active run ended
            watch.last_outcome = "busy"
        return Queued("busy", watch.last_request_id)
    watch.next_due_at = now + _interval(watch)
    if commit == watch.last_commit:
        watch.last_outcome = "unchanged"
        return Queued("unchanged", watch.last_request_id)
    digest = request_hash([(watch.url, commit)], watch.analyzers or None, watch.options or {})
    done = session.scalar(
        select(AnalysisRequest.id).where(AnalysisRequest.request_hash == digest, AnalysisRequest.status == "succeeded")
        .order_by(AnalysisRequest.id.desc()).limit(1)
    )
    watch.last_commit = commit
    if done is not None:
        watch.last_request_id = done
        watch.last_outcome = "analyzed"
        return Queued("analyzed", done)
    request = AnalysisRequest(
        repositories=[{"url": watch.url, "name": watch.name, "ref": commit}],
        analyzers=list(watch.analyzers) if watch.analyzers else None,
        options=dict(watch.options or {}),
        priority=PRIORITY_BULK,
        source=request_source(watch.origin),
        request_hash=digest,
        status="queued",
    )
    session.add(request)
    session.flush()
    watch.last_request_id = request.id
    watch.last_outcome = outcome
    return Queued("queued", int(request.id))


def _interval(watch: WatchedRepository) -> Any:
    from datetime import timedelta

    return timedelta(seconds=int(watch.interval_seconds or 3600))
