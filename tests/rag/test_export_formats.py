"""``coe export --format``: every registered format, a third party's included, and the
built-in commands rendering exactly what ``coe export`` renders."""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.plugin.manager import create_manager, reset_manager
from tests.outputs.export_plugin import AuthorsExportPlugin


@pytest.fixture
def run(stored_three: Any) -> Any:
    reset_manager(create_manager(env={}, extra_plugins=[("authors", AuthorsExportPlugin())]))
    runner = CliRunner()
    yield lambda *args: runner.invoke(cli, [str(a) for a in args], env={"COE_DATABASE_URL": stored_three.url})
    reset_manager(None)


def test_a_plugins_format_is_listed_and_exported(run: Any, stored_three: Any, tmp_path: Any) -> None:
    listing = run("export", "--list")
    assert listing.exit_code == 0 and "authors-csv  text/csv  .csv  [authors]" in listing.stdout
    described = {f["name"]: f for f in json.loads(run("export", "--list", "--json").stdout)}
    assert described["authors-csv"]["options"][0] == {"name": "limit", "type": "int", "default": 100, "help": "Authors per repository.",
                                                     "minimum": 1, "choices": []}
    result = run("export", stored_three.analysis_id, "--format", "authors-csv", "-O", "limit=1", "-O", "separator=;")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "repository;name;email;commits" and [line.split(";")[0] for line in lines[1:]] == ["alpha", "beta", "gamma"]
    target = tmp_path / "authors.csv"
    result = run("export", stored_three.analysis_id, "-f", "authors-csv", "-o", target)
    assert result.exit_code == 0 and target.read_text().startswith("repository,name,email,commits\n")


@pytest.mark.parametrize(("args", "message"), [
    (["-f", "nope"], "coe: error: unknown export format 'nope' (available: authors-csv, cyclonedx, markdown, rag, sarif)"),
    (["-f", "authors-csv", "-O", "limit=0"], "coe: error: option 'limit' must be at least 1"),
    (["-f", "authors-csv", "-O", "separator=|"], "coe: error: separator must be ',' or ';'"),
    (["-f", "authors-csv", "-O", "limit"], "coe: error: option 'limit' must look like NAME=VALUE"),
    (["-f", "sarif", "-O", "threshold=5", "-O", "error_threshold=1"], "coe: error: the error threshold must not be below the threshold"),
    (["-f", "cyclonedx"], "coe: error: analysis {id} has several repositories; pass the option repository, one of"),
])
def test_bad_exports_are_one_line(run: Any, stored_three: Any, args: list[str], message: str) -> None:
    result = run("export", stored_three.analysis_id, *args)
    assert result.exit_code == 2 and result.stderr.startswith(message.format(id=stored_three.analysis_id)), result.stderr
    assert run("export", 999999, "-f", "sarif").stderr.strip() == "coe: error: analysis 999999 does not exist"


def test_the_builtin_commands_are_their_formats(run: Any, stored_three: Any) -> None:
    analysis = stored_three.analysis_id
    same = [
        (["sarif", analysis, "--threshold", "1"], ["export", analysis, "-f", "sarif", "-O", "threshold=1"]),
        (["sarif", analysis, "--threshold", "2", "--error-threshold", "3"], ["export", analysis, "-f", "sarif", "-O", "threshold=2", "-O", "error_threshold=3"]),
        (["report", analysis], ["export", analysis, "-f", "markdown"]),
        (["rag", "export", analysis, "--format", "langchain", "--kind", "overview"], ["export", analysis, "-f", "rag", "-O", "layout=langchain", "-O", "kind=overview"]),
        (["sbom", analysis, "--repository", 1], ["export", analysis, "-f", "cyclonedx", "-O", "repository=1"]),
    ]
    for command, generic in same:
        first, second = run(*command), run(*generic)
        assert first.exit_code == 0 and second.exit_code == 0, (first.output, second.output)
        assert first.stdout_bytes == second.stdout_bytes and first.stdout_bytes, command
    sarif = json.loads(run("sarif", analysis).stdout)
    assert run("sarif", analysis).stdout == json.dumps(sarif, indent=2, ensure_ascii=False) + "\n"
