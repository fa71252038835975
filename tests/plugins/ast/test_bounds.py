"""The ast analyzer's output stays in proportion to its input."""
from __future__ import annotations

import json
import textwrap

from plugins.ast.analyzer import AstAnalyzer
from plugins.ast.models import AstOptions
from plugins.ast.python_analysis import analyze_python
from plugins.ast.result_bounds import bound_result
from plugins.ast.treesitter_analysis import analyze_treesitter


def test_parents_are_indices_into_the_sorted_symbols() -> None:
    source = b"class Shape { area() { function inner() {} } }\nfunction main() {}\n"
    symbols = analyze_treesitter("javascript", source)["symbols"]
    names = [(s["qualified_name"], s["parent"]) for s in symbols]
    assert names == [("Shape", None), ("Shape.area", 0), ("Shape.area.inner", 1), ("main", None)]


def test_depth_is_capped_with_a_finding_and_linear_output() -> None:
    sizes = []
    for depth in (200, 400):
        result = analyze_treesitter("javascript", b"function f(){" * depth + b"}" * depth, max_depth=10)
        assert len(result["symbols"]) == 10 and result["depth_capped"] == 10
        assert "deeper than 10 levels" in result["warning"]
        sizes.append(len(json.dumps(result)))
    assert sizes[0] == sizes[1]  # deeper input, same output


def test_python_depth_cap() -> None:
    source = "".join("    " * level + f"def f{level}():\n" for level in range(12)) + "    " * 12 + "pass\n"
    result = analyze_python(source.encode(), max_depth=5)
    assert [s["name"] for s in result["symbols"]] == ["f0", "f1", "f2", "f3", "f4"]
    assert [s["parent"] for s in result["symbols"]] == [None, 0, 1, 2, 3]
    assert result["depth_capped"] == 5


def test_long_names_are_cut() -> None:
    name = "x" * 5000
    symbol = analyze_treesitter("javascript", f"function {name}() {{}}".encode())["symbols"][0]
    assert len(symbol["name"]) == 256 and symbol["name"].endswith("\u2026")


def test_an_oversized_result_keeps_its_figures_only() -> None:
    result = {"language": "python", "functions": 3, "symbols": [{"name": "a" * 100}] * 50, "imports": [{"module": "m"}]}
    bounded = bound_result(result, 1024)
    assert bounded["symbols"] == [] and bounded["imports"] == [] and bounded["functions"] == 3
    assert bounded["capped"] is True and "symbols and imports are left out" in bounded["warning"]
    small = {"language": "go", "symbols": []}
    assert bound_result(dict(small), 1024) == small


def test_ast_nodes_rows_name_the_parent() -> None:
    analyzer = AstAnalyzer()
    source = textwrap.dedent("""
        class Outer:
            def method(self):
                pass
    """).encode()
    result = analyzer.analyze_file("m.py", source, AstOptions())
    rows = analyzer.table_rows({"files": {"m.py": result}})["ast_nodes"]
    assert [(r["qualified_name"], r["parent"]) for r in rows] == [("Outer", None), ("Outer.method", "Outer")]
