"""A request row's status and progress, written as an analysis reports them.

:class:`RequestStatus` is the store-side implementation of the service's
status port (:class:`coe_framework.analysis.status.StatusPort`): each call is
one conditional update of the row (a status only moves on from the states it
is expected in).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from .store import Store


class RequestStatus:
    """Writes what an analysis reports to its request row in ``store``."""

    def __init__(self, store: "Store"):
        self.store = store

    def running(self, request_id: int) -> bool:
        """Mark a queued (or re-run) request running."""
        return self.store.update_request(request_id, status="running", expect_status=("queued", "running"))

    def progress(self, request_id: int, fraction: float, message: str) -> bool:
        """Write progress while the request runs."""
        return self.store.update_request(request_id, progress=fraction, progress_message=message, expect_status=("running",))

    def finished(self, request_id: int, status: str, error: str | None) -> bool:
        """Record the end of a run: its status, full progress and errors."""
        return self.store.update_request(request_id, status=status, progress=1.0, error=error, expect_status=("running",))

    def failed(self, request_id: int, error: str) -> bool:
        """Record that a queued or running request failed."""
        return self.store.update_request(request_id, status="failed", error=error, expect_status=("queued", "running"))

    def before_write(self) -> None:
        """Nothing to check: the store's own writer may always write."""
