"""The git analyzer end to end, through the runner, on repositories built here."""
from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer, OptionsError
from coe_framework.analysis.runner import StateStore

from .helpers import GitRun, full_rebuild, without_mining

BOB = ("Bob Builder", "bob@example.com")
BOB_LAPTOP = ("bob", "bob@laptop.local")
CAROL = ("Carol", "carol@example.com")


@pytest.fixture
def run_for(manager_with: Any) -> Any:
    runs: list[GitRun] = []

    def factory(repo: Any, *extra: Analyzer, **kwargs: Any) -> GitRun:
        runs.append(GitRun(manager_with, repo, *extra, **kwargs))
        return runs[-1]

    yield factory
    for run in runs:
        run.close()


def lines(n: int, tag: str = "line") -> str:
    return "".join(f"{tag} {i}\n" for i in range(n))


def test_renames_are_followed(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"old/name.py": lines(3)})
    repo.commit({"old/name.py": lines(5)}, author=BOB)
    repo.rename("old/name.py", "new/name.py")
    repo.commit({"new/name.py": lines(6)}, author=CAROL)
    data = run_for(repo).data()
    assert list(data["files"]) == ["new/name.py"]
    history = data["files"]["new/name.py"]
    assert history["revisions"] == 4
    assert history["lines_added"] == 6
    assert history["created_by"] == "Ada Lovelace <ada@example.com>"
    assert {c["author"] for c in history["contributors"]} == {
        "Ada Lovelace <ada@example.com>", "Bob Builder <bob@example.com>", "Carol <carol@example.com>",
    }
    assert data["deleted_files"] == 0


def test_path_reused_after_rename_keeps_histories_apart(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": lines(4)})
    repo.commit({"a.txt": lines(5)})
    repo.rename("a.txt", "b.txt")
    repo.commit({"a.txt": "fresh\n"}, author=BOB)
    files = run_for(repo).data()["files"]
    assert files["b.txt"]["revisions"] == 3
    assert files["a.txt"]["revisions"] == 1
    assert files["a.txt"]["created_by"] == "Bob Builder <bob@example.com>"


def test_merges_are_counted_once_and_carry_no_churn(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"main.txt": lines(2)})
    repo.checkout("feature", create=True)
    repo.commit({"feature.txt": lines(10)}, author=BOB)
    repo.commit({"feature.txt": lines(12)}, author=BOB)
    repo.checkout("main")
    repo.commit({"main.txt": lines(3)})
    repo.merge("feature")
    data = run_for(repo).data()
    assert data["commits"] == 5
    assert data["merges"] == 1
    assert data["lines_added"] == 2 + 10 + 2 + 1
    assert data["files"]["feature.txt"]["revisions"] == 2
    ada = next(a for a in data["authors"] if a["email"] == "ada@example.com")
    assert (ada["commits"], ada["merges"], ada["lines_added"]) == (3, 1, 3)


def test_first_parent_mode_gives_the_merge_its_branch_changes(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"main.txt": lines(2)})
    repo.checkout("feature", create=True)
    repo.commit({"feature.txt": lines(10)}, author=BOB)
    repo.checkout("main")
    repo.merge("feature")
    data = run_for(repo).data({"first_parent": True})
    assert (data["commits"], data["merges"]) == (2, 1)
    assert data["files"]["feature.txt"]["revisions"] == 1
    assert data["files"]["feature.txt"]["main_author"] == "Ada Lovelace <ada@example.com>"
    assert data["lines_added"] == 12


def test_mailmap_merges_identities(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"}, )
    repo.commit({"a.txt": "2\n"}, author=BOB)
    repo.commit({"a.txt": "3\n"}, author=BOB_LAPTOP)
    repo.commit({".mailmap": "Bob Builder <bob@example.com> <bob@laptop.local>\n"})
    data = run_for(repo).data()
    bob = [a for a in data["authors"] if a["name"] == "Bob Builder"]
    assert len(bob) == 1 and bob[0]["commits"] == 2
    assert bob[0]["identities"] == ["Bob Builder <bob@example.com>", "bob <bob@laptop.local>"]
    assert data["author_count"] == 2
    assert data["mining"]["mailmap"] is not None


def test_binary_files_count_as_changes_with_zero_lines(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"img.png": b"\x89PNG\0\1\2", "a.txt": "x\n"})
    repo.commit({"img.png": b"\x89PNG\0\3\4"}, author=BOB)
    data = run_for(repo).data()
    image = data["files"]["img.png"]
    assert (image["revisions"], image["binary_changes"], image["churn"]) == (2, 2, 0)
    assert image["main_author"] == "Ada Lovelace <ada@example.com>"  # by commits when no lines
    assert data["lines_added"] == 1


