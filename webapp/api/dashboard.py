"""The dashboard's blueprint (pages and chart data live in :mod:`coe_webapp.dashboard`)."""
from __future__ import annotations

from ..dashboard.views import bp

__all__ = ["bp"]
