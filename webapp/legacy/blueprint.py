"""The one blueprint of the original routes, with their error forms."""
from __future__ import annotations

from apiflask import APIBlueprint

from .errors import TAG, install

bp = APIBlueprint("legacy", __name__, tag=TAG)
install(bp)
