"""One result document: ``coe analyze --format json``, ``coe analyses show --format json``
and the API's ``ResultOut`` carry the same keys and values for the same stored result."""
from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.outputs.documents import RESULT_FIELDS, result_document, run_document


def test_the_cli_run_and_the_stored_results_share_one_document(make_repo: Any, database_url: str) -> None:
    repo = make_repo("shop", files={"app.py": "def f(x):\n    return x\n"})
    runner = CliRunner()
    env = {"COE_DATABASE_URL": database_url}
    ran = runner.invoke(cli, ["-q", "analyze", str(repo.path), "-a", "ast", "--format", "json"], env=env)
    assert ran.exit_code == 0, ran.output
    run = json.loads(ran.stdout)
    result = run["repositories"][0]["results"]["ast"]
    assert set(RESULT_FIELDS) <= set(result) and {"options_hash", "cache_key", "stats"} <= set(result)
    shown = runner.invoke(cli, ["analyses", "show", str(run["analysis_id"]), "--format", "json"], env=env)
    assert shown.exit_code == 0, shown.output
    (stored,) = json.loads(shown.stdout)["results"]
    assert list(stored) == list(RESULT_FIELDS)
    same = {k for k in RESULT_FIELDS if k != "duration"}  # the run reports its duration rounded to microseconds
    assert {k: result[k] for k in same} == {k: stored[k] for k in same}


def test_an_unstored_run_keeps_the_run_keys_only() -> None:
    class Outcome:
        def to_dict(self) -> dict[str, Any]:
            return {"repository": {"url": "u", "name": "n"}, "results": {"a": {"analyzer": "a", "status": "succeeded"}}}

    assert run_document([Outcome()], {}) == {"repositories": [{"repository": {"url": "u", "name": "n"},
                                                               "results": {"a": {"analyzer": "a", "status": "succeeded"}}}]}
    assert list(result_document({"id": 1, "cache_key": "k"})) == list(RESULT_FIELDS)
