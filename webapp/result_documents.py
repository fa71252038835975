"""Serialized result documents of finished analyses, served from memory.

A finished analysis' results never change, but the analysis can be deleted,
by another worker process too. The whole cache, with the store's cached
reads, is checked against the database at most once per ``recheck_seconds``
(not one query per document): a deleted analysis outlives its deletion by at
most that long in another process. Each document also remembers its
analysis' ``created_at``, so it is never served for another analysis under
the same id (a restored backup can bring one back). While the database is
down, documents are served as they are.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Iterable

from coe_framework.analysis.cache import MemoryCache
from coe_framework.db.store import Store

from .database import DATABASE_DOWN

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResultDocument:
    """One serialized response body and what it was made from."""

    analysis_id: int
    created_at: str | None
    body: bytes
    etag: str


class ResultDocuments:
    """A bounded cache of :class:`ResultDocument` by ``"<analysis id>:<analyzer or *>"``."""

    def __init__(self, store: Store, max_entries: int, recheck_seconds: float):
        self.store = store
        self.cache = MemoryCache(max_entries=max_entries)
        self.recheck_seconds = recheck_seconds
        self._swept_at = time.monotonic()
        self._sweep_lock = threading.Lock()

    @staticmethod
    def key(analysis_id: int, analyzer: str | None) -> str:
        return f"{analysis_id}:{analyzer or '*'}"

    def get(self, analysis_id: int, analyzer: str | None) -> ResultDocument | None:
        return self.cache.get(self.key(analysis_id, analyzer))

    def put(self, analyzer: str | None, document: ResultDocument) -> None:
        self.cache.put(self.key(document.analysis_id, analyzer), document)

    def forget(self, analysis_id: int, analyzers: Iterable[str]) -> None:
        """Drop an analysis' documents from this process (after deleting it here), whatever their slot."""
        slots = [self.key(analysis_id, None)] + [self.key(analysis_id, name) for name in analyzers]
        slots += [key for key, document in self.cache.items() if document.analysis_id == analysis_id]
        self.cache.delete_many(slots)

    def sweep_if_due(self) -> None:
        """Run :meth:`sweep` when ``recheck_seconds`` have passed since the last one (cheap otherwise)."""
        now = time.monotonic()
        # One thread sweeps; the others serve what is cached meanwhile.
        if now - self._swept_at < self.recheck_seconds or not self._sweep_lock.acquire(blocking=False):
            return
        try:
            self._swept_at = now
            self.sweep()
        except DATABASE_DOWN as exc:
            log.debug("result cache not re-checked, database unavailable: %s", type(exc).__name__)
        except Exception:  # noqa: BLE001 - cache upkeep must never fail the request that triggered it
            log.warning("result cache re-check failed; retried in %.0f s", self.recheck_seconds, exc_info=True)
        finally:
            self._sweep_lock.release()

    def sweep(self) -> int:
        """Drop documents (and the store's cached reads) of analyses that are gone; how many documents."""
        vanished = self.store.forget_vanished()
        entries = self.cache.items()
        current = self.store.creation_times(document.analysis_id for _key, document in entries)
        stale = [key for key, document in entries if document.analysis_id in vanished or current.get(document.analysis_id, "-") != document.created_at]
        self.cache.delete_many(stale)
        return len(stale)
