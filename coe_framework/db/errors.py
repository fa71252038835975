"""The database layer's error: a request to the store that cannot be honoured.

Kept apart from :mod:`coe_framework.db.store` so the pagination helper (and
any other db module) can raise it without importing the store.
"""
from __future__ import annotations

from ..errors import BadInput


class StoreError(BadInput, ValueError):
    """A request to the store that cannot be honoured (one line, safe to show).

    A :class:`~coe_framework.errors.BadInput`; also a ``ValueError``, which
    callers and plugins caught before the error kinds existed.
    """
