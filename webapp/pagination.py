"""Listings of the API: the db layer's keyset pages with RFC 8288 ``Link`` headers.

Listings are newest first by primary key and page with the same opaque
cursors as the store and the CLI (:mod:`coe_framework.db.pagination`): a bad
cursor is the same :class:`~coe_framework.db.pagination.PageError` with the
same message everywhere, answered here as a 422 naming the field.
"""
from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request

from coe_framework.db.pagination import Page, paginate

from .problems import Problem

__all__ = ["Page", "invalid_query", "link_header", "page_response", "paginate"]


def invalid_query(field: str, message: str) -> Problem:
    """A 422 naming one query parameter."""
    return Problem(422, f"invalid fields: {field}", errors=[{"location": "query", "field": field, "message": message}])


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
