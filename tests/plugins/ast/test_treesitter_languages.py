"""Per-language tree-sitter results on small real-looking sources, counted by hand.

Each sample is in ``samples/``. Complexity is 1 plus: ``if``/``else if``,
loops, ``catch``/``rescue``, ternaries, each non-default case or match arm,
and each ``&&``/``||``/``??`` (``and``/``or`` in Ruby and PHP).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from coe_plugins.ast.analyzer import AstAnalyzer
from coe_plugins.ast.languages import language_of
from coe_plugins.ast.models import AstOptions
from coe_plugins.ast.treesitter_analysis import analyze_treesitter

SAMPLES = Path(__file__).with_name("samples")

# file -> (language, loc, sloc, [(kind, qualified name, line_start, line_end, complexity)], imports)
EXPECTED: dict[str, tuple[str, int, int, list[tuple[str, str, int, int, int]], list[str]]] = {
    "sample.js": ("javascript", 31, 27, [
        ("class", "Cart", 4, 18, 7),
        ("method", "Cart.constructor", 5, 7, 2),  # ||
        ("method", "Cart.total", 9, 17, 5),  # for-of, if, &&, ternary
        ("function", "classify", 20, 29, 3),  # two cases, default not counted
        ("function", "double", 31, 31, 1),  # arrow function named by its const
    ], ["fs", "node:path"]),
    "sample.ts": ("typescript", 27, 23, [
        ("interface", "Shape", 4, 6, 0),
        ("class", "Circle", 8, 17, 3),
        ("method", "Circle.constructor", 9, 9, 1),
        ("method", "Circle.area", 11, 16, 2),  # if
        ("function", "largest", 19, 27, 5),  # for-of, if, ||, ??
    ], ["@angular/core", "fs"]),
    "sample.tsx": ("tsx", 12, 10, [
        ("function", "Greeting", 3, 8, 3),  # if, ternary inside JSX
        ("function", "List", 10, 12, 1),  # the inline callback is anonymous: counts toward List
    ], ["react"]),
    "Sample.java": ("java", 35, 29, [
        ("class", "Inventory", 6, 35, 8),
        ("method", "Inventory.Inventory", 9, 11, 1),
        ("method", "Inventory.count", 13, 16, 2),  # ternary
        ("method", "Inventory.reserve", 18, 30, 5),  # enhanced for, if, ||, catch
        ("interface", "Inventory.Listener", 32, 34, 1),
        ("method", "Inventory.Listener.changed", 33, 33, 1),
    ], ["java.util.List", "java.util.Map"]),
    "sample.go": ("go", 33, 29, [
        ("struct", "Item", 8, 11, 1),
        ("method", "Item.String", 13, 15, 1),  # receiver type is the parent
        ("function", "Total", 17, 33, 6),  # for, if, case, &&, case; default not counted
    ], ["errors", "fmt"]),
    "sample.rs": ("rust", 28, 24, [
        ("struct", "Ledger", 4, 6, 4),
        ("impl", "Ledger", 8, 20, 4),
        ("method", "Ledger.new", 9, 11, 1),
        ("method", "Ledger.post", 13, 19, 3),  # if, ||
        ("function", "sign", 22, 28, 3),  # two arms; the `_` arm is the default
    ], ["std::collections::HashMap", "std::fmt::{self, Display}"]),
    "sample.c": ("c", 28, 25, [
        ("struct", "point", 4, 7, 0),
        ("function", "clamp", 9, 16, 3),  # if, else if
        ("function", "count_positive", 18, 28, 5),  # for, if, &&, while
    ], ["stdio.h", "util.h"]),
    "sample.cpp": ("cpp", 33, 27, [
        ("class", "geo.Polygon", 6, 20, 4),
        ("method", "geo.Polygon.Polygon", 8, 8, 1),
        ("method", "geo.Polygon.perimeter", 10, 16, 3),  # range for, ternary
        ("function", "Polygon_kind", 24, 33, 3),  # two cases
    ], ["string", "vector"]),
    "Sample.cs": ("csharp", 34, 30, [
        ("class", "Shop.Basket", 6, 28, 6),
        ("method", "Shop.Basket.Add", 10, 17, 3),  # if, ||
        ("method", "Shop.Basket.Total", 19, 27, 3),  # foreach, ternary
        ("interface", "Shop.IPriced", 30, 33, 0),
    ], ["System", "System.Collections.Generic"]),
    "sample.rb": ("ruby", 29, 26, [
        ("module", "Billing", 4, 29, 0),
        ("class", "Billing.Invoice", 5, 28, 7),
        ("method", "Billing.Invoice.initialize", 6, 8, 1),
        ("method", "Billing.Invoice.total", 10, 17, 2),  # `next if`
        ("method", "Billing.Invoice.status", 19, 27, 4),  # if, elsif, &&
    ], ["json", "helpers"]),
    "sample.php": ("php", 30, 25, [
        ("class", "InvoiceService", 9, 25, 5),
        ("method", "InvoiceService.__construct", 11, 13, 1),
        ("method", "InvoiceService.settle", 15, 24, 4),  # if, ||, foreach
        ("function", "format_amount", 27, 30, 2),  # ternary
    ], ["App\\Models\\Invoice", "Psr\\Log\\LoggerInterface", "helpers.php"]),
}


def _analyze(name: str) -> dict[str, Any]:
    path = SAMPLES / name
    return AstAnalyzer().analyze_file(name, path.read_bytes(), AstOptions())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_symbols_complexity_and_imports(name: str) -> None:
    language, loc, sloc, symbols, imports = EXPECTED[name]
    result = _analyze(name)
    assert "error" not in result and "warning" not in result
    assert (result["language"], result["loc"], result["sloc"]) == (language, loc, sloc)
    got = [(s["kind"], s["qualified_name"], s["line_start"], s["line_end"], s["complexity"]) for s in result["symbols"]]
    assert got == symbols
    assert [i["module"] for i in result["imports"]] == imports
    callables = [s[4] for s in symbols if s[0] in ("function", "method")]
    assert (result["functions"], result["complexity"], result["max_complexity"]) == (len(callables), sum(callables), max(callables))
    assert result["maintainability"] is None


_THREADS_SCRIPT = """
import sys
from concurrent.futures import ThreadPoolExecutor
from coe_plugins.ast.treesitter_analysis import parse_bytes

