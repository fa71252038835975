"""End to end on every database: two analyses, their trend, a gate that passes then fails,
JUnit and SARIF, the stored gate, a history backfill, and deleting an analysis."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import GateResult, MeasureValue
from coe_framework.analysis.process_store import open_store
from coe_framework.db.store import Store
from coe_framework.gate.storage import gates_of
from tests.rag.test_exports import _validator

SIMPLE = "def one(x):\n    return x + 1\n\n\ndef two(x):\n    if x:\n        return 1\n    return 2\n"
#: The same two functions plus one of complexity 23 (rank D): the mean rises, a new rank-D function appears.
WORSE = SIMPLE + "\n\ndef tangled(x):\n" + "".join(f"    if x == {n}:\n        return {n}\n" for n in range(22)) + "    return -1\n"
CONDITIONS = ["--condition", "mean_complexity <= 3", "--condition", "delta(mean_complexity) <= 0",
              "--condition", "new_functions_rank_d_or_worse == 0"]


def coe(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def ast_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_PLUGINS", "ast,git")


def _one_line_error(result: Any) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coe: error: ") and "Traceback" not in result.output, result.output
    return lines[0].removeprefix("coe: error: ")


def test_two_analyses_trend_and_a_gate_that_fails_on_the_worsened_measure(database_url: str, make_repo: Any, ast_only: None, tmp_path: Path) -> None:
    repo = make_repo(files={"app.py": SIMPLE})
    first = repo.head
    assert coe("analyze", str(repo.path), "-a", "ast", "--workers", "1").exit_code == 0

    passed = coe("gate", str(repo.path), *CONDITIONS, "--junit", str(tmp_path / "pass.xml"), "--sarif", str(tmp_path / "pass.sarif"))
    assert passed.exit_code == 0, passed.output
    lines = passed.stdout.splitlines()
    assert "(analysis 1, stored)" in lines[0], "the stored analysis at that commit is reused"
    assert lines[1] == "PASS  mean_complexity <= 3  (actual 1.5)"
    assert lines[2].startswith("SKIP  delta(mean_complexity) <= 0  (no baseline")
    assert lines[-1] == "gate passed"
    suite = ET.parse(tmp_path / "pass.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "0" and suite.get("skipped") == "2"

    repo.commit({"app.py": WORSE})
    assert coe("analyze", str(repo.path), "-a", "ast", "--workers", "1").exit_code == 0
    trend = coe("trend", str(repo.path), "mean_complexity", "--format", "json")
    assert trend.exit_code == 0, trend.output
    points = json.loads(trend.stdout)["points"]
    assert [p["commit"] for p in points] == [first, repo.head] and [p["analysis_id"] for p in points] == [1, 2]
    assert points[0]["value"] == 1.5 and points[1]["value"] > 3
    table = coe("trend", "1", "mean_complexity")
    assert table.exit_code == 0 and first[:12] in table.stdout and repo.head[:12] in table.stdout

    failed = coe("gate", str(repo.path), *CONDITIONS, "--junit", str(tmp_path / "fail.xml"), "--sarif", str(tmp_path / "fail.sarif"))
    assert failed.exit_code == 1, failed.output
    out = failed.stdout.splitlines()
    assert f"baseline {first[:12]}" in out[0]
    assert out[1].startswith("FAIL  mean_complexity <= 3  (actual 8.667)")
    assert out[2].startswith("FAIL  delta(mean_complexity) <= 0  (actual +7.167:") and "1.5 at the baseline" in out[2]
    assert out[3] == "FAIL  new_functions_rank_d_or_worse == 0  (actual 1)"
    assert out[-1] == "gate failed: 3 of 3 conditions"

    suite = ET.parse(tmp_path / "fail.xml").getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "3"
    assert [case.find("failure") is not None for case in suite.iter("testcase")] == [True, True, True]
    sarif = json.loads((tmp_path / "fail.sarif").read_text())
    _validator().validate(sarif)
    results = sarif["runs"][0]["results"]
    assert [r["kind"] for r in results] == ["fail", "fail", "fail"] and results[0]["level"] == "error"
    assert sarif["runs"][0]["versionControlProvenance"][0]["revisionId"] == repo.head
    _validator().validate(json.loads((tmp_path / "pass.sarif").read_text()))

    # The first commit still passes when asked for by ref.
    again = coe("gate", str(repo.path), "--ref", first, "--condition", "mean_complexity <= 3")
    assert again.exit_code == 0, again.output

    store = open_store(database_url)
    with unit_of_work(store.engine) as session:
        stored = gates_of(session, 2)
    assert len(stored) == 1 and stored[0]["passed"] is False and stored[0]["baseline"]["commit"] == first
    assert [c["status"] for c in stored[0]["conditions"]] == ["failed", "failed", "failed"]

    assert store.delete_analysis(2)
    with unit_of_work(store.engine) as session:
        assert session.query(MeasureValue).filter(MeasureValue.request_id == 2).count() == 0
        assert session.query(GateResult).filter(GateResult.request_id == 2).count() == 0
        assert session.query(MeasureValue).filter(MeasureValue.request_id == 1).count() > 0, "the other analysis keeps its measures"


def test_a_baseline_ref_is_analyzed_when_it_is_not_stored(database_url: str, make_repo: Any, ast_only: None) -> None:
    repo = make_repo(files={"app.py": SIMPLE})
    first = repo.head
    repo.commit({"app.py": WORSE})
    result = coe("gate", str(repo.path), "--baseline", first, "--condition", "delta(functions) == 1", "--condition", "delta(lines) > 0")
    assert result.exit_code == 0, result.output
    assert f"baseline {first[:12]}" in result.stdout.splitlines()[0]
    assert "PASS  delta(functions) == 1  (actual +1: 3 now, 2 at the baseline)" in result.stdout


def test_a_measure_without_a_value_fails_the_gate(database_url: str, make_repo: Any, ast_only: None) -> None:
    repo = make_repo(files={"notes.txt": "no code here\n"})
    result = coe("gate", str(repo.path), "--condition", "truck_factor >= 2", "--condition", "mean_complexity <= 4")
    assert result.exit_code == 1, result.output
    assert "FAIL  truck_factor >= 2  (actual 1)" in result.stdout
    assert "PASS  mean_complexity <= 4  (actual 0)" in result.stdout


def test_history_backfills_sampled_commits_once(database_url: str, make_repo: Any, ast_only: None) -> None:
    repo = make_repo(files={"app.py": "def f0(x):\n    return x\n"})
    commits = [repo.head]
    for n in range(1, 7):
        commits.append(repo.commit({f"mod{n}.py": f"def f{n}(x):\n    if x:\n        return {n}\n    return 0\n"}))
    result = coe("history", str(repo.path), "--samples", "3", "--format", "json", "--workers", "1")
    assert result.exit_code == 0, result.output
    samples = json.loads(result.stdout)["samples"]
    assert [s["commit"] for s in samples] == [commits[0], commits[3], commits[6]]
    assert [s["status"] for s in samples] == ["succeeded"] * 3

    store = open_store(database_url)
    git_modes = []
    for sample in samples:
        results = {r["analyzer"]: r for r in store.get_results(sample["analysis_id"])}
        git_modes.append(results["git"]["data"]["mining"]["mode"])
        assert results["ast"]["stats"]["analyzed"] <= 3, "files seen at an earlier sample come from the blob cache"
    assert git_modes == ["full", "incremental", "incremental"], "one ref name, oldest first: git mines only what is new"

    trend = coe("trend", str(repo.path), "functions", "--format", "json")
    assert [p["value"] for p in json.loads(trend.stdout)["points"]] == [1.0, 4.0, 7.0]

    again = coe("history", str(repo.path), "--samples", "4", "--format", "json", "--workers", "1")
    assert again.exit_code == 0, again.output
    statuses = {s["commit"]: s["status"] for s in json.loads(again.stdout)["samples"]}
    assert statuses[commits[0]] == "skipped" and statuses[commits[6]] == "skipped"
    assert list(statuses.values()).count("succeeded") == 2, "only the commits without measures are analyzed"


def test_trend_errors_are_one_line(database_url: str, make_repo: Any, ast_only: None) -> None:
    assert "unknown measure 'mean_cx' (did you mean" in _one_line_error(coe("trend", "1", "mean_cx"))
    assert "no stored repository is named 'nowhere'" in _one_line_error(coe("trend", "nowhere", "lines"))
    assert "computed by quality gates only" in _one_line_error(coe("trend", "1", "new_functions_rank_d_or_worse"))
