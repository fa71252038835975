"""The ``ast`` analyzer's measures (``coe_register_measures``)."""
from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

from coe_framework.plugin_api import Measure

from .python_complexity import cc_rank

RANKS = "ABCDEF"
#: Rank D (complexity 21-30) and worse: the functions worth a gate.
WORST_RANKS = frozenset("DEF")


def _totals(result: Mapping[str, Any]) -> Mapping[str, Any]:
    totals = result.get("totals")
    return totals if isinstance(totals, Mapping) else {}


def _percentiles(result: Mapping[str, Any]) -> Mapping[str, Any]:
    found = result.get("complexity_percentiles")
    return found if isinstance(found, Mapping) else {}


def _ranks(result: Mapping[str, Any]) -> Mapping[str, Any]:
    found = result.get("rank_distribution")
    return found if isinstance(found, Mapping) else {}


def _callables(result: Mapping[str, Any]) -> Iterator[tuple[str, str, int]]:
    """``(path, qualified name, complexity)`` of every function and method."""
    files = result.get("files")
    if not isinstance(files, Mapping):
        return
    for path, info in files.items():
        symbols = info.get("symbols") if isinstance(info, Mapping) else None
        for symbol in symbols if isinstance(symbols, list) else ():
            if isinstance(symbol, Mapping) and symbol.get("kind") in ("function", "method"):
                score = symbol.get("complexity")
                if isinstance(score, (int, float)) and not isinstance(score, bool) and score >= 0:
                    yield path, str(symbol.get("qualified_name") or symbol.get("name")), int(score)


def new_functions_rank_d_or_worse(result: Mapping[str, Any], baseline: Mapping[str, Any]) -> int:
    """Functions of rank D or worse whose (path, qualified name) the baseline does not have."""
    known = {(path, name) for path, name, _score in _callables(baseline)}
    return sum(1 for path, name, score in _callables(result) if (path, name) not in known and cc_rank(score) in WORST_RANKS)


def _rank(letter: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda result: _ranks(result).get(letter, 0)


def measures() -> list[Measure]:
    """Size, complexity and complexity ranks (radon's A-F) of the code."""
    found = [
        Measure("files", "ast", "Source files the ast analyzer saw", value=lambda r: _totals(r).get("files")),
        Measure("lines", "ast", "Lines of the analyzed source files", value=lambda r: _totals(r).get("loc")),
        Measure("sloc", "ast", "Source lines of code (no blanks or comments)", value=lambda r: _totals(r).get("sloc")),
        Measure("functions", "ast", "Functions and methods", value=lambda r: _totals(r).get("functions")),
        Measure("classes", "ast", "Classes", value=lambda r: _totals(r).get("classes")),
        Measure("parse_errors", "ast", "Files that could not be analyzed", value=lambda r: _totals(r).get("errors"), better="lower"),
        Measure("mean_complexity", "ast", "Mean cyclomatic complexity of functions and methods",
                value=lambda r: _percentiles(r).get("mean"), better="lower"),
        Measure("p90_complexity", "ast", "90th percentile of the functions' cyclomatic complexity",
                value=lambda r: _percentiles(r).get("p90"), better="lower"),
        Measure("max_complexity", "ast", "Highest cyclomatic complexity of a function",
                value=lambda r: _percentiles(r).get("max"), better="lower"),
        Measure("functions_rank_d_or_worse", "ast", "Functions of rank D or worse (complexity above 20)",
                value=lambda r: sum(_ranks(r).get(letter, 0) for letter in WORST_RANKS), better="lower"),
        Measure("new_functions_rank_d_or_worse", "ast",
                "Functions of rank D or worse that the baseline does not have (by file and qualified name)",
                compare=new_functions_rank_d_or_worse, better="lower"),
    ]
    found += [
        Measure(f"functions_rank_{letter.lower()}", "ast", f"Functions of complexity rank {letter}", value=_rank(letter),
                better="higher" if letter == "A" else "lower" if letter in WORST_RANKS else None)
        for letter in RANKS
    ]
    return found
