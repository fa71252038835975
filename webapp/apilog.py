"""API call logging without a database write on the request path.

Requests append a small record to a bounded in-memory buffer; a background
thread writes the buffer to ``api_logs`` in batches (one multi-row INSERT per
batch) and, in the same unit of work, records each session's last activity.
When the buffer is full the oldest records are dropped and counted, so a slow
database can never make requests wait or memory grow. :meth:`close` flushes
what is left (graceful shutdown). With a retention, the same thread deletes
rows older than it once every ``prune_every`` seconds.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import ApiLog, UserSession
from coe_framework.db.retention import BATCH_ROWS, prune_api_logs

log = logging.getLogger(__name__)
#: Batches of old rows deleted per pass of the writer thread.
PRUNE_BATCHES_PER_PASS = 4


class ApiLogBuffer:
    """A bounded queue of api_logs rows and the thread that writes them."""

    def __init__(
        self,
        engine: Engine,
        *,
        capacity: int = 10_000,
        batch_size: int = 500,
        interval: float = 1.0,
        retention: timedelta | None = None,
        prune_every: float = 3600.0,
    ):
        self.engine = engine
        self.capacity = capacity
        self.batch_size = batch_size
        self.interval = interval
        self.retention = retention
        self.prune_every = prune_every
        self._next_prune = time.monotonic()  # the first pass prunes what accumulated while the app was down
        self.pruned = 0
        self._rows: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self.dropped = 0
        self.written = 0
        self.failed_batches = 0

    def add(self, row: dict[str, Any]) -> None:
        """Queue one row; never blocks on the database."""
        with self._lock:
            if len(self._rows) >= self.capacity:
                self._rows.popleft()
                self.dropped += 1
            self._rows.append(row)
            full = len(self._rows) >= self.batch_size
        self._ensure_thread()
        if full:
            self._wake.set()

    def __len__(self) -> int:
        return len(self._rows)

    def _ensure_thread(self) -> None:
        # Started lazily and per process: a forked worker gets its own thread.
        if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == os.getpid() and self._thread.is_alive():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="coe-api-log", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            self.flush()
            if self.retention is not None and time.monotonic() >= self._next_prune:
                # A few batches per pass, so writing new rows never waits long behind
                # deleting old ones; a backlog of old rows is worked off pass by pass.
                done = self.prune(max_batches=PRUNE_BATCHES_PER_PASS)
                backlog = done >= PRUNE_BATCHES_PER_PASS * BATCH_ROWS
                self._next_prune = time.monotonic() + (self.interval if backlog else self.prune_every)

    def _take(self) -> list[dict[str, Any]]:
        with self._lock:
            count = min(len(self._rows), self.batch_size)
            return [self._rows.popleft() for _ in range(count)]

    def flush(self) -> int:
        """Write everything queued now; returns the number of rows written."""
        total = 0
        while True:
            batch = self._take()
            if not batch:
                return total
            try:
                self._write(batch)
            except Exception as exc:  # noqa: BLE001 - logging must never take the app down
                self.failed_batches += 1
                self.dropped += len(batch)
                log.warning("could not write %d api log rows: %s", len(batch), type(exc).__name__)
                return total
            total += len(batch)
            self.written += len(batch)

    def _write(self, batch: list[dict[str, Any]]) -> None:
        last_seen: dict[int, datetime] = {}
        for row in batch:
            if row.get("session_id") is not None:
                last_seen[row["session_id"]] = max(row["created_at"], last_seen.get(row["session_id"], row["created_at"]))
        with unit_of_work(self.engine) as session:
            # Core insert: one multi-row statement per batch, no ORM bookkeeping.
            session.execute(ApiLog.__table__.insert(), batch)
            for session_id, seen in last_seen.items():
                session.execute(update(UserSession).where(UserSession.id == session_id).values(last_activity_at=seen))

    def prune(self, max_batches: int | None = None) -> int:
        """Delete rows older than the retention now; how many were deleted (0 on failure)."""
        if self.retention is None:
            return 0
        try:
            count = prune_api_logs(self.engine, self.retention, max_batches=max_batches)
        except Exception as exc:  # noqa: BLE001 - pruning is retried on the next pass
            log.warning("could not prune api logs: %s", type(exc).__name__)
            return 0
        self.pruned += count
        return count

    def close(self, timeout: float = 10.0) -> None:
        """Stop the thread and flush what is left."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is not None and thread.is_alive() and self._pid == os.getpid():
            thread.join(timeout)
        self.flush()

    def stats(self) -> dict[str, int]:
        return {"queued": len(self._rows), "written": self.written, "dropped": self.dropped, "failed_batches": self.failed_batches, "pruned": self.pruned}
