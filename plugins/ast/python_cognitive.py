"""Cognitive complexity of Python functions (G. Ann Campbell, SonarSource, 2017).

Increments, as the specification defines them for Python constructs:

* +1 plus the current nesting level for ``if``, ternary, ``for``, ``while``,
  ``except``, ``match`` (and each of these raises the nesting level of what
  they contain);
* +1 without a nesting penalty for ``elif`` and ``else`` (``else`` of ``if``,
  ``for``, ``while`` and ``try``), and for each sequence of like boolean
  operators (``a and b and c`` is one, ``a and b or c`` two);
* +1 for a direct recursive call;
* a nested function or lambda adds nothing itself but raises the nesting level
  of its body, whose increments count toward the enclosing function.
"""
from __future__ import annotations

import ast

from .python_tree import child_nodes



class _Cognitive:
    def __init__(self, name: str, method_of: str | None) -> None:
        self.name = name
        self.method_of = method_of
        self.score = 0

    def is_self_call(self, node: ast.Call) -> bool:
        func = node.func
        if isinstance(func, ast.Name):
            return func.id == self.name and self.method_of is None
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
            return self.method_of is not None and func.attr == self.name and func.value.id in ("self", "cls", self.method_of)
        return False

    def visit_all(self, nodes: list[ast.AST], nesting: int) -> None:
        for node in nodes:
            self.visit(node, nesting)

    def visit_if(self, node: ast.If, nesting: int, is_elif: bool) -> None:
        self.score += 1 if is_elif else 1 + nesting
        self.visit(node.test, nesting)
        self.visit_all(node.body, nesting + 1)
        orelse = node.orelse
        if len(orelse) == 1 and isinstance(orelse[0], ast.If) and orelse[0].col_offset == node.col_offset and orelse[0].lineno != node.lineno:
            self.visit_if(orelse[0], nesting, True)  # ``elif`` shares the ``if``'s column
        elif orelse:
            self.score += 1
            self.visit_all(orelse, nesting + 1)

    def visit(self, node: ast.AST, nesting: int) -> None:
        handler = _HANDLERS.get(type(node))
        if handler is not None:
            handler(self, node, nesting)
            return
        if type(node) is ast.Call and self.is_self_call(node):
            self.score += 1
        for child in child_nodes(node):
            self.visit(child, nesting)

    def _if(self, node: ast.If, nesting: int) -> None:
        self.visit_if(node, nesting, False)

    def _loop(self, node: ast.For | ast.AsyncFor | ast.While, nesting: int) -> None:
        self.score += 1 + nesting
        self.visit(node.test if isinstance(node, ast.While) else node.iter, nesting)
        self.visit_all(node.body, nesting + 1)
        if node.orelse:
            self.score += 1
            self.visit_all(node.orelse, nesting + 1)

    def _try(self, node: ast.Try | ast.TryStar, nesting: int) -> None:
        self.visit_all(node.body, nesting)
        for handler in node.handlers:
            self.score += 1 + nesting
            self.visit_all(handler.body, nesting + 1)
        if node.orelse:
            self.score += 1
            self.visit_all(node.orelse, nesting + 1)
        self.visit_all(node.finalbody, nesting)

    def _match(self, node: ast.Match, nesting: int) -> None:
        self.score += 1 + nesting
        self.visit(node.subject, nesting)
        for case in node.cases:
            if case.guard is not None:
                self.visit(case.guard, nesting + 1)
            self.visit_all(case.body, nesting + 1)

    def _ternary(self, node: ast.IfExp, nesting: int) -> None:
        self.score += 1 + nesting
        self.visit(node.test, nesting)
        self.visit(node.body, nesting + 1)
        self.visit(node.orelse, nesting + 1)

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef, nesting: int) -> None:
        body = node.body if isinstance(node.body, list) else [node.body]
        self.visit_all(body, nesting + 1)

    def _boolean(self, node: ast.BoolOp, nesting: int) -> None:
        self.score += 1
        for value in node.values:
            # a like operator nested by parentheses continues the same sequence
            if type(value) is ast.BoolOp and type(value.op) is type(node.op):
                self.score -= 1
            self.visit(value, nesting)


_HANDLERS = {
    ast.If: _Cognitive._if,
    ast.For: _Cognitive._loop,
    ast.AsyncFor: _Cognitive._loop,
    ast.While: _Cognitive._loop,
    ast.Try: _Cognitive._try,
    ast.TryStar: _Cognitive._try,
    ast.Match: _Cognitive._match,
    ast.IfExp: _Cognitive._ternary,
    ast.FunctionDef: _Cognitive._function,
    ast.AsyncFunctionDef: _Cognitive._function,
    ast.Lambda: _Cognitive._function,
    ast.ClassDef: _Cognitive._function,
    ast.BoolOp: _Cognitive._boolean,
}


def cognitive_complexity(node: ast.FunctionDef | ast.AsyncFunctionDef, method_of: str | None = None) -> int:
    """The cognitive complexity of one function; ``method_of`` names its class."""
    counter = _Cognitive(node.name, method_of)
    counter.visit_all(node.body, 0)
    return counter.score
