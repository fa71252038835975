"""The reaper: returns the jobs of dead workers to the queue, on a thread of its own."""
from __future__ import annotations

import logging
import threading
from typing import Callable

from ..queue.leases import JobQueue, ReapReport

log = logging.getLogger(__name__)


class Reaper:
    """Returns expired leases to the queue every ``interval`` seconds on a daemon thread.

    ``after_pass``, when given, runs after every pass (Celery sends lost
    messages again there).
    """

    def __init__(self, queue_of: Callable[[], JobQueue], interval: float, on_requeued: Callable[[list[int]], None],
                 after_pass: Callable[[], None] | None = None):
        self.queue_of = queue_of
        self.interval = interval
        self.on_requeued = on_requeued
        self.after_pass = after_pass
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="coe-reaper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def run_once(self) -> ReapReport:
        """One pass; errors are logged, never raised (the next pass tries again)."""
        try:
            report = self.queue_of().reap()
        except Exception:  # noqa: BLE001 - a reaper must outlive a database hiccup
            log.warning("reaping expired job leases failed", exc_info=True)
            return ReapReport()
        if report:
            log.warning("reaper: requeued %s, failed %s, cancelled %s", report.requeued, report.failed, report.cancelled)
        if report.requeued:
            self.on_requeued(report.requeued)
        if self.after_pass is not None:
            try:
                self.after_pass()
            except Exception:  # noqa: BLE001 - like reaping, retried on the next pass
                log.warning("the reaper's follow-up failed", exc_info=True)
        return report

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()
