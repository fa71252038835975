"""Python metrics on hand-written sources with hand-counted expectations."""
from __future__ import annotations

import ast
import textwrap
from typing import Any

import pytest
from radon.complexity import cc_visit
from radon.raw import analyze as radon_raw

from coe_plugins.ast.analyzer import AstAnalyzer
from coe_plugins.ast.models import AstOptions
from coe_plugins.ast.python_analysis import analyze_python
from coe_plugins.ast.python_cognitive import cognitive_complexity
from coe_plugins.ast.python_raw import raw_metrics
from coe_plugins.ast.treesitter_analysis import analyze_treesitter


def _analyze(source: str) -> dict[str, Any]:
    return analyze_python(textwrap.dedent(source).encode())


def _by_name(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["qualified_name"]: s for s in result["symbols"]}


CONSTRUCTS = '''
import os, sys as system
from ..pkg import a, b

@decorator
def every_construct(x, *args, flag=False, **kw):
    """Docstring."""
    if x and flag or not x:                     # if +1, and/or +2
        pass
    elif x:                                     # +1
        pass
    for i in range(3):                          # +1, else +1
        pass
    else:
        pass
    while x:                                    # +1
        x -= 1
    try:                                        # two handlers +2, else +1
        pass
    except ValueError:
        pass
    except KeyError:
        pass
    else:
        pass
    y = [i for i in args if i if i > 1]         # comprehension +1, two ifs +2
    z = 1 if x else 2                           # +1
    assert x, "message"                         # +1
    match x:                                    # three cases, one irrefutable: +2
        case 1:
            pass
        case [a, b]:
            pass
        case _:
            pass
    with open(x) as f:                          # not counted
        pass
    return lambda q: q or 1                     # lambda body counts here: +1

class Shape(Base):
    sides = 0 if Base else 1                    # +1 in the class body

    def area(self):
        return 0

    def describe(self, verbose):
        if verbose:
            return "long"
        return "short"

    class Inner:
        def hidden(self):
            return 1

def outer():
    def inner(a):
        return a and a.b
    return inner
'''


def test_cyclomatic_complexity_by_radon_rules() -> None:
    result = _analyze(CONSTRUCTS)
    symbols = _by_name(result)
    assert symbols["every_construct"]["complexity"] == 1 + 3 + 1 + 2 + 1 + 3 + 3 + 1 + 1 + 2 + 1 == 19
    assert symbols["every_construct"]["rank"] == "C"
    assert symbols["every_construct"]["parameters"] == ["x", "*args", "flag", "**kw"]
    assert symbols["every_construct"]["decorators"] == ["decorator"]
    assert symbols["every_construct"]["docstring"] is True
    assert symbols["every_construct"]["line_start"] == 5 and symbols["every_construct"]["def_line"] == 6
    # class: real = 1 + 1 (body) + 1 + 2 (methods) = 5; two methods: int(5 / 2) + 1
    assert (symbols["Shape"]["complexity"], symbols["Shape"]["methods"]) == (3, 2)
    assert symbols["Shape.describe"]["kind"] == "method"
    assert result["symbols"][symbols["Shape.Inner.hidden"]["parent"]]["qualified_name"] == "Shape.Inner"
    assert (symbols["outer"]["complexity"], symbols["outer.inner"]["complexity"]) == (1, 2)
    assert symbols["outer.inner"]["kind"] == "function"
    radon = {(b.name, b.complexity) for b in cc_visit(textwrap.dedent(CONSTRUCTS))}
    assert {("every_construct", 19), ("Shape", 3), ("area", 1), ("describe", 2), ("outer", 1)} == radon
    assert [(i["module"], i["alias"], i["level"]) for i in result["imports"]] == [
        ("os", None, 0), ("sys", "system", 0), ("pkg", None, 2),
    ]
    assert result["imports"][2]["names"] == ["a", "b"]


def test_file_level_figures() -> None:
    result = _analyze(CONSTRUCTS)
    callables = [s["complexity"] for s in result["symbols"] if s["kind"] != "class"]
    assert result["complexity"] == sum(callables) == 19 + 1 + 2 + 1 + 1 + 2
    assert result["max_complexity"] == 19
    assert (result["functions"], result["classes"]) == (6, 2)
    assert result["maintainability_rank"] in ("A", "B", "C")


