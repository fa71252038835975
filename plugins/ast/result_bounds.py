"""Keeping one file's result in proportion to the file.

Nesting is capped where symbols are collected; this is the last guard: a
result whose JSON would pass the size cap keeps its figures and drops its
per-symbol and per-import lists, saying so.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

#: The lists that can grow with the file; everything else is a few figures.
_LISTS = ("symbols", "imports")


def bound_result(result: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """``result`` itself when its JSON fits in ``max_bytes``, else the figures without the lists."""
    size = len(json.dumps(result, separators=(",", ":"), allow_nan=False))
    if size <= max_bytes:
        return result
    for key in _LISTS:
        result[key] = []
    note = f"the result would take {size:,} bytes, more than {max_bytes:,}; symbols and imports are left out"
    result["warning"] = f"{result['warning']}; {note}" if result.get("warning") else note
    result["capped"] = True
    return result


def parent_name(symbols: Sequence[dict[str, Any]], symbol: dict[str, Any]) -> str | None:
    """The qualified name of the definition enclosing ``symbol`` (its ``parent`` is an index)."""
    parent = symbol.get("parent")
    if isinstance(parent, int) and 0 <= parent < len(symbols):
        return str(symbols[parent]["qualified_name"])[:2048]
    return None