def test_non_utf8_paths_survive(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={b"caf\xe9.txt": "latin-1 name\n", "ok.txt": "x\n"})
    repo.rename("caf\udce9.txt", "d\u00e9j\u00e0.txt")
    repo.commit({b"\xff\xfe.bin": "odd\n"})
    data = run_for(repo).data()
    assert set(data["files"]) == {"ok.txt", "d\u00e9j\u00e0.txt", "\\xff\\xfe.bin"}
    assert data["files"]["d\u00e9j\u00e0.txt"]["revisions"] == 2
    json.dumps(data, ensure_ascii=False).encode("utf-8")  # strictly encodable


def test_commit_with_an_empty_tree(make_repo: Any, run_for: Any) -> None:
    repo = make_repo()
    repo.commit(allow_empty=True)
    data = run_for(repo).data()
    assert (data["commits"], data["files"], data["lines_added"]) == (1, {}, 0)
    assert data["truck_factor"] == {"value": 0, "authors": [], "files_considered": 0, "method": "degree-of-authorship"}
    assert data["hotspots"] == [] and data["coupling"] == []
    assert data["code_age"]["median_days"] is None


def test_repository_without_commits_fails_with_one_line(make_repo: Any, run_for: Any) -> None:
    repo = make_repo()
    outcome = run_for(repo).outcome(commit="0" * 40)
    assert outcome.status == "failed"
    assert "\n" not in outcome.error and "no commit named" in outcome.error


