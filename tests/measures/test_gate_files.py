"""Gate conditions: the syntax, and bad gate files as one line naming the file and line."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.gate.conditions import ConditionError, parse_condition
from coe_framework.measures import catalogue
from coe_framework.testing.environment import build_manager


@pytest.fixture(scope="module")
def measures() -> Any:
    return catalogue(build_manager(builtins=["ast", "git", "techspec"]))


@pytest.mark.parametrize(("text", "expected"), [
    ("mean_complexity <= 4", ("mean_complexity", "<=", 4.0, False)),
    ("  truck_factor>=2 ", ("truck_factor", ">=", 2.0, False)),
    ("delta( mean_complexity ) <= 0", ("mean_complexity", "<=", 0.0, True)),
    ("dependencies_without_version == 0", ("dependencies_without_version", "==", 0.0, False)),
    ("lines != -1.5e2", ("lines", "!=", -150.0, False)),
    ("p90_complexity < .5", ("p90_complexity", "<", 0.5, False)),
    ("new_functions_rank_d_or_worse > 0", ("new_functions_rank_d_or_worse", ">", 0.0, False)),
])
def test_conditions_parse(text: str, expected: tuple[Any, ...], measures: Any) -> None:
    condition = parse_condition(text, measures)
    assert (condition.measure, condition.op, condition.threshold, condition.delta) == expected


@pytest.mark.parametrize(("text", "message"), [
    ("mean_complexity =< 4", "cannot read condition"),
    ("mean_complexity <= four", "cannot read condition"),
    ("mean_complexity", "cannot read condition"),
    ("delta(mean_complexity <= 4", "cannot read condition"),
    ("mean_cx <= 4", "unknown measure 'mean_cx' (did you mean mean_complexity"),
    ("delta(new_functions_rank_d_or_worse) == 0", "already compares with the baseline"),
    ("lines <= 1e999", "out of range"),
    ("lines <= 1\n", "control characters"),
    ("x" * 300, "longer than"),
])
def test_bad_conditions(text: str, message: str, measures: Any) -> None:
    with pytest.raises(ConditionError, match=None) as raised:
        parse_condition(text, measures)
    assert message in str(raised.value)


def _gate(*args: str) -> Any:
    return CliRunner().invoke(cli, ["gate", *args])


def _one_line(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0].removeprefix("coe: error: ")


@pytest.mark.parametrize(("content", "message"), [
    ('[other]\nx = 1\n\n[gate]\nconditions = [\n  "mean_complexity <= 4",\n  "truck_factr >= 2",\n]\n',
     "gate.toml:7: unknown measure 'truck_factr' (did you mean truck_factor"),
    ('[gate]\nconditions = [\n  "mean_complexity <= 4",\n  "mean_complexity => 4",\n]\n', "gate.toml:4: cannot read condition"),
    ('[gate]\nconditions = [\n  "mean_complexity <= 4"\n  "lines < 3"\n]\n', "gate.toml:4: invalid TOML"),
    ('[gate]\nconditions = ["lines < 3"]\nthreshold = 3\n', "gate.toml:3: unknown key 'threshold' in [gate]"),
    ('[gate]\nconditions = "lines < 3"\n', "gate.toml:2: 'conditions' must be a non-empty list"),
    ('[gate]\nconditions = ["lines < 3", 4]\n', "gate.toml:2: a condition must be a string"),
    ('[tool]\nx = 1\n', "gate.toml: no [gate] table"),
    (b"\xff\xfe[gate]", "gate.toml: not UTF-8 text"),
    ("x = " + "[" * 100_000, "gate.toml: invalid TOML: nested too deeply"),
])
def test_bad_gate_files_name_the_file_and_line(content: Any, message: str, tmp_path: Path, make_repo: Any) -> None:
    path = tmp_path / "gate.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    repo = make_repo(files={"a.py": "x = 1\n"})
    error = _one_line(_gate(str(repo.path), "--config", str(path)))
    assert error.startswith(str(tmp_path)) and error.removeprefix(str(tmp_path) + "/").startswith(message), error


def test_a_missing_or_unreadable_gate_file(tmp_path: Path, make_repo: Any) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    assert _one_line(_gate(str(repo.path), "--config", str(tmp_path / "none.toml"))).endswith("none.toml: no such file")
    (tmp_path / "dir.toml").mkdir()
    assert "dir.toml: cannot read it: not a regular file" in _one_line(_gate(str(repo.path), "--config", str(tmp_path / "dir.toml")))


def test_the_repository_pyproject_gate_is_read_at_the_commit(make_repo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_PLUGINS", "ast")
    pyproject = '[project]\nname = "x"\n\n[tool.coe.gate]\nconditions = [\n    "lines < 100",\n    "mean_complexty <= 4",\n]\n'
    repo = make_repo(files={"a.py": "x = 1\n", "pyproject.toml": pyproject})
    assert _one_line(_gate(str(repo.path))).startswith("pyproject.toml:7: unknown measure 'mean_complexty'")
    repo.commit({"pyproject.toml": pyproject.replace("mean_complexty", "mean_complexity")})
    result = _gate(str(repo.path))
    assert result.exit_code == 0, result.output
    assert "PASS  lines < 100  (actual 1)" in result.stdout


def test_coe_toml_in_the_working_directory_and_the_precedence(make_repo: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COE_PLUGINS", "ast")
    repo = make_repo(files={"a.py": "x = 1\n"})
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    assert "no gate conditions" in _one_line(_gate(str(repo.path)))
    (workdir / "coe.toml").write_text('result_cache_entries = 64\n')
    assert "no gate conditions" in _one_line(_gate(str(repo.path))), "a coe.toml without [gate] is not an error"
    (workdir / "coe.toml").write_text('[gates]\nconditions = ["lines > 100"]\n')
    assert "coe.toml:1: unknown table [gates]" in _one_line(_gate(str(repo.path))), "a misspelled table is named"
    (workdir / "coe.toml").write_text('[gate]\nconditions = ["lines > 100"]\n')
    assert _gate(str(repo.path)).exit_code == 1
    assert _gate(str(repo.path), "--condition", "lines < 100").exit_code == 0, "--condition wins over coe.toml"


def test_a_measure_of_a_plugin_that_is_not_loaded(make_repo: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_DISABLE_PLUGINS", "git")
    repo = make_repo(files={"a.py": "x = 1\n"})
    assert "unknown measure 'truck_factor'" in _one_line(_gate(str(repo.path), "--condition", "truck_factor >= 2"))
