"""The pytest fixtures the kit gives plugin authors."""
from __future__ import annotations

import json

import pytest

from coe_framework.plugin.manager import get_manager
from coe_framework.testing import CoeEnv, KitSetupError
from coe_framework.testing.gitrepo import NON_UTF8_PATH

from . import kit_analyzers as ka


def test_git_repo_factory_builds_the_same_history_every_time(git_repo_factory):
    first = git_repo_factory.sample("one")
    second = git_repo_factory.sample("two")
    assert first.head == second.head
    log = first.git("log", "--format=%an|%aI|%P", "HEAD")
    authors = {line.split("|")[0] for line in log.splitlines()}
    assert authors == {"Ada Lovelace", "Grace Hopper"}
    assert any(len(line.split("|")[2].split()) == 2 for line in log.splitlines()), "expected a merge commit"
    names = first.git("ls-tree", "-r", "-z", "--name-only", "HEAD").split("\0")
    assert NON_UTF8_PATH.decode("utf-8", "surrogateescape") in names
    assert "src/helpers.py" in names and "src/util.py" not in names


def test_git_repo_factory_takes_files_and_commits(git_repo_factory):
    repo = git_repo_factory(files={"a.txt": "1\n"}, commits=[{"b.bin": b"\0\1"}, {"a.txt": None}])
    assert repo.git("ls-tree", "--name-only", "HEAD").split() == ["b.bin"]
    assert git_repo_factory.empty_tree().git("ls-tree", "HEAD") == ""


@pytest.mark.coe_env(plugins=[], builtins=[])
def test_coe_env_holds_only_what_the_test_adds(coe_env, run_analyzer, git_repo_factory):
    assert coe_env.analyzers == {}
    coe_env.add_analyzers(ka.ByteCounter(), ka.LineCounter())
    assert sorted(coe_env.analyzers) == ["bytes", "linecount"]
    assert get_manager() is coe_env.manager, "the CLI and web app must see the same plugins"
    repo = git_repo_factory(files={"a.py": "x = 1\n", "b.md": "# hi\n\ntext\n"})
    assert run_analyzer("bytes", repo) == {"files": 2, "bytes": 17, "largest": ["b.md", "a.py"]}
    assert run_analyzer("bytes", repo, suffix=".py")["files"] == 1
    assert run_analyzer("linecount", repo)["total"] == 4


@pytest.mark.coe_env(plugins=[], builtins=[])
def test_run_analyzer_reports_the_recorded_error(coe_env, run_analyzer, git_repo_factory):
    coe_env.add_analyzers(ka.EmptyCrash())
    with pytest.raises(AssertionError, match="analyzer 'empty-crash' ended failed: IndexError"):
        run_analyzer("empty-crash", git_repo_factory.empty_tree())


@pytest.mark.coe_env(plugins=[], builtins=[])
def test_coe_env_runs_the_cli_with_its_plugins(coe_env, git_repo_factory):
    coe_env.add_analyzers(ka.ByteCounter())
    listing = coe_env.cli("plugins", "--json")
    assert listing.exit_code == 0, listing.output
    assert list(json.loads(listing.stdout)["analyzers"]) == ["bytes"]
    repo = git_repo_factory(files={"a.py": "x = 1\n"})
    result = coe_env.cli("analyze", str(repo.path), "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["repositories"][0]["results"]["bytes"]["data"]["files"] == 1


@pytest.mark.coe_env(plugins=[], builtins=[])
def test_analyzer_conforms_fixture_uses_the_environment(coe_env, analyzer_conforms):
    coe_env.add_analyzers(ka.ByteCounter())
    analyzer_conforms("bytes", skip=["cancellation", "deterministic"])
    with pytest.raises(AssertionError, match=r"\[empty_tree\].*IndexError"):
        analyzer_conforms(ka.EmptyCrash(), skip=["cancellation", "deterministic", "sandbox"])


def test_unknown_plugins_are_refused_with_how_to_install_them(tmp_path):
    with pytest.raises(KitSetupError, match=r"no plugin named 'nope'.*pip install -e \."):
        CoeEnv(tmp_path, plugins=["nope"])
    with pytest.raises(KitSetupError, match="'nope' is not a built-in plugin"):
        CoeEnv(tmp_path, builtins=["nope"])


@pytest.mark.coe_env(plugins=[], builtins=[])
def test_api_client_is_authenticated_and_runs_analyses_on_the_environment(coe_env, api_client, git_repo_factory):
    coe_env.add_analyzers(ka.ByteCounter())
    assert api_client.get("/api/v1/plugins", headers={"Authorization": "Bearer coe_wrong"}).status_code == 401
    assert [a["name"] for a in api_client.get("/api/v1/plugins").get_json()["analyzers"]] == ["bytes"]
    repo = git_repo_factory(files={"a.py": "x = 1\n"})
    created = api_client.post("/api/v1/analyses", json={"repositories": [{"url": str(repo.path)}], "analyzers": ["bytes"]})
    assert created.status_code == 202, created.get_json()
    results = api_client.get(created.headers["Location"] + "/results/bytes").get_json()
    assert results["results"][0]["data"] == {"files": 1, "bytes": 6, "largest": ["a.py"]}
    stored = coe_env.store.get_analysis(created.get_json()["id"])
    assert stored["status"] == "succeeded"
