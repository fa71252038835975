"""Everything the ``ast`` analyzer reports for one Python file.

One ``ast.parse`` feeds the cyclomatic complexity, cognitive complexity,
Halstead and symbol passes; one tokenize pass feeds the raw counts. The
maintainability index combines them by radon's formula.
"""
from __future__ import annotations

import ast
import math
from typing import Any

from .models import DEFAULT_MAX_DEPTH
from .python_cognitive import cognitive_complexity
from .python_complexity import body_decision_points, cc_rank, class_complexity
from .python_halstead import halstead_report
from .python_raw import RawMetricsError, raw_metrics
from .python_source import SourceDecodeError, decode_python_source




def maintainability_index(volume: float, complexity: int, lloc: int, comment_percent: float) -> float:
    """radon's maintainability index (``mi_compute``), 0..100.

    radon passes the *logical* line count where the formula names SLOC, and
    the share of comment and multi-line string lines in SLOC as percent.
    """
    if volume <= 0 or lloc <= 0:
        return 100.0
    comments_scale = math.sqrt(2.46 * math.radians(comment_percent))
    raw = 171 - 5.2 * math.log(volume) - 0.23 * complexity - 16.2 * math.log(lloc) + 50 * math.sin(comments_scale)
    return min(max(0.0, raw * 100 / 171.0), 100.0)


def mi_rank(score: float) -> str:
    """radon's maintainability rank: A (> 19), B (10-19), C (<= 9)."""
    return chr(65 + (9 - score >= 0) + (19 - score >= 0))


def _dotted(node: ast.AST) -> str:
    """``a.b.c`` for a name or attribute chain (a decorator call's callee too)."""
    if isinstance(node, ast.Call):
        node = node.func
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    else:
        parts.append("...")
    return ".".join(reversed(parts))


