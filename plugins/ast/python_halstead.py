"""Halstead metrics of a Python module, by radon's ``h_visit`` rules.

Operators are the binary, unary, boolean, augmented-assignment and comparison
operators (by kind); operands are their direct operands. Distinct operands
are told apart by the innermost function they appear in, then by name (for a
name), attribute (for an attribute access), value (for a constant) or node
(anything else). Decorators and parameter lists of functions are not visited.
"""
from __future__ import annotations

import ast
import math
from typing import Any

from .python_tree import child_nodes

_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)


def _operand_key(context: str | None, operand: ast.AST) -> tuple[Any, Any]:
    kind = type(operand)
    if kind is ast.Name:
        return context, operand.id
    if kind is ast.Attribute:
        return context, operand.attr
    if kind is ast.Constant:
        return context, operand.value
    return context, operand


def halstead_counts(tree: ast.AST) -> tuple[set[str], set[tuple[Any, Any]], int, int]:
    """``(distinct operators, distinct operands, N1, N2)`` for a whole tree."""
    operators: set[str] = set()
    operands: set[tuple[Any, Any]] = set()
    n1 = n2 = 0
    stack: list[tuple[ast.AST, str | None]] = [(tree, None)]
    while stack:
        node, context = stack.pop()
        kind = type(node)
        if kind in _DEF_TYPES:
            stack.extend((child, node.name) for child in node.body)
            continue
        used: tuple[ast.AST, ...] | list[ast.AST] = ()
        if kind is ast.BinOp:
            n1 += 1
            operators.add(type(node.op).__name__)
            used = (node.left, node.right)
        elif kind is ast.Compare:
            n1 += len(node.ops)
            operators.update(type(op).__name__ for op in node.ops)
            used = (*node.comparators, node.left)
        elif kind is ast.BoolOp:
            n1 += 1
            operators.add(type(node.op).__name__)
            used = node.values
        elif kind is ast.UnaryOp:
            n1 += 1
            operators.add(type(node.op).__name__)
            used = (node.operand,)
        elif kind is ast.AugAssign:
            n1 += 1
            operators.add(type(node.op).__name__)
            used = (node.target, node.value)
        if used:
            n2 += len(used)
            operands.update(_operand_key(context, operand) for operand in used)
        stack.extend([(child, context) for child in child_nodes(node)])
    return operators, operands, n1, n2


_DEF_TYPES = frozenset(_DEFS)


def halstead_report(tree: ast.AST) -> dict[str, float]:
    """radon's Halstead report (``h_visit(...).total``) as a dict."""
    operators, operands, n1, n2 = halstead_counts(tree)
    h1, h2 = len(operators), len(operands)
    vocabulary = h1 + h2
    length = n1 + n2
    calculated_length = h1 * math.log(h1, 2) + h2 * math.log(h2, 2) if h1 and h2 else 0
    volume = length * math.log(vocabulary, 2) if vocabulary else 0
    difficulty = (h1 * n2) / float(2 * h2) if h2 else 0
    effort = difficulty * volume
    return {
        "h1": h1,
        "h2": h2,
        "N1": n1,
        "N2": n2,
        "vocabulary": vocabulary,
        "length": length,
        "calculated_length": calculated_length,
        "volume": volume,
        "difficulty": difficulty,
        "effort": effort,
        "time": effort / 18.0,
        "bugs": volume / 3000.0,
    }