def _cognitive(source: str) -> int:
    tree = ast.parse(textwrap.dedent(source))
    function = tree.body[0]
    assert isinstance(function, ast.FunctionDef)
    return cognitive_complexity(function)


def test_cognitive_complexity_of_the_specifications_examples() -> None:
    # sumOfPrimes from the white paper, without Java's labelled continue (+1 there)
    assert _cognitive('''
        def sum_of_primes(limit):
            total = 0
            for i in range(1, limit + 1):      # +1
                for j in range(2, i):          # +2 (nesting 1)
                    if i % j == 0:             # +3 (nesting 2)
                        break
                else:                          # +1
                    total += i
            return total
    ''') == 7
    # getWords: a switch is one increment however many cases it has
    assert _cognitive('''
        def get_words(number):
            match number:                      # +1
                case 1:
                    return "one"
                case 2:
                    return "a couple"
                case _:
                    return "lots"
    ''') == 1


def test_cognitive_complexity_increments() -> None:
    assert _cognitive('''
        def f(a, b, c):
            if a:                              # +1
                pass
            elif b:                            # +1
                pass
            else:                              # +1
                pass
            x = a and b and c                  # +1 (one sequence)
            y = a and b or c                   # +2 (two sequences)
            try:
                pass
            except ValueError:                 # +1
                if a:                          # +2 (nesting 1)
                    pass
            g = lambda: 1 if a else 2          # +2 (nested in a lambda)
            return f(a, b, c)                  # +1 recursion
    ''') == 1 + 1 + 1 + 1 + 2 + 1 + 2 + 2 + 1


def test_raw_metrics_of_a_long_literal_table_in_one_pass() -> None:
    rows = "".join(f"    ({i}, 'row {i}'),  # entry\n" for i in range(3000))
    source = f'"""Lookup table."""\n\nTABLE = [\n{rows}]\n'
    raw = raw_metrics(source)
    assert raw.as_dict() == {
        "loc": 3004, "lloc": 2, "sloc": 3002, "comments": 3000, "multi": 0, "blank": 1, "single_comments": 1,
    }
    small = f'"""Lookup table."""\n\nTABLE = [\n{"".join(rows.splitlines(True)[:20])}]\n'
    assert raw_metrics(small).as_dict() == radon_raw(small)._asdict()


@pytest.mark.parametrize(
    "source",
    [
        "x = 1; y = 2\nif x: y = 3\n",
        "def f():\n    '''one\n\n    two'''\n    return {1: 2,\n            3: 4}  # c\n\n\n",
        "# only a comment",
        "s = '''a\n\nb'''\n\\\n\nx = (1 +\n     2)\n",
        "class A: pass\n\x0c\nclass B:\n    x: int = 1\n",
        "",
        "\n\n",
        # radon's own case "docstring continued by blank line is not a single-line comment"
        'def function():\n    """ docstring continued by blank line """ \\\n\n    pass\n',
        "x = 1 \\\n\ny = 2\n",
        "'''a\nb''' \\\n\nif x: pass\n",
        "# c\n's' \\\n\n\nx = 1\n",
        "x = [1,\n 2] \\\n\n\n\ny = (3 \\\n\n)\n",
    ],
)
def test_raw_metrics_equal_radon_on_edge_cases(source: str) -> None:
    assert raw_metrics(source).as_dict() == radon_raw(source)._asdict()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"def f(:\n", "syntax error at line 1"),
        (b"x = 1\x00\n", "null bytes"),
        (b"# -*- coding: klingon -*-\nx = 1\n", "cannot determine the encoding"),
        (b"x = 1\ny = 2\nz = '\xff\xfe'\n", "not valid utf-8"),
    ],
)
def test_bad_input_is_data_not_an_exception(data: bytes, message: str) -> None:
    result = AstAnalyzer().analyze_file("bad.py", data, AstOptions())
    assert result["language"] == "python"
    assert message in result["error"]


def test_nesting_too_deep_is_reported() -> None:
    source = "x = " + "-" * 200_000 + "1\n"
    result = AstAnalyzer().analyze_file("deep.py", source.encode(), AstOptions())
    assert "error" in result


def test_tree_sitter_parse_past_its_deadline_is_capped() -> None:
    source = b"int f(int x) { return x ? 1 : 2; }\n" * 20_000
    result = analyze_treesitter("c", source, timeout=1e-9)
    assert result["capped"] is True and "longer than" in result["error"]