def test_single_commit(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.py": lines(3), "b.py": lines(2)})
    data = run_for(repo).data()
    assert (data["commits"], data["merges"], data["author_count"]) == (1, 0, 1)
    assert data["truck_factor"]["value"] == 1
    assert data["timeline"]["weeks"] == [
        {"period": "2024-W01", "commits": 1, "merges": 0, "lines_added": 5, "lines_removed": 0, "authors": 1}
    ]
    assert data["first_commit_at"] == data["last_commit_at"] == "2024-01-01T00:00:00Z"


def _grow(repo: Any, start: int) -> None:
    """More history: edits by several authors, a rename, a merge, a binary."""
    repo.commit({"src/core.py": lines(start + 3), "README.md": f"v{start}\n"}, author=BOB)
    repo.commit({"src/core.py": lines(start + 5), "src/util.py": lines(start)}, author=CAROL)
    repo.checkout(f"topic{start}", create=True)
    repo.commit({"src/util.py": lines(start + 2), "logo.bin": bytes([0, start % 250])}, author=BOB_LAPTOP)
    repo.checkout("main")
    repo.commit({"README.md": f"v{start}.1\n"})
    repo.merge(f"topic{start}")
    repo.rename("src/util.py", f"src/util{start}.py")


def test_incremental_equals_full_rebuild(make_repo: Any, run_for: Any, manager_with: Any) -> None:
    repo = make_repo(files={".mailmap": "Bob Builder <bob@example.com> <bob@laptop.local>\n", "src/core.py": lines(2)})
    _grow(repo, 1)
    run = run_for(repo)
    assert run.data()["mining"]["mode"] == "full"
    _grow(repo, 2)
    _grow(repo, 3)
    incremental = run.data()
    assert incremental["mining"]["mode"] == "incremental"
    assert incremental["mining"]["commits_mined"] == 12
    assert without_mining(incremental) == without_mining(full_rebuild(manager_with, repo))
    again = run.data()
    assert again["mining"]["mode"] == "unchanged"
    assert without_mining(again) == without_mining(incremental)


def test_first_parent_incremental_needs_the_old_head_on_the_first_parent_chain(make_repo: Any, run_for: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.txt": lines(2)})
    repo.checkout("feature", create=True)
    repo.commit({"f.txt": lines(3)}, author=BOB)
    run = run_for(repo)
    run.data({"first_parent": True})  # state at the feature tip
    repo.checkout("main")
    repo.commit({"a.txt": lines(4)})
    repo.merge("feature")  # the old head is now a second parent only
    after = run.data({"first_parent": True})
    assert after["mining"]["mode"] == "full"
    assert without_mining(after) == without_mining(full_rebuild(manager_with, repo, {"first_parent": True}))
    repo.commit({"a.txt": lines(5)})
    assert run.data({"first_parent": True})["mining"]["mode"] == "incremental"


def test_force_push_triggers_a_rebuild(make_repo: Any, run_for: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.txt": lines(2)})
    base = repo.commit({"a.txt": lines(3)})
    repo.commit({"a.txt": lines(4), "b.txt": "gone\n"}, author=BOB)
    run = run_for(repo)
    run.data()
    repo.reset_hard(base)
    repo.commit({"c.txt": lines(2)}, author=CAROL)
    rebuilt = run.data()
    assert rebuilt["mining"]["mode"] == "full"
    assert "b.txt" not in rebuilt["files"] and rebuilt["commits"] == 3
    assert without_mining(rebuilt) == without_mining(full_rebuild(manager_with, repo))


def test_mailmap_change_or_mining_options_trigger_a_rebuild(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    repo.commit({"a.txt": "2\n"}, author=BOB_LAPTOP)
    run = run_for(repo)
    run.data()
    repo.commit({".mailmap": "Bob Builder <bob@example.com> <bob@laptop.local>\n"})
    assert run.data()["mining"]["mode"] == "full"
    assert run.data({"top_authors": 5})["mining"]["mode"] == "unchanged"  # report-only option
    assert run.data({"first_parent": True})["mining"]["mode"] == "full"


def test_unreadable_saved_state_is_ignored(make_repo: Any, run_for: Any) -> None:
    class Garbage(StateStore):
        def get_state(self, key: str) -> Any:
            return {"fingerprint": None, "head": 3, "head_time": "x", "ledger": [1, 2]}

    repo = make_repo(files={"a.txt": "1\n"})
    assert run_for(repo, state_store=Garbage()).data()["mining"]["mode"] == "full"


class FakeAstOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FakeAst(Analyzer):
    """Stands in for the ast analyzer: complexity per file."""

    name = "ast"
    version = "test"
    Options = FakeAstOptions

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"files": {"simple.py": {"complexity": 1, "loc": 10}, "tangled.py": {"complexity": 40, "loc": 300}}}


def test_hotspots_use_complexity_when_ast_ran(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"simple.py": lines(10), "tangled.py": lines(3)})
    for i in range(4):
        repo.commit({"simple.py": lines(20 + i * 10)})
    repo.commit({"tangled.py": lines(4)})
    run = run_for(repo, FakeAst())
    alone = run.data(analyzers=["git"])
    assert alone["hotspot_basis"] == "revisions*churn"
    assert alone["hotspots"][0]["path"] == "simple.py" and alone["hotspots"][0]["complexity"] is None
    combined = run.data(analyzers=["ast", "git"])
    assert combined["hotspot_basis"] == "revisions*complexity"
    top = combined["hotspots"][0]
    assert (top["path"], top["complexity"], top["loc"]) == ("tangled.py", 40, 300)


def test_change_coupling(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"model.py": "0\n", "view.py": "0\n", "other.py": "0\n"})
    for i in range(1, 6):
        repo.commit({"model.py": f"{i}\n", "view.py": f"{i}\n"})
    repo.commit({"model.py": "x\n", "other.py": "x\n"})
    data = run_for(repo).data()
    assert data["coupling"] == [
        {"file_a": "model.py", "file_b": "view.py", "shared_commits": 6, "revisions_a": 7, "revisions_b": 6, "degree": 92.31}
    ]
    loose = run_for(repo).data({"coupling_min_shared": 2, "coupling_min_revisions": 2, "coupling_min_degree": 20})
    assert [(p["file_a"], p["file_b"]) for p in loose["coupling"]] == [
        ("model.py", "view.py"), ("model.py", "other.py"),
    ]


def test_reporting_window_and_bot_filter(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    repo.commit({"a.txt": "2\n"}, author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"))
    repo.commit({"a.txt": "3\n"}, author=BOB)
    run = run_for(repo)
    assert run.data()["author_count"] == 3
    no_bots = run.data({"exclude_bots": True})
    assert (no_bots["commits"], no_bots["commits_filtered"], no_bots["author_count"]) == (2, 1, 2)
    window = run.data({"since": "2024-01-02", "until": "2024-01-03T00:00:00Z"})
    assert (window["commits"], window["commits_filtered"]) == (1, 2)
    assert window["authors"][0]["name"] == "dependabot[bot]"


def test_ref_option_mines_up_to_that_revision(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    repo.tag("v1")
    repo.commit({"b.txt": "2\n"})
    data = run_for(repo).data({"ref": "v1"})
    assert data["commits"] == 1 and list(data["files"]) == ["a.txt"]


@pytest.mark.parametrize(
    "options, fragment",
    [
        ({"nope": 1}, "nope"),
        ({"ref": "--output=/tmp/x"}, "ref"),
        ({"bot_patterns": ["("]}, "bad regex"),
        ({"since": "2024-02-01", "until": "2024-01-01"}, "since must be earlier"),
        ({"coupling_min_degree": 120}, "coupling_min_degree"),
    ],
)
def test_bad_options_are_refused_in_one_line(make_repo: Any, run_for: Any, options: dict, fragment: str) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    with pytest.raises(OptionsError) as error:
        run_for(repo).data(options)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def test_unknown_ref_fails_cleanly(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    outcome = run_for(repo).outcome({"ref": "no-such-branch"})
    assert outcome.status == "failed" and "no-such-branch" in outcome.error


def test_summary_and_plugin_registration(make_repo: Any, run_for: Any) -> None:
    from coe_framework.plugin.contract import contract_problems
    from coe_plugins.git import plugin
    from coe_plugins.git.analyzer import GitAnalyzer

    registered: list[Any] = []
    plugin.coe_register_analyzers(registered.append)
    assert [type(a) for a in registered] == [GitAnalyzer] and contract_problems(registered[0]) == []
    assert plugin.coe_rag_documents.__module__ == "coe_plugins.git.rag"  # the module exposes the RAG hook too
    repo = make_repo(files={"a.txt": "1\n"})
    data = run_for(repo).data()
    assert GitAnalyzer().summary(data) == {
        "commits": 1, "merges": 0, "authors": 1, "files": 1, "truck_factor": 1, "mode": "full",
    }


def test_repository_config_cannot_run_programs_or_change_counts(make_repo: Any, run_for: Any, tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    repo = make_repo(files={".gitattributes": "*.txt diff=evil\n", "a.txt": lines(3)})
    repo.commit({"a.txt": lines(5)})
    program = f"sh -c 'touch {marker}; echo one'"
    for key, value in (("diff.evil.textconv", program), ("diff.external", program), ("diff.renames", "false"),
                       ("log.showRoot", "false"), ("diff.algorithm", "patience"), ("i18n.logOutputEncoding", "latin1")):
        repo.git("config", key, value)
    data = run_for(repo).data()
    assert not marker.exists()
    assert data["files"]["a.txt"]["lines_added"] == 5 and data["commits"] == 2


def test_progress_is_reported_while_mining(make_repo: Any, run_for: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    repo.commit({"a.txt": "2\n"})
    run = run_for(repo)
    seen: list[tuple[float, str]] = []
    run.runner.run(str(repo.path / ".git"), repo.head, run.info, progress=lambda f, m: seen.append((f, m)), use_cache=False)
    messages = [m for _, m in seen]
    assert "git: 2 commits mined" in messages
    assert [f for f, _ in seen] == sorted(f for f, _ in seen) and seen[-1][0] == 1.0
