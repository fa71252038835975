"""The job queue in the database: analysis request rows plus a lease.

A worker *claims* a queued request by writing itself into the lease columns
(``lease_owner``, ``lease_expires_at``, ``heartbeat_at``, ``attempts``) in one
short transaction: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so
competing workers pass each other instead of waiting; ``BEGIN IMMEDIATE`` on
SQLite, which takes the database's single write lock before reading.

While it runs, the worker renews the lease (:meth:`JobQueue.heartbeat`). A
worker that dies stops renewing; :meth:`JobQueue.reap` returns its job to the
queue, or fails it with the reason once ``max_attempts`` claims were used.

Every later write is guarded by ``status = 'running' AND lease_owner = me``,
so a worker that lost its lease (it stalled, the job was reaped and someone
else took it) can no longer change the row: running a job twice is harmless.

Times come from the worker's clock (injectable for tests); machines sharing a
database need synchronised clocks (NTP), with a lease far longer than any skew.
"""
from __future__ import annotations

import contextlib
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator

from sqlalchemy import Connection, Engine, func, select, update
from sqlalchemy.sql.elements import ColumnElement

from ..db.models import FINISHED_STATUSES, REQUEST_STATUSES, AnalysisRequest, utcnow
from ..errors import NotFound

Clock = Callable[[], datetime]

T = AnalysisRequest.__table__


class JobNotFound(NotFound, LookupError):
    """No analysis request has this id (not found; a ``LookupError`` as callers caught before the error kinds existed)."""


def new_owner(label: str = "") -> str:
    """A lease owner unique to this claim: host, process and a random tag."""
    tag = uuid.uuid4().hex[:12]
    head = f"{socket.gethostname()}:{os.getpid()}"
    return f"{head}:{label}:{tag}" if label else f"{head}:{tag}"


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@dataclass(frozen=True)
class Lease:
    """A claim on one job: only ``owner`` may change the row while it holds."""

    request_id: int
    owner: str
    attempt: int
    max_attempts: int
    priority: int
    expires_at: datetime


@dataclass(frozen=True)
class Claim:
    """The answer to claiming one named job (a Celery delivery)."""

    lease: Lease | None
    #: claimed | finished | busy | cancelled | failed
    outcome: str
    status: str


@dataclass
class ReapReport:
    """What one reaper pass did."""

    requeued: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.requeued or self.failed or self.cancelled)


#: Lease-owner label of an analysis run directly by the process that asked for it (``coe analyze``).
DIRECT_RUN_LABEL = "direct"
#: Why the reaper fails a direct run whose lease expired: nothing else can finish it.
DIRECT_RUN_STOPPED = "the process running it stopped (its lease expired without a heartbeat)"


def is_direct_run(owner: str | None) -> bool:
    """True when ``owner`` holds a direct run's lease (see :meth:`JobQueue.hold`)."""
    return bool(owner) and f":{DIRECT_RUN_LABEL}:" in str(owner)


def _lost_reason(owner: str | None, attempt: int, max_attempts: int) -> str:
    return f"attempt {attempt} of {max_attempts}: worker {owner or 'unknown'} stopped renewing its lease (died or stalled)"


