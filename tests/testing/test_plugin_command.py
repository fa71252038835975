"""`coe plugin new` and `coe plugin check` from the command line (in-process)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.plugin.manager import reset_manager
from coe_framework.testing.scaffold import PluginNames, create_plugin

MODULE_PLUGIN = Path(__file__).with_name("module_plugin.py")


@pytest.fixture
def coe(monkeypatch):
    """Run `coe` with only the one-off module plugin loaded."""
    monkeypatch.setenv("COE_PLUGIN_MODULES", str(MODULE_PLUGIN))
    monkeypatch.setenv("COE_PLUGINS", "")
    monkeypatch.setenv("COE_DISABLE_PLUGINS", "git,ast,techspec")
    reset_manager()

    def invoke(*args: str):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_names_derive_from_the_plugin_name():
    names = PluginNames.from_name("todo-counter_2")
    assert (names.dist, names.module, names.class_name) == ("coe-todo-counter-2", "coe_todo_counter_2", "TodoCounter2")


def test_new_writes_a_complete_package(coe, tmp_path):
    result = coe("plugin", "new", "todo-counter", "--directory", str(tmp_path), "--description", "Counts TODOs")
    assert result.exit_code == 0, result.output
    root = tmp_path / "coe-todo-counter"
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert files == [
        "README.md", "coe_todo_counter/__init__.py", "coe_todo_counter/analyzer.py", "coe_todo_counter/plugin.py",
        "pyproject.toml", "setup.cfg", "tests/test_analyzer.py",
    ]
    for path in root.rglob("*.py"):
        ast.parse(path.read_text(), str(path))  # every generated module is valid Python
    assert "coe =\n    todo-counter = coe_todo_counter.plugin" in (root / "setup.cfg").read_text()
    assert 'coe_plugins = ["todo-counter"]' in (root / "pyproject.toml").read_text()
    assert 'description = "Counts TODOs"' in (root / "coe_todo_counter/analyzer.py").read_text()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["Bad Name"], "plugin name 'Bad Name' must start with a lowercase letter"),
        (["ok", "--description", 'say "hi"'], "description must be one non-empty line without quotes"),
    ],
)
def test_new_refuses_bad_input_in_one_line(coe, tmp_path, args, message):
    result = coe("plugin", "new", *args, "--directory", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.startswith("coe: error: ") and len(result.stderr.strip().splitlines()) == 1
    assert message in result.stderr
    assert not list(tmp_path.iterdir())


def test_new_never_overwrites(coe, tmp_path):
    create_plugin("demo", tmp_path)
    result = coe("plugin", "new", "demo", "--directory", str(tmp_path))
    assert result.exit_code == 2 and "already exists and is not empty" in result.stderr


def test_check_reports_conformance(coe, tmp_path):
    good = coe("plugin", "check", "bytes", "--skip", "cancellation")
    assert good.exit_code == 0, good.output
    assert good.stdout.strip() == "analyzer 'bytes' 1 conforms"
    bad = coe("plugin", "check", "empty-crash", "--skip", "cancellation", "--skip", "deterministic")
    assert bad.exit_code == 1
    assert bad.stdout.startswith("analyzer 'empty-crash' 1: 1 problem(s)\n  1. [empty_tree] on a commit with no files")
    unknown = coe("plugin", "check", "nope")
    assert unknown.exit_code == 2 and "unknown analyzer 'nope' (installed: bytes, empty-crash)" in unknown.stderr
    bad_skip = coe("plugin", "check", "bytes", "--skip", "speed")
    assert bad_skip.exit_code == 2 and "unknown conformance check(s) ['speed']" in bad_skip.stderr
