"""Cyclomatic complexity of Python blocks, by radon's ``cc_visit`` rules.

radon counts decision points per statement and never looks inside a nested
``def`` or ``class`` while doing so (their complexity is their own), nor
inside an ``assert`` (which counts one). Decorators, default values and
class bases are not visited at all. The rules, per node:

* ``if``, ternary: +1; ``for``/``async for``/``while``: +1, +1 more with ``else``;
* ``try``: +1 per ``except`` handler, +1 with ``else`` (``try``/``except*``
  is not counted: radon only knows the ``Try`` node);
* boolean operator: +1 per operand after the first;
* comprehension clause: +1, +1 per ``if``;
* ``match``: +1 per case, minus one when a case is irrefutable (``case _``
  or a bare capture);
* ``assert``: +1.

A function is 1 plus the decision points of its body. A class's *real*
complexity is 1 plus its body's decision points plus the complexity of every
method found in its body; radon reports the class as the real complexity
divided by its number of methods (rounded down), plus one when it has more
than one method. A module's total is what radon's maintainability index uses.
"""
from __future__ import annotations

import ast
import math

from .python_tree import child_nodes

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def decision_points(node: ast.AST, found: list[ast.AST] | None = None) -> int:
    """radon's decision points in ``node``'s subtree, ``node`` included.

    Nested ``def``/``class`` nodes are not entered. When ``found`` is given,
    those nodes and every ``import`` statement met on the way are appended to
    it, so one walk also yields a block's symbols and imports.
    """
    total = 0
    stack = [node]
    pop = stack.pop
    push = stack.extend
    while stack:
        current = pop()
        kind = type(current)
        if kind in _SCOPE_TYPES:
            if found is not None:
                found.append(current)
            continue
        if kind is ast.Import or kind is ast.ImportFrom:
            if found is not None:
                found.append(current)
            continue
        if kind is ast.Assert:
            total += 1
            continue
        if kind is ast.If or kind is ast.IfExp:
            total += 1
        elif kind is ast.BoolOp:
            total += len(current.values) - 1
        elif kind is ast.comprehension:
            total += len(current.ifs) + 1
        elif kind is ast.For or kind is ast.While or kind is ast.AsyncFor:
            total += 1 + bool(current.orelse)
        elif kind is ast.Try:
            total += len(current.handlers) + bool(current.orelse)
        elif kind is ast.Match:
            irrefutable = any(getattr(case.pattern, "pattern", False) is None for case in current.cases)
            total += max(0, len(current.cases) - irrefutable)
        children = child_nodes(current)
        children.reverse()  # keep source order for ``found``
        push(children)
    return total


_SCOPE_TYPES = frozenset(_SCOPES)


def body_decision_points(body: list[ast.stmt], nested: list[ast.AST] | None = None) -> int:
    """Decision points of a block's statements, each visited on its own as radon does."""
    return sum(decision_points(child, nested) for child in body)


def class_complexity(real: int, method_count: int) -> int:
    """The complexity radon reports for a class with ``real`` complexity."""
    if not method_count:
        return real
    return int(real / float(method_count)) + (method_count > 1)


def cc_rank(score: int) -> str:
    """radon's letter rank: A (1-5), B (6-10), C (11-20), D (21-30), E (31-40), F (41+)."""
    if score < 0:
        raise ValueError("complexity must be a non-negative value")
    return chr(min(int(math.ceil(score / 10.0) or 1) - (1, 0)[5 - score < 0], 5) + 65)
