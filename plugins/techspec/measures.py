"""The ``techspec`` analyzer's measures (``coe_register_measures``)."""
from __future__ import annotations

import re
from typing import Any, Mapping

from coe_framework.plugin_api import Measure

#: A constraint that names one version exactly (``==1.2.3``, ``=1.2.3``, ``1.2.3``), not a range.
_EXACT = re.compile(r"^\s*(===?|=)?\s*v?\d[\w.+-]*\s*$")


def _direct(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    deps = result.get("dependencies") if isinstance(result.get("dependencies"), list) else []
    return [d for d in deps if isinstance(d, Mapping) and d.get("direct")]


def without_version(result: Mapping[str, Any]) -> int:
    """Direct dependencies with neither a constraint nor a locked version."""
    return sum(1 for d in _direct(result) if not d.get("constraint") and not d.get("version"))


def unpinned(result: Mapping[str, Any]) -> int:
    """Direct dependencies whose version is not fixed: no locked version and no exact constraint."""
    return sum(1 for d in _direct(result) if not d.get("version") and not _EXACT.match(str(d.get("constraint") or "")))


def _count(key: str) -> Any:
    return lambda result: len(result.get(key) or ())


def measures() -> list[Measure]:
    """Dependencies, how well they are pinned, and the technology spread."""
    return [
        Measure("dependencies", "techspec", "Direct dependencies declared by manifests", value=lambda r: len(_direct(r))),
        Measure("dependencies_total", "techspec", "Dependencies, direct and locked transitive ones",
                value=lambda r: len(r.get("dependencies") or ())),
        Measure("dependencies_without_version", "techspec", "Direct dependencies with no version constraint and no locked version",
                value=without_version, better="lower"),
        Measure("dependencies_unpinned", "techspec", "Direct dependencies without a locked or exact version",
                value=unpinned, better="lower"),
        Measure("languages", "techspec", "Languages detected", value=_count("languages")),
        Measure("frameworks", "techspec", "Frameworks and tools detected", value=_count("frameworks")),
        Measure("techspec_findings", "techspec", "Findings of the technology rules", value=_count("findings"), better="lower"),
    ]
