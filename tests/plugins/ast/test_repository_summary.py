"""The per-repository summary built from per-file results."""
from __future__ import annotations

from typing import Any

from coe_plugins.ast.repository_summary import percentile, summarize


def _file(language: str, scores: list[int], maintainability: float | None = None) -> dict[str, Any]:
    symbols = [
        {"kind": "function", "name": f"f{i}", "qualified_name": f"f{i}", "line_start": i + 1, "line_end": i + 1, "complexity": s}
        for i, s in enumerate(scores)
    ]
    return {
        "language": language, "loc": 10 * len(scores), "sloc": 8 * len(scores), "functions": len(scores),
        "classes": 0, "complexity": sum(scores), "max_complexity": max(scores, default=0),
        "maintainability": maintainability, "symbols": symbols,
    }


def test_nearest_rank_percentiles() -> None:
    values = list(range(1, 101))
    assert [percentile(values, p) for p in (50, 90, 99, 100)] == [50, 90, 99, 100]
    assert percentile([7], 50) == 7
    assert percentile([], 90) == 0


def test_summary_totals_rankings_and_distributions() -> None:
    files = {
        "a.py": _file("python", [1, 2, 12], maintainability=55.0),
        "b.py": _file("python", [45], maintainability=12.5),
        "c.go": _file("go", [3, 7]),
        "d.py": {"language": "python", "error": "syntax error at line 1: invalid syntax", "loc": 3},
        "e.rs": {"language": "rust", "error": "larger than 10 bytes", "capped": True},
    }
    summary = summarize(files, top_n=2)
    assert summary["totals"] == {
        "files": 5, "analyzed": 3, "errors": 2, "capped": 1, "loc": 60, "sloc": 48,
        "functions": 6, "classes": 0, "complexity": 70, "average_complexity": round(70 / 6, 3),
    }
    assert [(t["path"], t["qualified_name"], t["complexity"], t["rank"]) for t in summary["top_functions"]] == [
        ("b.py", "f0", 45, "F"), ("a.py", "f2", 12, "C"),
    ]
    assert [m["path"] for m in summary["least_maintainable"]] == ["b.py", "a.py"]
    assert summary["rank_distribution"] == {"A": 3, "B": 1, "C": 1, "D": 0, "E": 0, "F": 1}
    assert summary["complexity_percentiles"]["p50"] == 3 and summary["complexity_percentiles"]["max"] == 45
    assert summary["languages"]["python"]["files"] == 3 and summary["languages"]["python"]["errors"] == 1
    assert summary["languages"]["go"]["average_complexity"] == 5.0
    assert summary["languages"]["rust"] == {
        "files": 1, "errors": 1, "loc": 0, "sloc": 0, "functions": 0, "complexity": 0, "max_complexity": 0,
        "average_complexity": 0.0,
    }
    assert [e["path"] for e in summary["errors"]] == ["d.py", "e.rs"]
