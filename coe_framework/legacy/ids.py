"""String analysis ids of the original API, and its status words.

The original services named an analysis by a string (a UUID). An analysis
submitted through the original API, or imported from it, keeps that string
in ``analysis_keys``; every other CoE analysis is addressed by its numeric
id written in decimal. Client-chosen ids are therefore never all digits,
so the two never collide.
"""
from __future__ import annotations

import re
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.engine import chunks
from ..db.models import AnalysisKey, AnalysisRequest

#: The characters of a string id a client may choose (1 to 100); it must not be all digits too.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"
_KEY = re.compile(KEY_PATTERN)

#: CoE's request statuses in the original API's words.
STATUS_WORDS = {
    "queued": "pending",
    "running": "running",
    "succeeded": "completed",
    "partial": "completed",
    "failed": "failed",
    "cancelled": "failed",
}


def valid_key(text: str) -> bool:
    """True when ``text`` may be stored as a client-chosen analysis id."""
    return bool(_KEY.match(text)) and not text.isdigit()


def resolve(session: Session, text: str) -> int | None:
    """The request id ``text`` names (a stored string id, or a decimal request id), or None."""
    if text.isdigit() and text.isascii():
        number = int(text)
        if number >= 2**63:
            return None
        return session.scalar(select(AnalysisRequest.id).where(AnalysisRequest.id == number))
    if not valid_key(text):
        return None
    return session.scalar(select(AnalysisKey.request_id).where(AnalysisKey.key == text))


def keys_for(session: Session, request_ids: Iterable[int]) -> dict[int, AnalysisKey]:
    """The ``analysis_keys`` rows of ``request_ids`` that have one."""
    ids = sorted(set(request_ids))
    found: dict[int, AnalysisKey] = {}
    for chunk in chunks(ids):
        for row in session.scalars(select(AnalysisKey).where(AnalysisKey.request_id.in_(chunk))):
            found[row.request_id] = row
    return found


def public_id(request_id: int, key: AnalysisKey | None) -> str:
    """The string id the original API shows for a request."""
    return key.key if key is not None else str(request_id)


def shows_correlation(key: AnalysisKey | None) -> bool:
    """Whether the original API shows the correlation of a request (yes unless it was submitted without)."""
    return key is None or bool(key.include_correlation)
