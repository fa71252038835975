"""The ``git`` analyzer's measures (``coe_register_measures``)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Mapping

from coe_framework.plugin_api import Measure

#: An author is active when their last commit is this recent, counted back from the analyzed commit.
ACTIVE_DAYS = 90
#: A listed hotspot counts as one when its score is at least this (1.0 is the strongest file).
HOTSPOT_SCORE = 0.5


def _date(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def authors_active(result: Mapping[str, Any]) -> int | None:
    """Authors with a commit in the 90 days before the newest mined commit (not before today:
    an old commit's history is measured as it was then)."""
    newest = _date(result.get("last_commit_at"))
    if newest is None:
        return None
    since = newest - timedelta(days=ACTIVE_DAYS)
    authors = result.get("authors") if isinstance(result.get("authors"), list) else []
    return sum(1 for a in authors if isinstance(a, Mapping) and (_date(a.get("last_commit_at")) or since) > since)


def hotspots(result: Mapping[str, Any]) -> int:
    """Listed hotspots scoring at least half of the strongest."""
    spots = result.get("hotspots") if isinstance(result.get("hotspots"), list) else []
    return sum(1 for s in spots if isinstance(s, Mapping) and isinstance(s.get("score"), (int, float)) and s["score"] >= HOTSPOT_SCORE)


def _truck_factor(result: Mapping[str, Any]) -> Any:
    found = result.get("truck_factor")
    return found.get("value") if isinstance(found, Mapping) else None


def measures() -> list[Measure]:
    """Activity, authorship and concentration of change."""
    return [
        Measure("commits", "git", "Commits reachable from the analyzed commit", value=lambda r: r.get("commits")),
        Measure("merges", "git", "Merge commits", value=lambda r: r.get("merges")),
        Measure("authors", "git", "Distinct authors (after .mailmap)", value=lambda r: r.get("author_count")),
        Measure("authors_active_90d", "git", f"Authors with a commit in the {ACTIVE_DAYS} days before the analyzed commit",
                value=authors_active, better="higher"),
        Measure("truck_factor", "git", "Fewest authors whose leaving would orphan half the files", value=_truck_factor, better="higher"),
        Measure("hotspots", "git", f"Hotspot files scoring at least {HOTSPOT_SCORE} of the strongest", value=hotspots, better="lower"),
        Measure("churn", "git", "Lines added plus lines removed over the whole history",
                value=lambda r: (r.get("lines_added") or 0) + (r.get("lines_removed") or 0)),
    ]