def _parameters(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append("*" + args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg:
        names.append("**" + args.kwarg.arg)
    return names


def _import_records(node: ast.Import | ast.ImportFrom) -> list[dict[str, Any]]:
    if isinstance(node, ast.Import):
        return [{"module": alias.name, "names": [], "alias": alias.asname, "level": 0, "line": node.lineno} for alias in node.names]
    return [{
        "module": node.module or "",
        "names": [alias.name for alias in node.names],
        "alias": None,
        "level": node.level,
        "line": node.lineno,
    }]


class _SymbolCollector:
    """Builds symbols (with radon's complexity) and imports from scope nodes."""

    def __init__(self, max_depth: int = DEFAULT_MAX_DEPTH) -> None:
        self.symbols: list[dict[str, Any]] = []
        self.imports: list[dict[str, Any]] = []
        self.max_depth = max_depth
        self.depth_capped = False
        self._index: dict[int, int] = {}  # id(symbol) -> its position in ``symbols``
        self._depth: dict[int, int] = {}  # id(symbol) -> how many definitions enclose it, plus one

    def take(self, found: list[ast.AST], parent: dict[str, Any] | None) -> tuple[list[int], list[int]]:
        """Record ``found`` nodes; return (function complexities, class real complexities).

        Definitions deeper than ``max_depth`` are left out and flagged.
        """
        functions: list[int] = []
        classes: list[int] = []
        depth = self._depth[id(parent)] if parent is not None else 0
        for node in found:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                self.imports.extend(_import_records(node))
            elif depth >= self.max_depth:
                self.depth_capped = True
            elif isinstance(node, ast.ClassDef):
                classes.append(self._class(node, parent))
            else:
                functions.append(self._function(node, parent))
        return functions, classes

    def _base(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef, kind: str, parent: dict[str, Any] | None) -> dict[str, Any]:
        qualified = f"{parent['qualified_name']}.{node.name}" if parent else node.name
        first_line = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        symbol = {
            "kind": kind,
            "name": node.name,
            "qualified_name": qualified,
            "line_start": first_line,
            "line_end": node.end_lineno or node.lineno,
            "def_line": node.lineno,
            "column": node.col_offset,
            "parent": self._index[id(parent)] if parent else None,
            "complexity": 0,
            "rank": "A",
            "cognitive_complexity": 0,
            "decorators": [_dotted(d) for d in node.decorator_list],
            "docstring": ast.get_docstring(node, clean=False) is not None,
        }
        self._index[id(symbol)] = len(self.symbols)
        self._depth[id(symbol)] = (self._depth[id(parent)] if parent is not None else 0) + 1
        self.symbols.append(symbol)
        return symbol

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef, parent: dict[str, Any] | None) -> int:
        in_class = parent is not None and parent["kind"] == "class"
        symbol = self._base(node, "method" if in_class else "function", parent)
        symbol["parameters"] = _parameters(node.args)
        symbol["is_async"] = isinstance(node, ast.AsyncFunctionDef)
        nested: list[ast.AST] = []
        score = 1 + body_decision_points(node.body, nested)
        symbol["complexity"] = score
        symbol["rank"] = cc_rank(score)
        symbol["cognitive_complexity"] = cognitive_complexity(node, parent["name"] if in_class else None)
        self.take(nested, symbol)
        return score

    def _class(self, node: ast.ClassDef, parent: dict[str, Any] | None) -> int:
        symbol = self._base(node, "class", parent)
        symbol["bases"] = [_dotted(b) for b in node.bases]
        nested: list[ast.AST] = []
        points = body_decision_points(node.body, nested)
        start = len(self.symbols)
        own_index = start - 1
        methods, _inner = self.take(nested, symbol)
        real = 1 + points + sum(methods)
        score = class_complexity(real, len(methods))
        symbol["complexity"] = score
        symbol["rank"] = cc_rank(score)
        symbol["methods"] = len(methods)
        symbol["cognitive_complexity"] = sum(
            s["cognitive_complexity"] for s in self.symbols[start:] if s["parent"] == own_index and s["kind"] == "method"
        )
        return real


def _line_count(source: str) -> int:
    return len(source.splitlines())


def _parse_failure(exc: BaseException) -> str:
    """Why ``ast.parse`` gave up, never empty.

    CPython's parser reports running out of its own stack on deep nesting
    (thousands of nested lambdas or brackets) as a bare ``MemoryError``.
    """
    if isinstance(exc, (MemoryError, RecursionError)):
        detail = str(exc).strip()
        return f"nesting too deep for the Python parser ({type(exc).__name__}{': ' + detail if detail else ''})"
    return str(exc).strip() or type(exc).__name__


def analyze_python(data: bytes, max_depth: int = DEFAULT_MAX_DEPTH) -> dict[str, Any]:
    """The ``ast`` analyzer's result for one Python file's bytes; never raises for bad input."""
    try:
        source = decode_python_source(data)
    except SourceDecodeError as exc:
        return {"language": "python", "error": str(exc), "loc": data.count(b"\n")}
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        where = f" at line {exc.lineno}" if exc.lineno else ""
        return {"language": "python", "error": f"syntax error{where}: {exc.msg}", "loc": _line_count(source)}
    except (ValueError, MemoryError, RecursionError) as exc:
        return {"language": "python", "error": f"cannot parse: {_parse_failure(exc)}", "loc": _line_count(source)}

    collector = _SymbolCollector(max_depth)
    found: list[ast.AST] = []
    module_points = body_decision_points(tree.body, found)
    functions, classes = collector.take(found, None)
    total_complexity = 1 + module_points + sum(f - 1 for f in functions) + sum(c - 1 for c in classes)
    halstead = halstead_report(tree)

    result: dict[str, Any] = {"language": "python"}
    try:
        raw = raw_metrics(source)
    except RawMetricsError as exc:
        result.update(loc=_line_count(source), lloc=None, sloc=None, comments=None, multi=None, blank=None,
                      single_comments=None, maintainability=None, maintainability_rank=None,
                      warning=f"raw metrics unavailable: {exc}")
    else:
        result.update(raw.as_dict())
        comment_percent = (raw.comments + raw.multi) / float(raw.sloc) * 100 if raw.sloc else 0
        mi = maintainability_index(halstead["volume"], total_complexity, raw.lloc, comment_percent)
        result.update(maintainability=mi, maintainability_rank=mi_rank(mi))

    symbols = collector.symbols
    callables = [s["complexity"] for s in symbols if s["kind"] != "class"]
    result.update(
        complexity=sum(callables),
        max_complexity=max(callables, default=0),
        total_complexity=total_complexity,
        cognitive_complexity=_outermost_cognitive(symbols),
        functions=len(callables),
        classes=len(symbols) - len(callables),
        halstead=halstead,
        symbols=symbols,
        imports=sorted(collector.imports, key=lambda i: i["line"]),
    )
    if collector.depth_capped:
        result["depth_capped"] = max_depth
        note = f"definitions nest deeper than {max_depth} levels; the ones below are left out"
        result["warning"] = f"{result['warning']}; {note}" if result.get("warning") else note
    return result


def _outermost_cognitive(symbols: list[dict[str, Any]]) -> int:
    """Sum of cognitive complexity over callables not nested in another callable.

    A nested function's increments already count toward its enclosing one.
    """
    total = 0
    for symbol in symbols:
        if symbol["kind"] == "class":
            continue
        parent = symbols[symbol["parent"]] if symbol["parent"] is not None else None
        while parent is not None and parent["kind"] == "class":
            parent = symbols[parent["parent"]] if parent["parent"] is not None else None
        if parent is None:
            total += symbol["cognitive_complexity"]
    return total
