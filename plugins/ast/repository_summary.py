"""The per-repository summary the ``ast`` analyzer builds from per-file results."""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

from .python_complexity import cc_rank

PERCENTILES = (50, 75, 90, 95, 99)
MAX_LISTED_ERRORS = 200


def percentile(sorted_values: list[int], share: float) -> int:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0
    rank = max(1, math.ceil(share / 100.0 * len(sorted_values)))
    return sorted_values[rank - 1]


def _callables(files: Mapping[str, Mapping[str, Any]]) -> Iterable[tuple[str, Mapping[str, Any], Mapping[str, Any]]]:
    for path, result in files.items():
        for symbol in result.get("symbols") or ():
            if symbol.get("kind") in ("function", "method"):
                yield path, result, symbol


def _language_table(files: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = {}
    for result in files.values():
        language = result.get("language") or "unknown"
        row = table.setdefault(language, {"files": 0, "errors": 0, "loc": 0, "sloc": 0, "functions": 0, "complexity": 0, "max_complexity": 0})
        row["files"] += 1
        if result.get("error"):
            row["errors"] += 1
            continue
        row["loc"] += result.get("loc") or 0
        row["sloc"] += result.get("sloc") or 0
        row["functions"] += result.get("functions") or 0
        row["complexity"] += result.get("complexity") or 0
        row["max_complexity"] = max(row["max_complexity"], result.get("max_complexity") or 0)
    for row in table.values():
        row["average_complexity"] = round(row["complexity"] / row["functions"], 3) if row["functions"] else 0.0
    return dict(sorted(table.items()))


def summarize(files: Mapping[str, Mapping[str, Any]], top_n: int) -> dict[str, Any]:
    """Totals, per-language figures, rankings and complexity percentiles."""
    callables = list(_callables(files))
    scores = sorted(symbol["complexity"] for _p, _r, symbol in callables)
    ranks = {letter: 0 for letter in "ABCDEF"}
    for score in scores:
        ranks[cc_rank(score)] += 1
    top = sorted(callables, key=lambda item: (-item[2]["complexity"], item[0], item[2]["line_start"]))[:top_n]
    maintainable = sorted(
        ((path, result) for path, result in files.items() if result.get("maintainability") is not None),
        key=lambda item: (item[1]["maintainability"], item[0]),
    )[:top_n]
    errors = [
        {"path": path, "error": result["error"], "capped": bool(result.get("capped"))}
        for path, result in files.items() if result.get("error")
    ]
    analyzed = [result for result in files.values() if not result.get("error")]
    return {
        "totals": {
            "files": len(files),
            "analyzed": len(analyzed),
            "errors": len(errors),
            "capped": sum(1 for e in errors if e["capped"]),
            "loc": sum(r.get("loc") or 0 for r in analyzed),
            "sloc": sum(r.get("sloc") or 0 for r in analyzed),
            "functions": len(scores),
            "classes": sum(r.get("classes") or 0 for r in analyzed),
            "complexity": sum(scores),
            "average_complexity": round(sum(scores) / len(scores), 3) if scores else 0.0,
        },
        "languages": _language_table(files),
        "top_functions": [
            {
                "path": path,
                "language": result.get("language"),
                "qualified_name": symbol["qualified_name"],
                "kind": symbol["kind"],
                "line_start": symbol["line_start"],
                "line_end": symbol["line_end"],
                "complexity": symbol["complexity"],
                "rank": cc_rank(symbol["complexity"]),
            }
            for path, result, symbol in top
        ],
        "least_maintainable": [
            {"path": path, "maintainability": result["maintainability"], "rank": result.get("maintainability_rank")}
            for path, result in maintainable
        ],
        "complexity_percentiles": {
            **{f"p{p}": percentile(scores, p) for p in PERCENTILES},
            "max": scores[-1] if scores else 0,
            "mean": round(sum(scores) / len(scores), 3) if scores else 0.0,
        },
        "rank_distribution": ranks,
        "errors": errors[:MAX_LISTED_ERRORS],
    }
