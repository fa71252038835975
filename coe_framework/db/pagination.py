"""Keyset (cursor) pagination, newest first: the one helper of the store, the CLI and the API.

A listing is ordered by descending primary key and a page ends where the
previous one stopped, so pages stay stable while new rows arrive. Cursors are
opaque (base64url JSON naming the last id shown); a cursor or page size that
cannot be used is a :class:`PageError` with one message, whoever asked.
"""
from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Select
from sqlalchemy.orm import Session

from .errors import StoreError

#: The largest page any listing returns, whatever limit was asked.
MAX_PAGE_SIZE = 500
#: What a cursor that is not one of ours (or is damaged) gets, on the CLI and over HTTP.
INVALID_CURSOR = "invalid cursor; use the one from the previous page"


class PageError(StoreError):
    """A cursor or limit that cannot be used; ``field`` is ``cursor`` or ``limit``."""


@dataclass
class Page:
    """One page of a listing; ``next_cursor`` is None on the last page."""

    items: list[dict[str, Any]]
    next_cursor: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """``{"items": [...], "next_cursor": ...}``, the body of every listing."""
        return {"items": self.items, "next_cursor": self.next_cursor}


def encode_cursor(last_id: int) -> str:
    """An opaque cursor pointing after row ``last_id``."""
    return base64.urlsafe_b64encode(json.dumps({"after": int(last_id)}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The row id a cursor points after (None for no cursor); :class:`PageError` for a malformed one."""
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise PageError(INVALID_CURSOR, field="cursor") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PageError(INVALID_CURSOR, field="cursor")
    return value


def page_size(limit: int, maximum: int = MAX_PAGE_SIZE) -> int:
    """``limit`` capped at ``maximum``; :class:`PageError` unless it is a positive integer."""
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise PageError("limit must be a positive integer", field="limit")
    return min(limit, maximum)


def paginate(session: Session, query: Select[Any], id_column: Any, *, limit: int, cursor: str | None,
             serialize: Callable[[Any], dict[str, Any]]) -> Page:
    """One page of ``query``'s rows, newest first (descending ``id_column``), after ``cursor``."""
    size = page_size(limit)
    after = decode_cursor(cursor)
    if after is not None:
        query = query.where(id_column < after)
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page([serialize(r) for r in rows], encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None)
