"""Deleting embedding vectors no stored document uses any more.

Vectors are shared by every document with the same id (one commit analysed
twice), so deleting an analysis deletes only the vectors left without a
document. Whoever keeps vectors in memory (the search's exact-scan
matrices) asks to hear of such deletions with :func:`when_vectors_removed`.
"""
from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, cast

from sqlalchemy import CursorResult, delete, exists
from sqlalchemy.orm import Session

from .engine import chunks
from .models import RagDocument, VectorEmbedding

_listeners: list[Callable[[], None]] = []
_lock = threading.Lock()


def when_vectors_removed(listener: Callable[[], None]) -> None:
    """Call ``listener`` (no arguments) in this process whenever :func:`forget_orphans` deletes vectors."""
    with _lock:
        if listener not in _listeners:
            _listeners.append(listener)


def forget_orphans(session: Session, document_ids: Iterable[str] | None = None) -> int:
    """Delete vectors whose document id no stored document carries any more (of ``document_ids``, or all)."""
    orphan = ~exists().where(RagDocument.document_id == VectorEmbedding.document_id)
    if document_ids is None:
        # A DML statement's result is a CursorResult (Session.execute is typed as returning Result).
        removed = int(cast(CursorResult[Any], session.execute(delete(VectorEmbedding).where(orphan))).rowcount or 0)
    else:
        removed = 0
        for part in chunks(sorted(set(document_ids))):
            deleted = session.execute(delete(VectorEmbedding).where(VectorEmbedding.document_id.in_(part), orphan))
            removed += int(cast(CursorResult[Any], deleted).rowcount or 0)
    if removed:
        with _lock:
            listeners = list(_listeners)
        for listener in listeners:
            listener()
    return removed
