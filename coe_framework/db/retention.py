"""How long API call logs are kept, and removing older ones.

Every API call adds an ``api_logs`` row, so under load the table grows by
millions of rows a day. Rows older than the retention are deleted in batches
of :data:`BATCH_ROWS`, each in its own short transaction, so pruning never
holds a long lock on a table the API writes to every second.
"""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select

from .engine import unit_of_work
from .models import ApiLog, utcnow

#: Rows deleted per transaction.
BATCH_ROWS = 5_000


def prune_api_logs(
    engine: Engine,
    older_than: timedelta,
    *,
    now: datetime | None = None,
    batch_rows: int = BATCH_ROWS,
    max_batches: int | None = None,
) -> int:
    """Delete ``api_logs`` rows created more than ``older_than`` ago; how many were deleted.

    ``max_batches`` bounds one call (a caller with other work to do comes
    back for the rest); without it, everything due goes.
    """
    if older_than <= timedelta(0):
        raise ValueError("the retention must be positive")
    cutoff = (now or utcnow()) - older_than
    deleted = 0
    for _batch in itertools.count() if max_batches is None else range(max_batches):
        oldest = select(ApiLog.id).where(ApiLog.created_at < cutoff).order_by(ApiLog.id).limit(batch_rows)
        with unit_of_work(engine, write=True) as session:
            ids = list(session.scalars(oldest))
            if ids:
                session.execute(delete(ApiLog).where(ApiLog.id.in_(ids)))
        deleted += len(ids)
        if len(ids) < batch_rows:
            break
    return deleted
