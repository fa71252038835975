"""The `coe` command: bad input is one line and a non-zero exit, never a traceback."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Callable

import pytest

from coe_framework.testing.gitrepo import GitRepo

SAMPLE_MODULE = str(Path(__file__).with_name("sample_plugin_module.py"))
ROOT = Path(__file__).resolve().parents[2]


def coe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COE_PLUGIN_MODULES": SAMPLE_MODULE, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "coe_framework", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], expected: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("coe:")]
    assert len(lines) == 1 and expected in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    return make_repo(files={"a.py": "x = 1\n", "b.txt": "1\n2\n"})


def test_version() -> None:
    proc = coe("--version")
    assert proc.returncode == 0 and proc.stdout.startswith("coe, version ")


def test_bad_input_is_one_line(tmp_path: Path, make_repo: Callable[..., GitRepo], repo: GitRepo) -> None:
    assert_one_line_error(coe("analyze", str(tmp_path / "missing")), "does not exist")
    plain = tmp_path / "plain"
    plain.mkdir()
    assert_one_line_error(coe("analyze", str(plain)), "is not a Git repository")
    empty = make_repo("empty")
    assert_one_line_error(coe("analyze", str(empty.path)), "repository is empty")
    assert_one_line_error(coe("analyze", str(repo.path), "--ref", "no-such-ref"), "unknown ref 'no-such-ref'")
    assert_one_line_error(coe("analyze", str(repo.path), "-a", "nope"), "unknown analyzer 'nope'")
    assert_one_line_error(coe("analyze", str(repo.path), "--set", "count.colour=red", "-a", "count"), "invalid options")
    assert_one_line_error(coe("analyze", str(repo.path), "--set", "broken"), "ANALYZER.KEY=VALUE")
    assert_one_line_error(coe("analyze", str(repo.path), "-o", "a.txt", "-o", "b.txt"), "write one file")
    assert_one_line_error(coe("analyze", "file:///etc"), "not allowed")


def test_analyze_json_and_partial_exit_code(repo: GitRepo) -> None:
    proc = coe("analyze", str(repo.path), "-a", "count", "-a", "lines", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    (repository,) = report["repositories"]
    assert repository["commit"] == repo.head and repository["status"] == "succeeded"
    assert repository["results"]["count"]["data"] == {"files": 2, "bytes": 10}
    assert repository["results"]["lines"]["data"]["total"] == 3

    failing = coe("analyze", str(repo.path), "-a", "count", "-a", "raises")
    assert failing.returncode == 1
    assert "partial" in failing.stdout and "ValueError: boom" in failing.stdout


def test_analyze_output_writes_the_chosen_format_and_nothing_to_stdout(repo: GitRepo, tmp_path: Path) -> None:
    table = tmp_path / "report.txt"
    proc = coe("analyze", str(repo.path), "-a", "count", "--set", "count.suffix=.py", "--output", str(table))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and "deprecated" not in proc.stderr
    assert "count" in table.read_text() and "files=1" in table.read_text()
    assert "stored as analysis" in proc.stderr
    report = tmp_path / "report.json"
    proc = coe("analyze", str(repo.path), "-a", "count", "--set", "count.suffix=.py", "-o", str(report), "--format", "json")
    assert proc.returncode == 0 and proc.stdout == "", proc.stderr
    assert json.loads(report.read_text())["repositories"][0]["results"]["count"]["data"]["files"] == 1


def test_the_old_option_spelling_still_works_with_one_deprecation_line(repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "report.json"
    proc = coe("analyze", str(repo.path), "-a", "count", "-o", "count.suffix=.py", "--option", "count.suffix=.txt",
               "-o", str(out), "--format", "json")
    assert proc.returncode == 0, proc.stderr
    assert [ln for ln in proc.stderr.splitlines() if "deprecated" in ln] == [
        "coe: warning: '-o/--option ANALYZER.KEY=VALUE' is deprecated, use '--set ANALYZER.KEY=VALUE' (-o now means --output)"
    ]
    assert json.loads(out.read_text())["repositories"][0]["results"]["count"]["data"]["files"] == 1


def test_quiet_shows_only_results(repo: GitRepo) -> None:
    proc = coe("--quiet", "analyze", str(repo.path), "-a", "count")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "count" in proc.stdout and "stored as analysis" not in proc.stdout


def test_plugins_lists_builtins_and_json() -> None:
    proc = coe("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    names = {p["name"] for p in data["plugins"]}
    assert {"git", "ast", "techspec", "sample_plugin_module"} <= names
    assert data["analyzers"]["count"]["options_schema"]["properties"]["suffix"]["type"] == "string"
    text = coe("plugins", "--all")
    assert "sample_plugin_module" in text.stdout and "hooks: coe_register_analyzers" in text.stdout


def test_broken_plugin_never_bricks_the_tool(tmp_path: Path, repo: GitRepo) -> None:
    broken = tmp_path / "broken_plugin.py"
    broken.write_text("raise ImportError('missing dependency xyz')\n")
    env = {"COE_PLUGIN_MODULES": os.pathsep.join([SAMPLE_MODULE, str(broken)])}
    listing = coe("plugins", env=env)
    assert listing.returncode == 0
    assert "ERROR: import failed: ImportError: missing dependency xyz" in listing.stdout
    assert coe("analyze", str(repo.path), "-a", "count", env=env).returncode == 0
    strict = coe("plugins", env={**env, "COE_STRICT_PLUGINS": "1"})
    assert strict.returncode == 2 and "failed to load" in strict.stderr and "Traceback" not in strict.stderr


def test_core_never_imports_flask_or_celery() -> None:
    code = (
        "import sys, coe_framework.cli.main, coe_framework.analysis.runner, coe_framework.analysis.service\n"
        "from coe_framework.cli.main import cli\n"
        "bad = sorted(m for m in ('flask', 'apiflask', 'celery', 'coe_webapp') if m in sys.modules)\n"
        "print(','.join(bad))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "", f"the core imported {proc.stdout.strip()} at start-up"


def test_every_built_in_command_loads() -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import LAZY_COMMANDS, cli

    for name in LAZY_COMMANDS:
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, (name, result.output)


@pytest.mark.parametrize("args", [("plugins",), ("--help",), ("plugins", "--help")])
def test_a_closed_output_pipe_ends_quietly_with_zero(args: tuple[str, ...]) -> None:
    """``coe ... | head -1``: the reader is gone before coe writes; no error, exit 0."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = {**os.environ, "COE_PLUGIN_MODULES": SAMPLE_MODULE, "PYTHONPATH": str(ROOT)}
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "coe_framework", *args], stdout=write_end, stderr=subprocess.PIPE, text=True,
            env=env, timeout=120,
        )
    finally:
        os.close(write_end)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_dash_o_means_output_in_every_command() -> None:
    import click

    from coe_framework.cli.main import LAZY_COMMANDS, cli

    ctx = click.Context(cli)
    found = []

    def walk(command: click.Command, path: str) -> None:
        for param in command.params:
            if isinstance(param, click.Option) and "-o" in param.opts:
                assert "--output" in param.opts, f"{path}: -o is {param.opts}"
                found.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")

    for name in sorted(set(cli.list_commands(ctx)) | set(LAZY_COMMANDS)):
        command = cli.get_command(ctx, name)
        if command is not None:
            walk(command, name)
    assert {"analyze", "report", "sarif", "sbom", "rag export"} <= set(found)
