"""Chunking on symbol boundaries and document sections."""
from __future__ import annotations

import ast
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coe_framework.plugin.rag_helpers import FUNCTION_KINDS, chunk_symbols, markdown_sections, text_sections, truncate

# --- generated Python sources --------------------------------------------------------

statement = st.builds(lambda n: [f"x{n} = {n}"], st.integers(0, 99))


def _function(body: list[list[str]], name: int) -> list[str]:
    lines = [f"def f{name}(a):"]
    for part in body or [["pass"]]:
        lines += ["    " + line for line in part]
    return lines


def _class(members: list[list[str]], name: int) -> list[str]:
    lines = [f"class C{name}:"]
    for member in members or [["pass"]]:
        lines += ["    " + line for line in member] + [""]
    return lines


blocks = st.recursive(
    statement,
    lambda inner: st.one_of(
        st.builds(_function, st.lists(st.one_of(statement, inner), max_size=4), st.integers(0, 99)),
        st.builds(_class, st.lists(inner, max_size=4), st.integers(0, 99)),
    ),
    max_leaves=12,
)


def _symbols(source: str) -> list[dict[str, Any]]:
    """Symbols with line ranges from Python's own parser, methods told apart from functions."""
    found: list[dict[str, Any]] = []

    def visit(node: ast.AST, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.ClassDef)):
                kind = "class" if isinstance(child, ast.ClassDef) else ("method" if in_class else "function")
                found.append({"kind": kind, "name": child.name, "line_start": child.lineno, "line_end": child.end_lineno})
                visit(child, isinstance(child, ast.ClassDef))
            else:
                visit(child, in_class)

    visit(ast.parse(source), False)
    return found


@settings(max_examples=80, deadline=None)
@given(st.lists(blocks, min_size=1, max_size=6), st.integers(15, 400))
def test_chunks_never_split_a_function(parts: list[list[str]], max_chars: int) -> None:
    source = "\n".join(line for part in parts for line in part + [""]) + "\n"
    symbols = _symbols(source)
    chunks = chunk_symbols(source, symbols, max_chars)
    lines = source.splitlines()
    # In order, disjoint, and every non-blank line is in some chunk.
    for before, after in zip(chunks, chunks[1:]):
        assert before.line_end < after.line_start
    covered = {n for c in chunks for n in range(c.line_start, c.line_end + 1)}
    assert {n for n, line in enumerate(lines, 1) if line.strip()} <= covered
    for symbol in symbols:
        if symbol["kind"] not in FUNCTION_KINDS:
            continue
        holders = [c for c in chunks if c.line_start <= symbol["line_start"] and symbol["line_end"] <= c.line_end]
        overlapping = [c for c in chunks if c.line_start <= symbol["line_end"] and symbol["line_start"] <= c.line_end]
        assert len(holders) == 1 and overlapping == holders, symbol
    for chunk in chunks:
        body = "".join(source.splitlines(keepends=True)[chunk.line_start - 1 : chunk.line_end])
        if chunk.truncated:
            assert chunk.symbol is not None or chunk.line_start == chunk.line_end
            assert "[truncated:" in chunk.text and len(chunk.text) < max_chars + 120
        else:
            assert chunk.text == body and len(body) <= max_chars


def test_large_class_is_split_on_its_methods_and_a_large_function_truncated() -> None:
    method = "    def m{0}(self):\n" + "".join(f"        v{{0}}_{i} = {i}\n" for i in range(8))
    source = "import os\n\n\nclass Big:\n    '''doc'''\n\n" + "".join(method.format(k) for k in range(3)) + "\n\ndef huge():\n" + "    y = 1\n" * 60
    symbols = _symbols(source)
    chunks = chunk_symbols(source, symbols, max_chars=300)
    roles = [(c.role, c.symbol["name"] if c.symbol else None) for c in chunks]
    assert roles == [("module", None), ("part", "Big"), ("symbol", "m0"), ("symbol", "m1"), ("symbol", "m2"), ("symbol", "huge")]
    huge = chunks[-1]
    assert huge.truncated and huge.line_end == len(source.splitlines()) and "more line(s) of function huge" in huge.text
    # The class fits when the cap allows: one chunk.
    assert [c.symbol["name"] for c in chunk_symbols(source, symbols, 10_000) if c.symbol] == ["Big", "huge"]


def test_bad_symbol_ranges_are_ignored() -> None:
    source = "a = 1\nb = 2\n"
    chunks = chunk_symbols(source, [{"kind": "function", "line_start": 5, "line_end": 9}, {"kind": "function", "line_start": None, "line_end": 1}])
    assert [(c.line_start, c.line_end, c.role) for c in chunks] == [(1, 2, "module")]
    assert chunk_symbols("", [{"kind": "function", "line_start": 1, "line_end": 1}]) == []


def test_markdown_sections_with_preamble_setext_and_oversized_section() -> None:
    text = "preface\n\nTitle\n=====\n\nintro\n\n## Part\n\n" + "word " * 40 + "\n\n" + "more " * 40 + "\n"
    sections = markdown_sections(text, max_chars=260, default_title="README.md")
    assert [(s.title, s.line_start) for s in sections] == [("README.md", 1), ("Title", 3), ("Title > Part", 8), ("Title > Part", 12)]
    assert all(len(s.text) <= 260 for s in sections)


def test_text_sections_and_truncate() -> None:
    pieces = text_sections("one\ntwo\n\nthree\n", max_chars=9, title="t")
    assert [(p.line_start, p.line_end, p.text) for p in pieces] == [(1, 3, "one\ntwo\n\n"), (4, 4, "three\n")]
    long_line = text_sections("x" * 50 + "\n", max_chars=20)
    assert len(long_line) == 1 and long_line[0].truncated
    assert truncate("short", 10) == ("short", False)
    cut, flag = truncate("a\nb\nc\nd\n", 4, "thing")
    assert flag and cut.startswith("a\nb") and "2 more line(s) of thing" in cut


markdown_line = st.one_of(
    st.sampled_from(["", "text line", "# Head", "## Sub head", "### Deep", "```", "    indented code", "- item", "> quote", "Setext", "===", "---"]),
    st.text(alphabet="ab #*`-=\t", max_size=30),
)


@settings(max_examples=80, deadline=None)
@given(st.lists(markdown_line, max_size=40), st.integers(20, 200))
def test_markdown_sections_cover_the_text_in_order(lines: list[str], max_chars: int) -> None:
    text = "\n".join(lines) + "\n"
    sections = markdown_sections(text, max_chars)
    for before, after in zip(sections, sections[1:]):
        assert before.line_end < after.line_start
    covered = {n for s in sections for n in range(s.line_start, s.line_end + 1)}
    assert {n for n, line in enumerate(text.splitlines(), 1) if line.strip()} <= covered
    for section in sections:
        assert section.truncated or len(section.text) <= max_chars
