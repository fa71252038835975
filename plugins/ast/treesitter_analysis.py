"""Symbols, complexity, imports and line counts for tree-sitter languages.

A function's cyclomatic complexity is 1 plus its decision points: the
grammar's branch nodes (``if``, loops, ``catch``, ternaries), each case that
is not the default or a wildcard arm, and each short-circuit boolean
operator, except inside compile-time expressions (C++ ``noexcept(...)`` and
``requires`` clauses). Decision points inside a nested named function count toward that
function only; anonymous functions and lambdas count toward the function
that contains them.
"""
from __future__ import annotations

import time
from typing import Any

import tree_sitter

from .models import DEFAULT_MAX_DEPTH
from .treesitter_grammars import GRAMMARS, TYPE_KINDS, GrammarSpec, parser_for

#: Declarator wrappers C and C++ put around a function's name.
_DECLARATOR_WRAPPERS = frozenset({
    "function_declarator", "pointer_declarator", "reference_declarator", "parenthesized_declarator",
    "attributed_declarator",
})
#: Parents that give an anonymous function its name.
_NAMING_PARENTS = frozenset({"variable_declarator", "public_field_definition", "field_definition", "pair", "assignment_expression"})
_READ_CHUNK = 64 * 1024
#: Longest name kept for a symbol, namespace or import.
MAX_NAME_LENGTH = 256


class ParseTimeout(Exception):
    """tree-sitter did not finish within the time allowed."""