class JobQueue:
    """Claims, renews and settles job leases on one database engine."""

    def __init__(self, engine: Engine, *, lease_seconds: float = 60.0, clock: Clock = utcnow):
        self.engine = engine
        self.lease = timedelta(seconds=lease_seconds)
        self.clock = clock
        self.sqlite = engine.dialect.name == "sqlite"

    # -- transactions ------------------------------------------------------

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[Connection]:
        """A write transaction that holds its rows (PostgreSQL) or the database (SQLite).

        On SQLite the engine begins it with ``BEGIN IMMEDIATE``: the write lock
        is taken before reading, so two claimers never both see the same
        queued row as free.
        """
        bind = self.engine.execution_options(sqlite_begin="immediate") if self.sqlite else self.engine
        with bind.begin() as conn:
            yield conn

    def _guarded(self, lease: Lease) -> ColumnElement[bool]:
        return (T.c.id == lease.request_id) & (T.c.status == "running") & (T.c.lease_owner == lease.owner)

    def _lease_values(self, owner: str, now: datetime) -> dict[str, object]:
        return {
            "status": "running",
            "lease_owner": owner,
            "lease_expires_at": now + self.lease,
            "heartbeat_at": now,
            "attempts": T.c.attempts + 1,
            "progress": 0.0,
            "updated_at": now,
        }

    def _take(self, conn: Connection, row: Any, owner: str, now: datetime) -> Lease | None:
        """Write the lease over ``row``, guarded by the attempt count that was read.

        ``attempts`` works as a version number: if another claimer got there
        first (possible only where the row lock is not held), nothing changes.
        """
        values = self._lease_values(owner, now)
        if row.started_at is None:
            values["started_at"] = now
        guard = (T.c.id == row.id) & (T.c.attempts == row.attempts)
        if conn.execute(update(T).where(guard).values(**values)).rowcount != 1:
            return None
        return Lease(row.id, owner, row.attempts + 1, row.max_attempts, row.priority, now + self.lease)

    # -- claiming ----------------------------------------------------------

    def claim_next(self, owner: str) -> Lease | None:
        """Lease the best queued job (highest priority, then oldest), or None."""
        query = (
            select(T.c.id, T.c.attempts, T.c.max_attempts, T.c.priority, T.c.started_at)
            .where(T.c.status == "queued", T.c.cancel_requested.is_(False))
            .order_by(T.c.priority.desc(), T.c.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        with self._exclusive() as conn:
            # Read the clock once the lock is held, so started_at follows the order of claims.
            now = self.clock()
            row = conn.execute(query).first()
            if row is None:
                return None
            return self._take(conn, row, owner, now)

    def claim(self, request_id: int, owner: str) -> Claim:
        """Lease one named job if it is free to run.

        A queued job, or a running one whose lease expired, is claimed (the
        latter counts as a lost attempt and fails once attempts run out). A
        finished job, or one another worker holds, is left alone: that is
        what makes a redelivered task harmless.
        """
        query = (
            select(
                T.c.id, T.c.status, T.c.attempts, T.c.max_attempts, T.c.priority, T.c.started_at,
                T.c.lease_owner, T.c.lease_expires_at, T.c.cancel_requested,
            )
            .where(T.c.id == request_id)
            .with_for_update()
        )
        with self._exclusive() as conn:
            now = self.clock()  # under the lock, as in claim_next
            row = conn.execute(query).first()
            if row is None:
                raise JobNotFound(f"no analysis request {request_id}")
            if row.status in FINISHED_STATUSES:
                return Claim(None, "finished", row.status)
            expired = row.status == "running" and (_aware(row.lease_expires_at) or now) <= now
            if row.status == "running" and not expired:
                return Claim(None, "busy", row.status)
            if row.cancel_requested:
                self._settle(conn, T.c.id == row.id, "cancelled", "cancelled" if expired else "cancelled before it ran", now)
                return Claim(None, "cancelled", "cancelled")
            if expired and (row.attempts >= row.max_attempts or is_direct_run(row.lease_owner)):
                reason = DIRECT_RUN_STOPPED if is_direct_run(row.lease_owner) else (
                    "gave up: " + _lost_reason(row.lease_owner, row.attempts, row.max_attempts))
                self._settle(conn, T.c.id == row.id, "failed", reason, now)
                return Claim(None, "failed", "failed")
            lease = self._take(conn, row, owner, now)
            return Claim(lease, "claimed", "running") if lease else Claim(None, "busy", "running")

    def hold(self, request_id: int, owner: str) -> Lease | None:
        """Lease a request that its own process runs (``coe analyze``), so it can be reaped.

        The row must be running with no lease. It gets a single attempt:
        no worker can finish another process's run, so once the lease
        expires the reaper fails it (:data:`DIRECT_RUN_STOPPED`) instead of
        queueing it again.
        """
        now = self.clock()
        guard = (T.c.id == request_id) & (T.c.status == "running") & T.c.lease_owner.is_(None)
        values = self._lease_values(owner, now)
        values.pop("progress")
        with self.engine.begin() as conn:
            if conn.execute(update(T).where(guard).values(**values, max_attempts=1)).rowcount != 1:
                return None
            row = conn.execute(select(T.c.attempts, T.c.priority).where(T.c.id == request_id)).one()
        return Lease(request_id, owner, int(row.attempts), 1, int(row.priority), now + self.lease)

    # -- while running -----------------------------------------------------

    def heartbeat(self, lease: Lease) -> bool:
        """Renew the lease; False once it was lost (reaped, cancelled, taken over)."""
        now = self.clock()
        with self.engine.begin() as conn:
            result = conn.execute(
                update(T).where(self._guarded(lease)).values(heartbeat_at=now, lease_expires_at=now + self.lease)
            )
        return result.rowcount == 1

    def report_progress(self, lease: Lease, fraction: float, message: str) -> bool:
        """Write progress (callers rate-limit); False once the lease was lost."""
        with self.engine.begin() as conn:
            result = conn.execute(
                update(T)
                .where(self._guarded(lease))
                .values(progress=max(0.0, min(1.0, fraction)), progress_message=message[:500], updated_at=self.clock())
            )
        return result.rowcount == 1

    def should_stop(self, lease: Lease) -> bool:
        """True when cancellation was asked for or this worker no longer holds the lease."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(T.c.cancel_requested, T.c.status, T.c.lease_owner).where(T.c.id == lease.request_id)
            ).first()
        return row is None or bool(row.cancel_requested) or row.status != "running" or row.lease_owner != lease.owner

    # -- settling ----------------------------------------------------------

    def _settle(self, conn: Connection, where: ColumnElement[bool], status: str, error: str | None, now: datetime) -> bool:
        """Move the row(s) matching ``where`` to ``status`` and drop the lease."""
        values: dict[str, object] = {
            "status": status,
            "error": error,
            "lease_owner": None,
            "lease_expires_at": None,
            "updated_at": now,
        }
        if status in FINISHED_STATUSES:
            values["finished_at"] = now
            values["progress_message"] = None  # what it was doing last is stale once it ended
            if status in ("succeeded", "partial"):
                values["progress"] = 1.0
        return conn.execute(update(T).where(where).values(**values)).rowcount == 1

    def finish(self, lease: Lease, status: str, error: str | None = None, *, conn: Connection | None = None) -> bool:
        """Record the final status, only if this worker still holds the lease.

        Pass ``conn`` to make the transition part of a larger transaction
        (the one that saves results), so both happen or neither does.
        """
        if status not in FINISHED_STATUSES:
            raise ValueError(f"'{status}' is not a final status")
        if conn is not None:
            return self._settle(conn, self._guarded(lease), status, error, self.clock())
        with self.engine.begin() as own:
            return self._settle(own, self._guarded(lease), status, error, self.clock())

    def retry_or_fail(self, lease: Lease, reason: str) -> str | None:
        """After an attempt failed for a passing reason: back to the queue, or failed when out of attempts.

        Returns the new status, or None when the lease had already been lost.
        """
        if lease.attempt >= lease.max_attempts:
            status, error = "failed", f"gave up after {lease.attempt} attempts: {reason}"
        else:
            status, error = "queued", f"attempt {lease.attempt} of {lease.max_attempts} failed, will retry: {reason}"
        with self.engine.begin() as conn:
            return status if self._settle(conn, self._guarded(lease), status, error, self.clock()) else None

    def reap(self, limit: int = 500) -> ReapReport:
        """Return jobs whose lease expired to the queue (or fail/cancel them)."""
        now = self.clock()
        report = ReapReport()
        query = (
            select(T.c.id, T.c.attempts, T.c.max_attempts, T.c.lease_owner, T.c.cancel_requested)
            .where(T.c.status == "running", T.c.lease_expires_at < now)
            .order_by(T.c.lease_expires_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._exclusive() as conn:
            for row in conn.execute(query).all():
                owner_guard = (T.c.id == row.id) & (T.c.status == "running") & (T.c.lease_owner == row.lease_owner)
                reason = _lost_reason(row.lease_owner, row.attempts, row.max_attempts)
                if row.cancel_requested:
                    status, error, bucket = "cancelled", "cancelled", report.cancelled
                elif is_direct_run(row.lease_owner):
                    status, error, bucket = "failed", DIRECT_RUN_STOPPED, report.failed
                elif row.attempts >= row.max_attempts:
                    status, error, bucket = "failed", f"gave up: {reason}", report.failed
                else:
                    status, error, bucket = "queued", f"{reason}; queued again", report.requeued
                if self._settle(conn, owner_guard, status, error, now):
                    bucket.append(row.id)
        return report

    # -- broker messages ---------------------------------------------------

    def mark_published(self, request_ids: list[int]) -> None:
        """Record that the messages of ``request_ids`` were just sent to the broker."""
        if request_ids:
            with self.engine.begin() as conn:
                conn.execute(update(T).where(T.c.id.in_(request_ids)).values(published_at=self.clock()))

    def take_unsent(self, older_than: float, limit: int = 200) -> list[int]:
        """Queued requests not sent for ``older_than`` seconds (or never), marked as sent now.

        The caller sends them. Marking in the same exclusive transaction makes
        each request go to one caller when several workers look at once.
        """
        now = self.clock()
        last_sent = func.coalesce(T.c.published_at, T.c.created_at)
        query = (
            select(T.c.id)
            .where(T.c.status == "queued", last_sent < now - timedelta(seconds=older_than))
            .order_by(T.c.priority.desc(), T.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        with self._exclusive() as conn:
            ids = [row.id for row in conn.execute(query)]
            if ids:
                conn.execute(update(T).where(T.c.id.in_(ids)).values(published_at=now))
        return ids

    # -- requests from users -----------------------------------------------

    def request_cancel(self, request_id: int) -> str:
        """Cancel a job: at once when queued, at its next check when running.

        Returns the status after the call (a finished job keeps its status).
        """
        now = self.clock()
        with self._exclusive() as conn:
            row = conn.execute(select(T.c.status).where(T.c.id == request_id).with_for_update()).first()
            if row is None:
                raise JobNotFound(f"no analysis request {request_id}")
            if row.status in FINISHED_STATUSES:
                return row.status
            if row.status == "queued":
                self._settle(conn, T.c.id == request_id, "cancelled", "cancelled before it ran", now)
                conn.execute(update(T).where(T.c.id == request_id).values(cancel_requested=True))
                return "cancelled"
            conn.execute(update(T).where(T.c.id == request_id).values(cancel_requested=True, updated_at=now))
            return row.status

    def overview(self, running_limit: int = 50) -> dict[str, Any]:
        """Counts by status, the oldest queued job's creation time and the running leases."""
        with self.engine.connect() as conn:
            counts = {row[0]: row[1] for row in conn.execute(select(T.c.status, func.count()).group_by(T.c.status))}
            oldest = conn.execute(select(func.min(T.c.created_at)).where(T.c.status == "queued")).scalar()
            running = conn.execute(
                select(T.c.id, T.c.attempts, T.c.max_attempts, T.c.lease_owner, T.c.lease_expires_at)
                .where(T.c.status == "running").order_by(T.c.id).limit(running_limit)
            ).all()

        def iso(value: datetime | None) -> str | None:
            aware = _aware(value)
            return aware.isoformat() if aware else None

        return {
            "counts": {status: int(counts[status]) for status in REQUEST_STATUSES if status in counts},
            "oldest_queued": iso(oldest),
            "running": [
                {"id": r.id, "attempts": r.attempts, "max_attempts": r.max_attempts,
                 "lease_owner": r.lease_owner, "lease_expires_at": iso(r.lease_expires_at)}
                for r in running
            ],
        }

    def priority(self, request_id: int) -> int:
        """The request's priority (higher runs first)."""
        with self.engine.connect() as conn:
            value = conn.execute(select(T.c.priority).where(T.c.id == request_id)).scalar()
        if value is None:
            raise JobNotFound(f"no analysis request {request_id}")
        return int(value)

    def status(self, request_id: int) -> str:
        """The request's current status."""
        with self.engine.connect() as conn:
            value = conn.execute(select(T.c.status).where(T.c.id == request_id)).scalar()
        if value is None:
            raise JobNotFound(f"no analysis request {request_id}")
        return value
