"""`coe sbom` end to end, and its one-line errors."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.plugin.manager import reset_manager
from coe_framework.testing.gitrepo import GitRepo

from .conftest import techspec_manager


@pytest.fixture
def coe() -> Iterator[CliRunner]:
    reset_manager(techspec_manager())
    try:
        yield CliRunner()
    finally:
        reset_manager(None)


def _analysis_count() -> int:
    from coe_framework.analysis.process_store import open_store

    return len(open_store().list_analyses(limit=500).items)


def test_sbom_command_analyzes_only_when_asked(coe: CliRunner, polyglot_repo: GitRepo, tmp_path: Path) -> None:
    out = tmp_path / "bom.json"
    refused = coe.invoke(cli, ["sbom", str(polyglot_repo.path), "--output", str(out)])
    assert refused.exit_code == 2 and "no stored techspec analysis" in refused.output and "--analyze" in refused.output
    assert not out.exists() and _analysis_count() == 0, "nothing stored without --analyze"
    result = coe.invoke(cli, ["sbom", str(polyglot_repo.path), "--analyze", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert _analysis_count() == 1
    document = json.loads(out.read_text())
    assert document["specVersion"] == "1.6"
    assert document["metadata"]["component"]["version"] == polyglot_repo.head
    assert any(c["purl"] == "pkg:cargo/serde@1.0.210" for c in document["components"])
    again = coe.invoke(cli, ["sbom", str(polyglot_repo.path)])
    assert again.exit_code == 0 and _analysis_count() == 1, "the stored analysis is read"
    stored = json.loads(again.stdout)
    assert stored["components"] == document["components"]
    by_id = coe.invoke(cli, ["sbom", "1"])
    assert by_id.exit_code == 0 and json.loads(by_id.stdout)["components"] == document["components"]


def test_sbom_command_reads_the_analysis_at_a_ref(coe: CliRunner, make_repo) -> None:
    repo = make_repo(files={"requirements.txt": "six==1.16.0\n"})
    first = repo.head
    repo.commit({"requirements.txt": "six==1.17.0\n"})
    assert coe.invoke(cli, ["--quiet", "analyze", str(repo.path), "-a", "techspec", "--ref", first]).exit_code == 0
    at_head = coe.invoke(cli, ["sbom", str(repo.path)])
    assert at_head.exit_code == 2 and repo.head[:12] in at_head.output, "HEAD was never analyzed"
    result = coe.invoke(cli, ["sbom", str(repo.path), "--ref", first])
    assert result.exit_code == 0, result.output
    assert [c["purl"] for c in json.loads(result.output)["components"]] == ["pkg:pypi/six@1.16.0"]


@pytest.mark.parametrize("args", [["sbom", "/nonexistent/repository"], ["sbom", ".", "--ref", "no-such-ref"], ["sbom", "999"],
                                  ["sbom", "999", "--analyze"], ["sbom", ".", "--analyze", "--ref", "no-such-ref"]])
def test_sbom_command_errors_are_one_line(coe: CliRunner, args: list[str], make_repo) -> None:
    repo = make_repo(files={"a.txt": "x\n"})
    args = [str(repo.path) if a == "." else a for a in args]
    result = coe.invoke(cli, args)
    assert result.exit_code != 0
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("coe: error:"), result.output
    assert "Traceback" not in result.output
