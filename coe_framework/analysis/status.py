"""The narrow port through which an analysis reports its request's status and progress.

The service never writes a request's status itself: it tells a
:class:`StatusPort`. :class:`coe_framework.db.request_status.RequestStatus`
writes to the request row; a job's lease guard
(:class:`coe_framework.queue.guard.LeaseGuard`) wraps it, so progress is
written only while the job's worker holds the lease and the final status is
left to the executor that settles the job.
"""
from __future__ import annotations

from typing import Protocol


class StatusPort(Protocol):
    """What the service says about a running request."""

    def running(self, request_id: int) -> bool:
        """The request (queued, or already running) is running now; False when that no longer holds."""

    def progress(self, request_id: int, fraction: float, message: str) -> bool:
        """Overall progress in [0, 1] with a short message; False when not written."""

    def finished(self, request_id: int, status: str, error: str | None) -> bool:
        """The analysis ran to an end (succeeded, partial, failed, cancelled) with its errors."""

    def failed(self, request_id: int, error: str) -> bool:
        """The analysis stopped on an error before or while it ran."""

    def before_write(self) -> None:
        """Called before results are written; raises when this process may no longer write them."""