data = open(sys.argv[1], "rb").read() * 400  # several read chunks, so a parse yields to other threads mid-way
def shape(_=None):
    root = parse_bytes("javascript", data, 0).root_node
    return (root.child_count, root.end_byte, root.has_error)
expected = shape()
sys.setswitchinterval(1e-6)
with ThreadPoolExecutor(8) as pool:
    print(sum(got != expected for got in pool.map(shape, range(48))))
"""


def test_threads_parsing_at_once_get_the_serial_results() -> None:
    """Analyzers can run in threads (thread isolation, job threads); a shared parser crashed the process."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT, str(SAMPLES / "sample.js")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"crashed with {done.returncode}: {done.stderr[-500:]}"
    assert done.stdout.strip() == "0"


def test_every_language_has_a_sample() -> None:
    covered = {EXPECTED[name][0] for name in EXPECTED}
    assert covered == {"javascript", "typescript", "tsx", "java", "go", "rust", "c", "cpp", "csharp", "ruby", "php"}


def test_comment_lines_are_not_source_lines() -> None:
    source = b"// header\n/* block\n   comment */\nint main(void) { return 0; } // trailing\n\n"
    result = analyze_treesitter("c", source)
    assert (result["loc"], result["sloc"], result["comments"], result["blank"]) == (5, 1, 3, 1)


def test_broken_source_is_reported_not_raised() -> None:
    result = analyze_treesitter("javascript", b"function ok() { return 1; }\nfunction broken( {\n")
    assert result["syntax_errors"] >= 1
    assert "tree-sitter recovered" in result["warning"]
    assert result["symbols"][0]["name"] == "ok"


def test_binary_garbage_does_not_raise() -> None:
    result = analyze_treesitter("java", bytes(range(256)) * 4)
    assert result["language"] == "java"
    assert "symbols" in result


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("src/a.PY", "python"), ("lib/x.pyi", "python"), ("Rakefile", "ruby"), ("app/Gemfile", "ruby"),
        ("inc/list.h", "c"), ("inc/list.hpp", "cpp"), ("ui/App.tsx", "tsx"), ("a.mjs", "javascript"),
        ("README.md", None), (".bashrc", None), ("Makefile", None),
    ],
)
def test_language_from_extension_and_file_name(path: str, language: str | None) -> None:
    assert language_of(path) == language


def test_cpp_compile_time_conditions_are_not_decisions() -> None:
    source = (
        b"template <class T> void swap(T& a, T& b) noexcept(is_nothrow_a<T>::value && is_nothrow_b<T>::value) {\n"
        b"    if (a && b) { a = b; }\n}\n"
        b"template <class T> requires Small<T> && Copyable<T> int twice(T x) { return x || 1; }\n"
        b"int plain() noexcept { return a && b; }\n"
    )
    complexity = {s["name"]: s["complexity"] for s in analyze_treesitter("cpp", source)["symbols"]}
    # swap: 1 + if + the body's &&; twice: 1 + ||; plain: 1 + &&.
    assert complexity == {"swap": 3, "twice": 2, "plain": 2}
