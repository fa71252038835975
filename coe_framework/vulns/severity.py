"""An advisory's severity: from its CVSS vectors when it has them (the ``cvss`` package).

The newest CVSS version present wins (4.0, then 3.x, then 2.0). Without a
vector, a qualitative severity the database states (GitHub's
``database_specific.severity``) is used. Levels follow CVSS: ``none``,
``low``, ``medium``, ``high``, ``critical``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Sequence

from cvss import CVSS2, CVSS3, CVSS4

#: Qualitative levels, lowest first.
LEVELS = ("none", "low", "medium", "high", "critical")
_PREFERENCE = ("CVSS_V4", "CVSS_V3", "CVSS_V2")
_STATED = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high", "critical": "critical"}


@dataclass(frozen=True)
class Severity:
    """A level, and the score and vector it came from (both None for a stated level)."""

    level: str | None = None
    score: float | None = None
    vector: str | None = None


def level_for_score(score: float) -> str:
    """CVSS's qualitative rating of a base score."""
    if score == 0:
        return "none"
    if score < 4.0:
        return "low"
    if score < 7.0:
        return "medium"
    if score < 9.0:
        return "high"
    return "critical"


@lru_cache(maxsize=20_000)
def score_vector(kind: str, vector: str) -> Severity | None:
    """The base score and level of one vector; None when it does not parse."""
    try:
        if kind == "CVSS_V4":
            score = float(CVSS4(vector).base_score)
        elif kind == "CVSS_V3":
            score = float(CVSS3(vector).scores()[0])
        elif kind == "CVSS_V2":
            score = float(CVSS2(vector).scores()[0])
        else:
            return None
    except Exception:  # noqa: BLE001 - the cvss package raises several types for a bad vector
        return None
    return Severity(level_for_score(score), score, vector[:255])


def severity_of(entries: Any, database_specific: Any = None) -> Severity:
    """The severity of an OSV record from its ``severity`` list, else its stated level."""
    vectors: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else ():
        if isinstance(entry, dict) and isinstance(entry.get("type"), str) and isinstance(entry.get("score"), str):
            vectors.setdefault(entry["type"], entry["score"])
    for kind in _PREFERENCE:
        if kind in vectors:
            found = score_vector(kind, vectors[kind])
            if found is not None:
                return found
    stated = database_specific.get("severity") if isinstance(database_specific, dict) else None
    if isinstance(stated, str) and stated.lower() in _STATED:
        return Severity(_STATED[stated.lower()])
    return Severity()


def at_least(level: str) -> Sequence[str]:
    """The levels at or above ``level`` (``ValueError`` for an unknown one)."""
    if level not in LEVELS:
        raise ValueError(f"unknown severity '{level}' (one of {', '.join(LEVELS)})")
    return LEVELS[LEVELS.index(level):]
