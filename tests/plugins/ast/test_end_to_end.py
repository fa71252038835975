"""The ``ast`` analyzer run end to end by the framework's Runner on real repositories."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.plugin.contract import NORMALIZED_TABLES
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.plugin.manager import PluginManager
from coe_framework.analysis.runner import Runner
from coe_plugins.ast.analyzer import AstAnalyzer

PY_APP = (
    "import os\n"
    "from . import util\n"
    "\n"
    "class Service:\n"
    "    def run(self, items):\n"
    "        for item in items:\n"
    "            if item and item.ready:\n"
    "                yield item\n"
    "\n"
    "def main():\n"
    "    return 0\n"
)
JS_APP = "export function pick(a, b) {\n  return a ? a : b;\n}\n"


def _run(runner: Runner, repo: Any, options: dict[str, Any] | None = None) -> Any:
    info = RepositoryInfo(str(repo.path), "sample", str(repo.path))
    outcome = runner.run(str(repo.path / ".git"), repo.head, info, ["ast"], {"ast": options or {}})
    return outcome.outcomes["ast"]


@pytest.fixture
def repo(make_repo: Any) -> Any:
    return make_repo(files={
        "src/app.py": PY_APP,
        "src/broken.py": "def broken(:\n    pass\n",
        "web/pick.js": JS_APP,
        "README.md": "# not code\n",
        "vendor/big.py": "x = 1\n" * 400,
    })


def test_runs_through_runner_and_reports_every_source_file(manager_with: Any, repo: Any) -> None:
    with Runner(manager_with(AstAnalyzer()), workers=1, isolation="thread") as runner:
        outcome = _run(runner, repo, {"max_file_size": 1000})
    assert outcome.status == "succeeded", outcome.error
    files = outcome.data["files"]
    assert sorted(files) == ["src/app.py", "src/broken.py", "vendor/big.py", "web/pick.js"]
    app = files["src/app.py"]
    assert (app["language"], app["loc"], app["functions"], app["complexity"], app["max_complexity"]) == ("python", 11, 2, 5, 4)
    assert [s["qualified_name"] for s in app["symbols"]] == ["Service", "Service.run", "main"]
    assert [i["module"] for i in app["imports"]] == ["os", ""]
    assert 0 < app["maintainability"] <= 100
    assert len(app["blob_sha"]) == 40
    assert files["src/broken.py"]["error"].startswith("syntax error at line 1")
    assert files["vendor/big.py"]["capped"] is True
    assert files["web/pick.js"]["complexity"] == 2
    totals = outcome.data["totals"]
    assert (totals["files"], totals["analyzed"], totals["errors"], totals["capped"]) == (4, 2, 2, 1)
    assert outcome.data["top_functions"][0]["qualified_name"] == "Service.run"
    assert outcome.data["least_maintainable"][0]["path"] == "src/app.py"


def test_table_rows_use_only_the_normalized_keys(manager_with: Any, repo: Any) -> None:
    with Runner(manager_with(AstAnalyzer()), workers=1, isolation="thread") as runner:
        data = _run(runner, repo).data
    rows = AstAnalyzer().table_rows(data)
    assert set(rows) == {"code_files", "ast_nodes"}
    for table, table_rows in rows.items():
        assert table_rows
        for row in table_rows:
            assert set(row) == set(NORMALIZED_TABLES[table])
    names = {(r["path"], r["qualified_name"]) for r in rows["ast_nodes"]}
    assert ("web/pick.js", "pick") in names and ("src/app.py", "Service.run") in names


def test_unchanged_blobs_come_from_the_cache_on_the_next_commit(manager_with: Any, repo: Any) -> None:
    with Runner(manager_with(AstAnalyzer()), workers=2) as runner:
        first = _run(runner, repo)
        repo.commit({"web/pick.js": JS_APP + "export const two = () => 2;\n"}, "add two")
        second = _run(runner, repo)
    assert first.stats["analyzed"] == 4 and first.stats["cached"] == 0
    # only the changed blob is analyzed again; the broken file's error is cached too
    assert (second.stats["analyzed"], second.stats["cached"]) == (1, 3)
    assert second.data["files"]["web/pick.js"]["functions"] == 2
    assert second.data["files"]["src/app.py"] == first.data["files"]["src/app.py"]


def test_options_select_languages_and_exclude_paths(manager_with: Any, repo: Any) -> None:
    with Runner(manager_with(AstAnalyzer()), workers=1, isolation="thread") as runner:
        outcome = _run(runner, repo, {"languages": ["python"], "exclude": ["vendor/*"]})
    assert sorted(outcome.data["files"]) == ["src/app.py", "src/broken.py"]


def test_unknown_language_option_is_one_clear_line() -> None:
    with pytest.raises(Exception) as info:
        AstAnalyzer.parse_options({"languages": ["cobol"]})
    assert "unknown language 'cobol'" in str(info.value)
    assert "\n" not in str(info.value)


def test_registered_through_the_coe_entry_point() -> None:
    manager = PluginManager({})
    manager.load_entrypoints()
    assert isinstance(manager.analyzers.get("ast"), AstAnalyzer)
