"""Measure declarations and their values.

A plugin declares measures through the ``coe_register_measures`` hook: each
:class:`Measure` names a key, the analyzer whose result it is computed from
and a function of that result. Values are computed in the parent process when
results are stored, so a measure function must be quick and pure; one that
raises or returns something that is not a finite number is left out (and
logged), never failing the analysis.

A measure may instead need a baseline (``compare``): such a measure is
computed only by a quality gate, from the gated result and the baseline's
result of the same analyzer, and is never stored.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Literal, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from ..plugin.manager import PluginManager

log = logging.getLogger(__name__)

#: Measure keys: lowercase identifiers, so a gate condition can name them bare.
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: The longest description shown.
MAX_DESCRIPTION = 300

Number = float
ValueFunction = Callable[[Mapping[str, Any]], "int | float | None"]
CompareFunction = Callable[[Mapping[str, Any], Mapping[str, Any]], "int | float | None"]


@dataclass(frozen=True)
class Measure:
    """One measure: ``key``, computed from the result of ``analyzer``.

    Exactly one of ``value`` (result -> number or None) and ``compare``
    ((result, baseline result) -> number or None) is given. ``better`` says
    which way is an improvement (``"lower"``, ``"higher"`` or None), for
    readers of trends.
    """

    key: str
    analyzer: str
    description: str
    value: ValueFunction | None = None
    compare: CompareFunction | None = None
    better: Literal["lower", "higher"] | None = None

    @property
    def needs_baseline(self) -> bool:
        """True for a measure computed against a baseline (gates only)."""
        return self.compare is not None

    def problems(self) -> list[str]:
        """What is wrong with this declaration, empty when nothing."""
        found = []
        if not isinstance(self.key, str) or not KEY_PATTERN.match(self.key):
            found.append(f"measure key {self.key!r} must be a lowercase identifier (letters, digits, '_')")
        if not isinstance(self.analyzer, str) or not self.analyzer:
            found.append(f"measure {self.key!r} must name the analyzer whose result it reads")
        if (self.value is None) == (self.compare is None):
            found.append(f"measure {self.key!r} needs exactly one of value= and compare=")
        if self.better not in (None, "lower", "higher"):
            found.append(f"measure {self.key!r}: better must be 'lower', 'higher' or None")
        return found

    def describe(self) -> dict[str, Any]:
        """The declaration as JSON (no functions)."""
        return {
            "key": self.key,
            "analyzer": self.analyzer,
            "description": str(self.description)[:MAX_DESCRIPTION],
            "better": self.better,
            "needs_baseline": self.needs_baseline,
        }


class Catalogue:
    """Every declared measure by key, with the plugin that declared it."""

    def __init__(self, measures: Mapping[str, Measure], owners: Mapping[str, str]):
        self.measures = dict(sorted(measures.items()))
        self.owners = dict(owners)

    def __contains__(self, key: object) -> bool:
        return key in self.measures

    def get(self, key: str) -> Measure | None:
        return self.measures.get(key)

    def keys(self) -> list[str]:
        return list(self.measures)

    def stored(self) -> list[Measure]:
        """The measures computed from one result (those kept in the ``measures`` table)."""
        return [m for m in self.measures.values() if not m.needs_baseline]

    def values(self, results: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, float]]:
        """``{key: (analyzer, value)}`` of every stored measure whose analyzer's result is in ``results``."""
        found: dict[str, tuple[str, float]] = {}
        for measure in self.stored():
            data = results.get(measure.analyzer)
            if data is None:
                continue
            value = _safely(measure, lambda: measure.value(data))  # type: ignore[misc]
            if value is not None:
                found[measure.key] = (measure.analyzer, value)
        return found

    def compared(self, key: str, current: Mapping[str, Mapping[str, Any]], baseline: Mapping[str, Mapping[str, Any]]) -> float | None:
        """A baseline measure's value; None when either result is missing or it yields none."""
        measure = self.measures[key]
        assert measure.compare is not None
        data, base = current.get(measure.analyzer), baseline.get(measure.analyzer)
        if data is None or base is None:
            return None
        return _safely(measure, lambda: measure.compare(data, base))  # type: ignore[misc]


def _safely(measure: Measure, compute: Callable[[], Any]) -> float | None:
    try:
        value = compute()
    except Exception as exc:  # noqa: BLE001 - a plugin's measure never breaks storing results
        log.warning("measure %s raised %s: %s (left out)", measure.key, type(exc).__name__, exc)
        return None
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        log.warning("measure %s returned %r, not a finite number (left out)", measure.key, value)
        return None
    return float(value)


def catalogue(manager: "PluginManager") -> Catalogue:
    """The measures the manager's plugins declare (collected once per manager).

    A declaration with problems, or a key another plugin declared first, is
    recorded as the declaring plugin's load error and left out.
    """
    cached = getattr(manager, "_coe_measures", None)
    if cached is not None:
        return cached
    found: dict[str, Measure] = {}
    owners: dict[str, str] = {}

    def record(plugin: str, measure: Any) -> None:
        if not isinstance(measure, Measure):
            raise TypeError(f"register() expects a coe_framework.measures.Measure, got {type(measure).__name__}")
        problems = measure.problems()
        if problems:
            raise ValueError("; ".join(problems))
        if measure.key in found:
            raise ValueError(f"measure '{measure.key}' is already declared by plugin '{owners[measure.key]}'")
        found[measure.key] = measure
        owners[measure.key] = plugin

    manager.collect("coe_register_measures", record)
    result = Catalogue(found, owners)
    manager._coe_measures = result  # type: ignore[attr-defined]
    return result
