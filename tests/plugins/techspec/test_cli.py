"""`coe sbom` end to end, and its one-line errors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from coe_framework.cli import cli
from coe_framework.plugins import reset_manager
from coe_framework.testing.gitrepo import GitRepo

from .conftest import techspec_manager


@pytest.fixture
def coe() -> Iterator[CliRunner]:
    reset_manager(techspec_manager())
    try:
        yield CliRunner()
    finally:
        reset_manager(None)


def test_sbom_command_writes_cyclonedx(coe: CliRunner, polyglot_repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    result = coe.invoke(cli, ["sbom", str(polyglot_repo.path), "--output", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["component"]["version"] == polyglot_repo.head
    assert any(c["purl"] == "pkg:cargo/serde@1.0.210" for c in document["components"])


def test_sbom_command_to_stdout_at_a_ref(coe: CliRunner, make_repo) -> None:
    repo = make_repo(files={"requirements.txt": "six==1.16.0\n"})
    first = repo.head
    repo.commit({"requirements.txt": "six==1.17.0\n"})
    result = coe.invoke(cli, ["sbom", str(repo.path), "--ref", first])
    assert result.exit_code == 0, result.output
    assert [c["purl"] for c in json.loads(result.output)["components"]] == ["pkg:pypi/six@1.16.0"]


@pytest.mark.parametrize("args", [["sbom", "/nonexistent/repository"], ["sbom", ".", "--ref", "no-such-ref"]])
def test_sbom_command_errors_are_one_line(coe: CliRunner, args: list[str], make_repo) -> None:
    repo = make_repo(files={"a.txt": "x\n"})
    args = [str(repo.path) if a == "." else a for a in args]
    result = coe.invoke(cli, args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("coe: error:"), result.output
    assert "Traceback" not in result.output
