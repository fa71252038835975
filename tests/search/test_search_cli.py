"""``coe search`` and ``coe search reindex`` from the command line."""
from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli


def coe(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


@pytest.fixture
def analysed(store, shop_repo, make_manager, analyse) -> int:
    return analyse(make_manager(), str(shop_repo.path)).extra["analysis_id"]


def test_search_prints_a_table_json_and_an_explanation(analysed: int) -> None:
    table = coe("search", "retry", "policy", "-k", "2", "--explain")
    assert table.exit_code == 0, table.output
    assert "shop/retry.py" in table.stdout.splitlines()[1]
    assert "lexical: " in table.stderr and "vector: not used" in table.stderr and "ranking: lexical only" in table.stderr
    body = json.loads(coe("search", "register blueprints", "--format", "json", "--explain", "-t", "code").stdout)
    assert body["items"][0]["metadata"]["path"] == "shop/web/app.py" and body["explain"]["lexical"]["path"].startswith(("SQLite", "PostgreSQL", "MariaDB"))
    nothing = coe("search", "zeppelin")
    assert nothing.exit_code == 0 and "no documents match" in nothing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", ""], "the query is empty"),
        (["search", "x" * 100_000], "longer than 1000 characters"),
        (["search", "retry", "-k", "0"], "k must be an integer from 1 to 100"),
        (["search", "retry", "-k", "10000"], "k must be an integer from 1 to 100"),
        (["search", "retry", "--commit", "zz'--"], "filter 'commit' must be 4 to 64 hex digits"),
        (["search", "retry", "--cursor", "garbage"], "invalid cursor"),
        (["search", "***"], "no words to search for"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(analysed: int, args: list[str], message: str) -> None:
    result = coe(*args)
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_reindex_rebuilds_one_analysis_or_everything(analysed: int) -> None:
    one = coe("search", "reindex", "--analysis", str(analysed))
    assert one.exit_code == 0 and one.stdout.startswith("search index: ")
    count = int(one.stdout.split()[2])
    every = coe("search", "reindex")
    assert every.exit_code == 0 and every.stdout.splitlines()[0] == f"search index: {count} documents"
    missing = coe("search", "reindex", "--analysis", "999")
    assert missing.exit_code == 2 and "analysis 999 does not exist" in missing.stderr
    assert "shop/retry.py" in coe("search", "RetryPolicy").stdout
