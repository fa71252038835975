"""The condition syntax: ``MEASURE OP NUMBER`` or ``delta(MEASURE) OP NUMBER``.

``OP`` is one of ``<= < >= > == !=``; ``NUMBER`` an integer or decimal
(``-1``, ``4.5``, ``1e3``). ``delta(m)`` is the measure now minus the
measure at the baseline. A measure that needs a baseline by itself
(``new_functions_rank_d_or_worse``) is written bare.
"""
from __future__ import annotations

import difflib
import math
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import BadInput
from ..measures.registry import Catalogue

OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt, "==": operator.eq, "!=": operator.ne,
}
#: The longest condition text accepted.
MAX_LENGTH = 200
_SYNTAX = re.compile(
    r"^\s*(?:(?P<delta>delta)\s*\(\s*(?P<inner>[A-Za-z_][A-Za-z0-9_]*)\s*\)|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
    r"\s*(?P<op><=|>=|==|!=|<|>)\s*(?P<value>[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*$"
)


class ConditionError(BadInput, ValueError):
    """A condition that cannot be used; the message is one line (the caller adds where it came from).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass(frozen=True)
class Condition:
    """One parsed condition, with where it was written."""

    text: str
    measure: str
    op: str
    threshold: float
    delta: bool = False
    #: ``coe.toml:12``, ``pyproject.toml:40`` or ``--condition 2``.
    source: str = ""

    @property
    def needs_baseline(self) -> bool:
        return self.delta

    def holds(self, actual: float) -> bool:
        return OPERATORS[self.op](actual, self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return {"condition": self.text, "measure": self.measure, "delta": self.delta, "op": self.op,
                "threshold": self.threshold, "source": self.source}


def parse_condition(text: Any, measures: Catalogue, source: str = "") -> Condition:
    """Parse and check one condition; :class:`ConditionError` says what is wrong."""
    if not isinstance(text, str):
        raise ConditionError(f"a condition must be a string such as 'mean_complexity <= 4', got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"condition is longer than {MAX_LENGTH} characters")
    if any(ord(ch) < 32 and ch not in "\t" for ch in text):
        raise ConditionError("condition contains control characters")
    match = _SYNTAX.match(text)
    if match is None:
        raise ConditionError(f"cannot read condition {text.strip()!r}: write MEASURE OP NUMBER or delta(MEASURE) OP NUMBER, "
                             f"OP one of {' '.join(OPERATORS)}")
    key = match.group("inner") or match.group("bare")
    measure = measures.get(key)
    if measure is None:
        close = difflib.get_close_matches(key, measures.keys(), n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"known: {', '.join(measures.keys())}"
        raise ConditionError(f"unknown measure '{key}' ({hint})")
    delta = match.group("delta") is not None
    if delta and measure.needs_baseline:
        raise ConditionError(f"'{key}' already compares with the baseline; write it without delta()")
    threshold = float(match.group("value"))
    if not math.isfinite(threshold):
        raise ConditionError(f"the number in {text.strip()!r} is out of range")
    shown = f"delta({key})" if delta else key
    return Condition(f"{shown} {match.group('op')} {match.group('value')}", key, match.group("op"), threshold, delta, source)
