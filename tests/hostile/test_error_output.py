"""Every error on the CLI is one line; tracebacks only with COE_DEBUG=1; SQL parameters never."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from coe_framework.cli.logsetup import OneLineFormatter
from coe_framework.testing.gitrepo import GitRepo

from .error_plugin import SECRET

pytestmark = pytest.mark.hostile

PLUGIN = str(Path(__file__).with_name("error_plugin.py"))


def run_coe(*args: str, debug: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "COE_DEBUG"}
    env["COE_PLUGIN_MODULES"] = PLUGIN
    if debug:
        env["COE_DEBUG"] = "1"
    return subprocess.run([sys.executable, "-m", "coe_framework", *args], capture_output=True, text=True, env=env, timeout=120)


def test_an_internal_error_is_one_line() -> None:
    result = run_coe("boom")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "coe: internal error: RuntimeError: internal failure (set COE_DEBUG=1 for the details)"
    ]


def test_coe_debug_shows_the_traceback() -> None:
    result = run_coe("boom", debug=True)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr and "line three" in result.stderr


@pytest.mark.parametrize("debug", [False, True])
def test_an_sql_error_never_shows_its_parameters(debug: bool) -> None:
    result = run_coe("sqlfail", debug=debug)
    assert result.returncode == 1
    assert SECRET not in result.stdout + result.stderr
    if not debug:
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and lines[0].startswith("coe: internal error: OperationalError: ") and "no_such_table" in lines[0]


def test_a_failing_analyzer_and_a_failing_listener_print_no_traceback(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    result = run_coe("analyze", str(repo.path), "-a", "explodes")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and SECRET not in result.stderr
    assert "explodes     failed" in result.stdout and "RuntimeError: the analyzer broke (at error_plugin.py" in result.stdout
    assert "with a second line" not in result.stdout + result.stderr
    listener = [line for line in result.stderr.splitlines() if "coe_analysis_finished" in line]
    assert listener == ["ERROR coe_framework.plugin.manager: plugin error_plugin raised in coe_analysis_finished (ignored): "
                        "RuntimeError: listener failed"]


def test_the_one_line_formatter_folds_messages_and_exceptions() -> None:
    formatter = OneLineFormatter("%(levelname)s %(name)s: %(message)s")
    try:
        raise ValueError("first\nsecond")
    except ValueError:
        record = logging.LogRecord("coe.x", logging.ERROR, __file__, 1, "failed %s", ("here",), sys.exc_info())
    assert formatter.format(record) == "ERROR coe.x: failed here: ValueError: first"
    multi = logging.LogRecord("coe.x", logging.WARNING, __file__, 1, "one\n[SQL: two]", (), None)
    assert formatter.format(multi) == "WARNING coe.x: one …"


def test_engines_hide_sql_parameters(tmp_path: Path) -> None:
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    from coe_framework.db.engine import make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(OperationalError) as failed, engine.connect() as conn:
        conn.execute(text("SELECT * FROM nope WHERE v = :v"), {"v": SECRET})
    engine.dispose()
    assert SECRET not in str(failed.value) and "hidden" in str(failed.value)
