"""Fast child iteration over Python ASTs.

``ast.iter_child_nodes`` walks every field through two generators and an
``isinstance`` per value. The metric passes only need the fields that can hold
statements or expressions, so each node class's useful fields are computed
once; expression contexts, operator singletons and plain-value fields are
skipped.
"""
from __future__ import annotations

import ast
from typing import Any

#: Fields that never lead to a node any metric looks at.
_SKIPPED_FIELDS = frozenset({
    "ctx", "op", "ops", "type_ignores", "id", "attr", "arg", "name", "module", "level",
    "kind", "conversion", "is_async", "lineno", "col_offset", "end_lineno", "end_col_offset", "type_comment",
    "kwd_attrs", "tag",
})

_FIELDS: dict[type, tuple[str, ...]] = {}


def node_fields(kind: type) -> tuple[str, ...]:
    """The fields of AST class ``kind`` that may hold child nodes (cached)."""
    fields = _FIELDS.get(kind)
    if fields is None:
        names = getattr(kind, "_fields", ())
        if kind in (ast.Global, ast.Nonlocal):
            names = ()  # their ``names`` are plain strings
        fields = _FIELDS[kind] = tuple(f for f in names if f not in _SKIPPED_FIELDS)
    return fields


def child_nodes(node: Any) -> list[Any]:
    """``node``'s children in source order; lists are flattened, None left out."""
    out: list[Any] = []
    for field in _FIELDS.get(type(node)) or node_fields(type(node)):
        value = getattr(node, field, None)
        if value is None:
            continue
        if value.__class__ is list:
            out.extend(item for item in value if item is not None and item.__class__ is not str)
        elif isinstance(value, ast.AST):
            out.append(value)
    return out
