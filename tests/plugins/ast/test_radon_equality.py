"""Python metrics equal radon's on real code (the standard library), block by block.

The sample is deterministic (every n-th file); ``COE_AST_FULL_STDLIB=1``
compares the whole library. Cyclomatic complexity and Halstead are compared
on every file. radon's raw pass re-tokenizes a statement once per extra line
(quadratic), so to keep the suite fast raw counts and the maintainability
index are compared only where no expression spans more than
``RADON_QUICK_SPAN`` lines and the file is below ``RADON_QUICK_BYTES``
(everywhere with ``COE_AST_FULL_STDLIB=1``).
"""
from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

radon_complexity = pytest.importorskip("radon.complexity", reason="radon is the reference these tests compare with")
from radon.metrics import h_visit, mi_visit  # noqa: E402
from radon.raw import analyze as radon_raw  # noqa: E402

from coe_plugins.ast.python_analysis import analyze_python  # noqa: E402
from coe_plugins.ast.python_source import decode_python_source  # noqa: E402

from .stdlib_sample import FULL_ENV, stdlib_files, stdlib_sample  # noqa: E402

RADON_QUICK_BYTES = 40_000
RADON_QUICK_SPAN = 40
SAMPLE = stdlib_sample()


def _radon_visible(symbols: list[dict[str, Any]]) -> list[tuple[str, int, int, str, int, str]]:
    """Our blocks that radon's ``cc_visit`` reports: module-level functions and
    classes, and the methods of module-level classes (radon leaves closures and
    nested classes out unless asked)."""
    top_classes = {index for index, s in enumerate(symbols) if s["kind"] == "class" and s["parent"] is None}
    visible = [s for s in symbols if s["parent"] is None or (s["kind"] == "method" and s["parent"] in top_classes)]
    return sorted(
        ("C" if s["kind"] == "class" else "M" if s["kind"] == "method" else "F", s["def_line"], s["column"], s["name"], s["complexity"], s["rank"])
        for s in visible
    )


def _radon_blocks(source: str) -> list[tuple[str, int, int, str, int, str]]:
    return sorted(
        (b.letter, b.lineno, b.col_offset, b.name, b.complexity, radon_complexity.cc_rank(b.complexity))
        for b in radon_complexity.cc_visit(source)
    )


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        return False
    return True


def _radon_raw_is_quick(source: str, size: int) -> bool:
    if os.environ.get(FULL_ENV) == "1":
        return True
    if size > RADON_QUICK_BYTES:
        return False
    longest = max(
        (n.end_lineno - n.lineno for n in ast.walk(ast.parse(source)) if isinstance(n, ast.expr) and n.end_lineno),
        default=0,
    )
    return longest <= RADON_QUICK_SPAN


@pytest.mark.parametrize("path", SAMPLE, ids=lambda p: p.name)
def test_blocks_halstead_raw_and_mi_equal_radon(path: Path) -> None:
    data = path.read_bytes()
    ours = analyze_python(data)
    try:
        source = decode_python_source(data)
    except ValueError:
        assert "error" in ours
        return
    if not _parses(source):
        assert ours["error"].startswith("syntax error")
        with pytest.raises(SyntaxError):
            radon_complexity.cc_visit(source)
        return
    assert _radon_visible(ours["symbols"]) == _radon_blocks(source)
    theirs_h = h_visit(source).total
    for field in ("h1", "h2", "N1", "N2", "vocabulary", "length"):
        assert ours["halstead"][field] == getattr(theirs_h, field), field
    for field in ("volume", "difficulty", "effort", "calculated_length"):
        assert ours["halstead"][field] == pytest.approx(getattr(theirs_h, field), rel=1e-12, abs=1e-12), field
    if ours["sloc"] is None:  # tokenize rejects the text: radon cannot count it either
        with pytest.raises(SyntaxError):
            radon_raw(source)
        return
    if not _radon_raw_is_quick(source, len(data)):
        return
    theirs_raw = radon_raw(source)._asdict()
    assert {k: ours[k] for k in theirs_raw} == theirs_raw
    assert ours["maintainability"] == pytest.approx(mi_visit(source, True), abs=1e-9)


def test_sample_is_large_and_spans_the_library() -> None:
    everything = stdlib_files()
    if len(everything) < 200:
        pytest.skip("this Python ships a trimmed standard library")
    assert len(SAMPLE) >= 50
    assert len({p.parent for p in SAMPLE}) >= 10


# --- differences from radon, each with the reason -----------------------------

LATIN1_WITH_COOKIE = "# -*- coding: latin-1 -*-\n\ndef greet(name):\n    if name:\n        return 'Grüß ' + name\n    return 'Grüß Gott'\n".encode("latin-1")


def test_encoding_cookie_is_honoured_where_radons_cli_ignores_it(tmp_path: Path) -> None:
    """radon's CLI opens files in the locale's encoding (or RADONFILESENCODING),
    ignoring PEP 263 cookies: a Latin-1 file with a cookie does not even decode
    as UTF-8. We decode as the interpreter does and measure the file."""
    target = tmp_path / "latin.py"
    target.write_bytes(LATIN1_WITH_COOKIE)
    radon_cli = Path(sys.executable).with_name("radon")
    if not radon_cli.exists():
        pytest.skip("radon's command line is not installed next to this Python")
    env = {**{k: v for k, v in os.environ.items() if k != "RADONFILESENCODING"}, "LC_ALL": "C.UTF-8", "PYTHONUTF8": "1"}
    proc = subprocess.run([str(radon_cli), "cc", "-j", str(target)], capture_output=True, text=True, env=env, timeout=60)
    assert "error" in proc.stdout and "codec can't decode" in proc.stdout
    ours = analyze_python(LATIN1_WITH_COOKIE)
    assert "error" not in ours
    assert [(s["name"], s["complexity"]) for s in ours["symbols"]] == [("greet", 2)]
    assert ours["loc"] == radon_raw(LATIN1_WITH_COOKIE.decode("latin-1")).loc == 6


def test_byte_order_mark_is_honoured() -> None:
    """Text decoded naively keeps U+FEFF, which ``ast.parse`` (and so radon) rejects."""
    data = b"\xef\xbb\xbfdef f(a):\n    return a or 1\n"
    with pytest.raises(SyntaxError):
        radon_complexity.cc_visit(data.decode("utf-8"))
    ours = analyze_python(data)
    assert [(s["name"], s["complexity"]) for s in ours["symbols"]] == [("f", 2)]


def test_identifier_python_accepts_but_tokenize_does_not() -> None:
    """An identifier with a variation selector parses, but ``tokenize`` (which
    radon's raw pass uses) rejects it: radon raises SyntaxError for raw counts
    and the maintainability index. We still report complexity, and say why the
    raw counts are missing instead of failing the file."""
    source = "def f\U000E0100(x):\n    return x and 1\n"
    with pytest.raises(SyntaxError):
        radon_raw(source)
    ours = analyze_python(source.encode())
    assert "error" not in ours
    assert ours["symbols"][0]["complexity"] == 2
    assert ours["sloc"] is None and ours["maintainability"] is None
    assert "raw metrics unavailable" in ours["warning"]
