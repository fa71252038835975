"""One holder of a named role at a time, through a lease row in the database.

:meth:`LeaderLease.acquire` takes or renews the lease in one guarded
``UPDATE`` (the row is mine, or its lease expired): a database applies one
such update to a row at a time and re-checks the condition, so two
processes never both see ``rowcount == 1``. The first acquisition ever
inserts the row, which the primary key lets only one process win. No lock
is held between calls, so a holder that dies simply stops renewing and
another takes over once ``expires_at`` passed. Clocks of machines sharing a
database must agree (NTP) to well under the lease time.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import Engine, case, insert, or_, update
from sqlalchemy.exc import IntegrityError

from ..db.models import LeaderLease as LeaseRow, utcnow
from ..queue.leases import new_owner

T = LeaseRow.__table__


class LeaderLease:
    """The lease on role ``name`` for ``owner`` (unique per process by default)."""

    def __init__(self, engine: Engine, name: str, *, ttl_seconds: float = 90.0, owner: str | None = None,
                 clock: Callable[[], datetime] = utcnow):
        self.engine = engine
        self.name = name
        self.ttl = timedelta(seconds=ttl_seconds)
        self.owner = owner or new_owner(name)
        self.clock = clock
        self._bind = engine.execution_options(sqlite_begin="immediate") if engine.dialect.name == "sqlite" else engine

    def acquire(self) -> bool:
        """Take the lease if it is free or expired, renew it if it is mine; True when I hold it now."""
        now = self.clock()
        with self._bind.begin() as conn:
            taken = conn.execute(
                update(T)
                .where(T.c.name == self.name, or_(T.c.owner == self.owner, T.c.expires_at <= now))
                .values(owner=self.owner, expires_at=now + self.ttl,
                        acquired_at=case((T.c.owner == self.owner, T.c.acquired_at), else_=now))
            ).rowcount
        if taken == 1:
            return True
        try:
            with self._bind.begin() as conn:
                conn.execute(insert(T).values(name=self.name, owner=self.owner, acquired_at=now, expires_at=now + self.ttl))
            return True
        except IntegrityError:  # the row exists and someone else holds it
            return False

    def release(self) -> None:
        """Give the lease up now (if mine), so another process need not wait for it to expire."""
        with self._bind.begin() as conn:
            conn.execute(update(T).where(T.c.name == self.name, T.c.owner == self.owner).values(expires_at=self.clock()))
