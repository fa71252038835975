"""Cursor (keyset) pagination with RFC 8288 ``Link`` headers.

Listings are newest first by primary key; cursors are the store's opaque
cursors (:func:`coe_framework.db.store.encode_cursor`), so every listing of
the API pages the same way and stays stable while new rows arrive.
"""
from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urlencode

from flask import request
from sqlalchemy import Select
from sqlalchemy.orm import Session

from coe_framework.db.store import Page, StoreError, decode_cursor, encode_cursor

from .problems import Problem


def invalid_query(field: str, message: str) -> Problem:
    """A 422 naming one query parameter."""
    return Problem(422, f"invalid fields: {field}", errors=[{"location": "query", "field": field, "message": message}])


def paginate(session: Session, query: Select[Any], id_column: Any, *, limit: int, cursor: str | None,
             serialize: Callable[[Any], dict[str, Any]]) -> Page:
    """One page of ``query``, newest first, below ``cursor`` (422 for a cursor that is not ours)."""
    try:
        before = decode_cursor(cursor)
    except StoreError:
        raise invalid_query("cursor", "invalid cursor; use the one from the previous page") from None
    if before is not None:
        query = query.where(id_column < before)
    rows = list(session.scalars(query.order_by(id_column.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([serialize(r) for r in rows], encode_cursor(getattr(rows[-1], id_column.key)) if more and rows else None)


def link_header(page: Page, limit: int) -> dict[str, str]:
    """``Link: <...>; rel="next"`` keeping the current filters (empty on the last page)."""
    if page.next_cursor is None:
        return {}
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in ("cursor", "limit")]
    args += [("limit", str(limit)), ("cursor", page.next_cursor)]
    return {"Link": f'<{request.base_url}?{urlencode(args)}>; rel="next"'}


def page_response(page: Page, limit: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Body, status and headers of a listing."""
    return page.to_dict(), 200, link_header(page, limit)
