"""Verdicts: each condition against the current measures and, for a change, the baseline's.

A condition is ``passed`` or ``failed``; ``error`` when the measure has no
value (its analyzer did not run or did not succeed), which fails the gate
too; ``skipped`` when it compares with a baseline and there is none (a
repository's first analysis), which does not. The gate passes when no
condition failed or erred.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from ..measures.registry import Catalogue
from .conditions import Condition


@dataclass
class Baseline:
    """The analysis compared against."""

    repository_analysis_id: int
    commit: str
    results: Mapping[str, Mapping[str, Any]]


@dataclass
class Verdict:
    """One condition's outcome."""

    condition: Condition
    status: str  # passed | failed | error | skipped
    actual: float | None = None
    current: float | None = None
    baseline: float | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("passed", "skipped")

    def to_dict(self) -> dict[str, Any]:
        return {**self.condition.to_dict(), "status": self.status, "actual": self.actual, "current": self.current,
                "baseline": self.baseline, "reason": self.reason}

    def line(self) -> str:
        """``PASS  mean_complexity <= 4  (actual 3.2)``: the one-line verdict the CLI prints."""
        label = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "skipped": "SKIP"}[self.status]
        if self.actual is None:
            return f"{label:<5} {self.condition.text}  ({self.reason})"
        detail = f"actual {_shown(self.actual, signed=self.condition.delta)}"
        if self.condition.delta:
            detail += f": {_shown(self.current)} now, {_shown(self.baseline)} at the baseline"
        return f"{label:<5} {self.condition.text}  ({detail})"


@dataclass
class GateOutcome:
    """Every verdict of one gate on one repository analysis."""

    verdicts: list[Verdict]
    source: str
    baseline: Baseline | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(v.ok for v in self.verdicts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "source": self.source,
            "baseline": {"repository_analysis_id": self.baseline.repository_analysis_id, "commit": self.baseline.commit} if self.baseline else None,
            "conditions": [v.to_dict() for v in self.verdicts],
        }


def _shown(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "none"
    text = f"{value:+g}" if signed else f"{value:g}"
    return text


def evaluate(conditions: Sequence[Condition], measures: Catalogue, results: Mapping[str, Mapping[str, Any]],
             baseline: Baseline | None, source: str) -> GateOutcome:
    """The verdict of every condition on ``results`` (analyzer -> succeeded payload)."""
    current = measures.values(results)
    before = measures.values(baseline.results) if baseline is not None else {}
    verdicts = []
    for condition in conditions:
        declared = measures.measures[condition.measure]
        if declared.needs_baseline or condition.delta:
            if baseline is None:
                verdicts.append(Verdict(condition, "skipped", reason="no baseline: no earlier analysis of the repository to compare with"))
                continue
        if declared.needs_baseline:
            assert baseline is not None
            actual = measures.compared(condition.measure, results, baseline.results)
            if actual is None:
                verdicts.append(Verdict(condition, "error", reason=f"no value: the '{declared.analyzer}' analyzer has no result here or at the baseline"))
                continue
            verdicts.append(Verdict(condition, "passed" if condition.holds(actual) else "failed", actual=actual))
            continue
        now = current.get(condition.measure)
        if now is None:
            verdicts.append(Verdict(condition, "error", reason=f"no value: the '{declared.analyzer}' analyzer did not run or did not succeed"))
            continue
        value = now[1]
        if condition.delta:
            then = before.get(condition.measure)
            if then is None:
                verdicts.append(Verdict(condition, "error", current=value, reason=f"no value at the baseline ({baseline.commit[:12]})"))  # type: ignore[union-attr]
                continue
            change = value - then[1]
            verdicts.append(Verdict(condition, "passed" if condition.holds(change) else "failed", actual=change, current=value, baseline=then[1]))
        else:
            verdicts.append(Verdict(condition, "passed" if condition.holds(value) else "failed", actual=value, current=value))
    return GateOutcome(verdicts, source, baseline)