def _text(node: tree_sitter.Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", "replace")


def _c_function_name(node: tree_sitter.Node) -> str:
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type in _DECLARATOR_WRAPPERS:
        declarator = declarator.child_by_field_name("declarator")
    return _text(declarator) or "<anonymous>"


def _go_receiver(node: tree_sitter.Node) -> str | None:
    receiver = node.child_by_field_name("receiver")
    if receiver is None:
        return None
    for parameter in receiver.named_children:
        kind = parameter.child_by_field_name("type")
        if kind is not None:
            return _text(kind).lstrip("*").split("[", 1)[0]
    return None


def _function_name(language: str, node: tree_sitter.Node) -> str | None:
    """The function's name, or None for an anonymous function nothing names."""
    if language in ("c", "cpp"):
        return _c_function_name(node)
    name = node.child_by_field_name("name")
    if name is not None:
        return _text(name)
    parent = node.parent
    if parent is not None and parent.type in _NAMING_PARENTS:
        target = parent.child_by_field_name("name") or parent.child_by_field_name("key") or parent.child_by_field_name("left")
        if target is not None:
            return _text(target)
    return None


def _type_symbol(language: str, node: tree_sitter.Node, spec: GrammarSpec) -> tuple[str, str] | None:
    """``(kind, name)`` of a type definition, or None when the node only mentions a type."""
    kind = spec.types[node.type]
    if language == "go":
        shape = node.child_by_field_name("type")
        if shape is None or shape.type not in ("struct_type", "interface_type"):
            return None
        kind = "struct" if shape.type == "struct_type" else "interface"
    if language == "rust" and node.type == "impl_item":
        target = node.child_by_field_name("type")
        return (kind, _text(target)) if target is not None else None
    name = node.child_by_field_name("name")
    if name is None:
        return None
    if language in ("c", "cpp") and node.child_by_field_name("body") is None:
        return None  # ``struct point *p``: a use, not a definition
    return kind, _text(name)


def _is_default_arm(node: tree_sitter.Node) -> bool:
    for child in node.children:
        if child.type in ("default", "discard"):
            return True
    pattern = node.child_by_field_name("pattern")
    return pattern is not None and _text(pattern).strip() == "_"


def _import_names(language: str, node: tree_sitter.Node, spec: GrammarSpec) -> list[str]:
    """Module names an import node brings in (empty when it is not one)."""
    if node.type in spec.import_calls:
        method = node.child_by_field_name("method")
        if _text(method) not in spec.import_calls[node.type]:
            return []
        arguments = node.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        return [_text(first).strip("'\"")] if first is not None else []
    if language in ("javascript", "typescript", "tsx"):
        return [_text(node.child_by_field_name("source")).strip("'\"`")]
    if language == "go":
        return [_text(node.child_by_field_name("path")).strip('"`')]
    if language in ("c", "cpp"):
        return [_text(node.child_by_field_name("path")).strip('"<>')]
    if language == "java":
        body = [c for c in node.named_children if c.type in ("scoped_identifier", "identifier")]
        suffix = ".*" if any(c.type == "asterisk" for c in node.named_children) else ""
        return [_text(body[0]) + suffix] if body else []
    if language == "rust":
        return [_text(node.child_by_field_name("argument"))]
    if language == "csharp":
        names = [c for c in node.named_children if c.type in ("qualified_name", "identifier")]
        return [_text(names[-1])] if names else []
    if language == "php":
        if node.type == "namespace_use_clause":
            return [_text(node.named_children[0])] if node.named_children else []
        strings = [c for c in node.named_children if c.type in ("string", "encapsed_string")]
        return [_text(strings[0]).strip("'\"")] if strings else []
    return []


def parse_bytes(language: str, data: bytes, timeout: float) -> tree_sitter.Tree:
    """Parse ``data``; raise :class:`ParseTimeout` after ``timeout`` seconds."""
    parser = parser_for(language)
    deadline = time.monotonic() + timeout if timeout > 0 else None

    def read(offset: int, _point: object) -> bytes:
        return data[offset:offset + _READ_CHUNK]

    def halt(*_state: object) -> bool:
        return deadline is not None and time.monotonic() > deadline

    parser.reset()
    try:
        tree = parser.parse(read, progress_callback=halt)
    except ValueError:  # py-tree-sitter reports a halted parse as a failure
        tree = None
    if tree is None:
        raise ParseTimeout(f"parsing took longer than {timeout:g}s")
    return tree


def _line_counts(data: bytes, code_lines: set[int], comment_lines: set[int]) -> dict[str, int]:
    lines = data.splitlines()
    blank = sum(1 for line in lines if not line.strip())
    comment_only = len(comment_lines - code_lines)
    return {"loc": len(lines), "sloc": len(code_lines), "comments": comment_only, "blank": blank}


def analyze_treesitter(language: str, data: bytes, timeout: float = 0, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any]:
    """The ``ast`` analyzer's result for one file in a tree-sitter language.

    Symbols nested deeper than ``max_depth`` are left out (their decision
    points count toward the deepest recorded function) and the file says so;
    ``timeout`` covers the parse and the walk.
    """
    spec = GRAMMARS[language]
    started = time.monotonic()
    try:
        tree = parse_bytes(language, data, timeout)
    except ParseTimeout as exc:
        return {"language": language, "error": str(exc), "capped": True, "loc": data.count(b"\n")}
    deadline = started + timeout if timeout > 0 else None
    symbols: list[dict[str, Any]] = []
    imports: list[dict[str, Any]] = []
    code_lines: set[int] = set()
    comment_lines: set[int] = set()
    top_level_points = 0
    error_lines: list[int] = []
    # Nodes are visited in source order, so everything that starts before
    # this byte lies inside a compile-time node met earlier.
    compile_time_end = -1
    deepest_skipped = 0
    receivers: dict[int, str] = {}  # Go methods: symbol index -> receiver type name
    visited = 0

    # (node, owning function symbol or -1, enclosing symbol or -1, qualified name of the container, its kind, depth)
    stack: list[tuple[tree_sitter.Node, int, int, str | None, str | None, int]] = [(tree.root_node, -1, -1, None, None, 0)]
    while stack:
        node, owner, parent, container, container_kind, depth = stack.pop()
        visited += 1
        if deadline is not None and visited % 4096 == 0 and time.monotonic() > deadline:
            return {"language": language, "error": f"took longer than {timeout:g}s", "capped": True, "loc": data.count(b"\n")}
        kind = node.type
        if node.child_count == 0:
            start_row, end_row = node.start_point[0] + 1, node.end_point[0] + 1
            if kind in spec.comments:
                comment_lines.update(range(start_row, end_row + 1))
            elif node.end_byte > node.start_byte:
                code_lines.update(range(start_row, end_row + 1))
            if node.is_missing:
                error_lines.append(start_row)
            continue
        if node.is_error:
            error_lines.append(node.start_point[0] + 1)
        if kind in spec.comments:
            comment_lines.update(range(node.start_point[0] + 1, node.end_point[0] + 2))
            continue

        points = 0
        if kind in spec.compile_time:
            compile_time_end = max(compile_time_end, node.end_byte)
        elif node.start_byte < compile_time_end:
            pass  # inside noexcept(...) or a requires clause: no run-time decision
        elif kind in spec.branches:
            points = 1
        elif kind in spec.cases:
            points = 0 if _is_default_arm(node) else 1
        elif kind in spec.binary:
            operator = node.child_by_field_name("operator")
            if operator is not None and operator.type in spec.logical_operators:
                points = 1
        if points:
            if owner >= 0:
                symbols[owner]["complexity"] += points
            else:
                top_level_points += points

        if kind in spec.imports or kind in spec.import_calls:
            for name in _import_names(language, node, spec):
                if name:
                    imports.append({"module": _bounded(name), "line": node.start_point[0] + 1})

        child = (owner, parent, container, container_kind, depth)
        symbol: dict[str, Any] | None = None
        receiver: str | None = None
        defines = kind in spec.functions or kind in spec.types or kind in spec.namespaces
        if defines and depth >= max_depth:
            deepest_skipped = max(deepest_skipped, depth + 1)
        elif kind in spec.functions:
            name = _function_name(language, node)
            if name is not None or kind not in spec.anonymous_functions:
                name = _bounded(name or "<anonymous>")
                parent_kind = container_kind
                if language == "go" and kind == "method_declaration":
                    receiver = _go_receiver(node)
                    if receiver:
                        receiver, parent_kind = _bounded(receiver), "struct"
                symbol = {
                    "kind": "method" if parent_kind in TYPE_KINDS else "function",
                    "name": name,
                    "parent": parent if receiver is None and parent >= 0 else None,
                    "complexity": 1,
                }
        elif kind in spec.types:
            found = _type_symbol(language, node, spec)
            if found is not None:
                symbol = {"kind": found[0], "name": _bounded(found[1]), "parent": parent if parent >= 0 else None, "complexity": 0}
        elif kind in spec.namespaces:
            name = node.child_by_field_name("name")
            if name is not None:
                text = _bounded(_text(name))
                child = (owner, parent, f"{container}.{text}" if container else text, "namespace", depth + 1)
        if symbol is not None:
            prefix = receiver if receiver is not None else container
            qualified = f"{prefix}.{symbol['name']}" if prefix else symbol["name"]
            symbol.update(
                qualified_name=qualified,
                line_start=node.start_point[0] + 1,
                line_end=node.end_point[0] + 1,
            )
            index = len(symbols)
            if receiver is not None:
                receivers[index] = receiver
            symbols.append(symbol)
            child = (index if symbol["kind"] in ("function", "method") else owner, index, qualified, symbol["kind"], depth + 1)
        stack.extend((grandchild, *child) for grandchild in reversed(node.children))

    symbols = _finish_symbols(symbols, receivers)
    callables = [s["complexity"] for s in symbols if s["kind"] in ("function", "method")]
    result: dict[str, Any] = {"language": language}
    result.update(_line_counts(data, code_lines, comment_lines))
    result.update(
        complexity=sum(callables),
        max_complexity=max(callables, default=0),
        top_level_complexity=top_level_points,
        maintainability=None,
        functions=len(callables),
        classes=len(symbols) - len(callables),
        symbols=symbols,
        imports=imports,
    )
    warnings = []
    if error_lines:
        result["syntax_errors"] = len(error_lines)
        warnings.append(f"tree-sitter recovered from {len(error_lines)} syntax error(s), first at line {min(error_lines)}")
    if deepest_skipped:
        result["depth_capped"] = max_depth
        warnings.append(f"definitions nest deeper than {max_depth} levels; the ones below are left out")
    if warnings:
        result["warning"] = "; ".join(warnings)
    return result


def _bounded(name: str) -> str:
    """A name no longer than :data:`MAX_NAME_LENGTH` (minified code can hold huge ones)."""
    return name if len(name) <= MAX_NAME_LENGTH else name[: MAX_NAME_LENGTH - 1] + "\u2026"


def _finish_symbols(symbols: list[dict[str, Any]], receivers: dict[int, str]) -> list[dict[str, Any]]:
    """Sort by position, turn parents into indices of the sorted list, and total types.

    A Go method's parent is the struct its receiver names, when this file
    defines it. A type's complexity is the sum of its methods' (it has no
    code of its own).
    """
    order = sorted(range(len(symbols)), key=lambda i: (symbols[i]["line_start"], -symbols[i]["line_end"]))
    position = {old: new for new, old in enumerate(order)}
    types = {}
    for index, symbol in enumerate(symbols):
        if symbol["kind"] not in ("function", "method"):
            types.setdefault(symbol["qualified_name"], index)
    for index, receiver in receivers.items():
        symbols[index]["parent"] = types.get(receiver)
    totals: dict[str, int] = {}  # by name: a Rust struct and its impl blocks share their methods
    for index, symbol in enumerate(symbols):
        if symbol["kind"] == "method":
            owner = receivers.get(index) or (symbols[symbol["parent"]]["qualified_name"] if symbol["parent"] is not None else None)
            if owner:
                totals[owner] = totals.get(owner, 0) + symbol["complexity"]
    for symbol in symbols:
        if symbol["kind"] not in ("function", "method"):
            symbol["complexity"] = totals.get(symbol["qualified_name"], 0)
    for symbol in symbols:
        if symbol["parent"] is not None:
            symbol["parent"] = position[symbol["parent"]]
    return [symbols[i] for i in order]
