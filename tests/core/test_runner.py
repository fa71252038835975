"""The runner: isolation of failing analyzers, dependency order, caches, cancellation."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.plugin.contract import OptionsError
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.plugin.manager import PluginManager
from coe_framework.analysis.runner import PlanError, Runner, overall_status, plan
from coe_framework.testing.gitrepo import GitRepo

from . import sample_analyzers as s


def run(manager: PluginManager, repo: GitRepo, names: list[str] | None = None, **kwargs: Any) -> Any:
    runner = kwargs.pop("runner", None) or Runner(manager, workers=kwargs.pop("workers", 1))
    return runner.run(str(repo.path / ".git"), repo.head, RepositoryInfo("file:test", "test", str(repo.path)), names, **kwargs)


@pytest.fixture
def repo(make_repo: Callable[..., GitRepo]) -> GitRepo:
    return make_repo(files={"a.py": "x\ny\n", "b.txt": "1\n", "c.fail": "z\n", "img.bin": b"\x00\x01\x02"})


def test_failing_analyzers_fail_alone_and_the_analysis_is_partial(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    manager = manager_with(s.FileCount(), s.Raises(), s.Hangs(), s.NotJson(), s.WrongShape(), s.Crashes())
    outcome = run(manager, repo)
    results = outcome.outcomes
    assert outcome.status == "partial"
    assert results["count"].status == "succeeded" and results["count"].data == {"files": 4, "bytes": 11}
    assert results["raises"].status == "failed" and "ValueError: boom" in results["raises"].error
    assert results["hangs"].status == "timed_out" and "timed out after 1s" in results["hangs"].error
    assert results["notjson"].status == "failed" and "not JSON-serializable" in results["notjson"].error
    assert results["wrongshape"].status == "failed" and "does not match its Result schema" in results["wrongshape"].error
    assert results["crashes"].status == "failed" and "process died" in results["crashes"].error


def test_thread_isolation_reports_the_same_failures(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    manager = manager_with(s.FileCount(), s.Raises(), s.Hangs(), s.NotJson())
    outcome = Runner(manager, workers=1, isolation="thread").run(
        str(repo.path / ".git"), repo.head, RepositoryInfo("file:test", "test", str(repo.path))
    )
    assert {n: o.status for n, o in outcome.outcomes.items()} == {
        "count": "succeeded", "raises": "failed", "hangs": "timed_out", "notjson": "failed",
    }


def test_all_failed_is_failed_and_all_ok_is_succeeded() -> None:
    assert overall_status(["failed", "timed_out"]) == "failed"
    assert overall_status(["succeeded", "succeeded"]) == "succeeded"
    assert overall_status(["succeeded", "cancelled"]) == "cancelled"


def test_requirements_run_first_and_are_added(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    manager = manager_with(s.Needs(), s.FileCount())
    assert [a.name for a in plan(manager, ["needs-count"])] == ["count", "needs-count"]
    outcome = run(manager, repo, ["needs-count"])
    assert list(outcome.outcomes) == ["count", "needs-count"]
    assert outcome.outcomes["needs-count"].data == {"doubled": 8}


def test_dependent_of_a_failed_analyzer_is_skipped(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    class NeedsRaises(s.Needs):
        name = "needs-raises"
        requires = ("raises",)

    outcome = run(manager_with(s.Raises(), NeedsRaises()), repo)
    assert outcome.outcomes["needs-raises"].status == "skipped"
    assert "requires 'raises'" in outcome.outcomes["needs-raises"].error
    assert outcome.status == "failed"


def test_cycle_and_missing_requirement_are_clear_errors(manager_with: Callable[..., PluginManager]) -> None:
    with pytest.raises(PlanError, match="cycle: cycle-"):
        plan(manager_with(s.CycleA(), s.CycleB()), ["cycle-a"])
    with pytest.raises(PlanError, match="requires 'nowhere', which is not installed"):
        plan(manager_with(s.MissingReq()), ["missing-req"])
    with pytest.raises(PlanError, match="unknown analyzer 'nope' \\(installed: count\\)"):
        plan(manager_with(s.FileCount()), ["nope"])


def test_invalid_options_are_refused_before_running(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    manager = manager_with(s.FileCount())
    with pytest.raises(OptionsError, match="invalid options for analyzer 'count': colour: Extra inputs are not permitted"):
        run(manager, repo, ["count"], options={"count": {"colour": "red"}})
    with pytest.raises(PlanError, match="not selected"):
        run(manager, repo, ["count"], options={"other": {}})
    outcome = run(manager, repo, ["count"], options={"count": {"suffix": ".py"}})
    assert outcome.outcomes["count"].data["files"] == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_file_analyzer_blob_cache_reruns_only_changed_files(
    manager_with: Callable[..., PluginManager], repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    calls = tmp_path / "calls.log"
    monkeypatch.setenv(s.CALLS_FILE_ENV, str(calls))
    runner = Runner(manager_with(s.LineCounter()), workers=workers)
    with runner:
        first = run(runner.manager, repo, runner=runner)
        data = first.outcomes["lines"].data
        assert data["files"]["a.py"] == {"lines": 2}
        assert "RuntimeError: cannot read this one" in data["files"]["c.fail"]["error"]
        assert sorted(calls.read_text().split()) == ["a.py", "b.txt", "c.fail", "img.bin"]

        calls.write_text("")
        repo.commit({"b.txt": "1\n2\n3\n"})
        second = run(runner.manager, repo, runner=runner)
        assert calls.read_text().split() == ["b.txt"]  # the unchanged blobs came from the cache
        assert second.outcomes["lines"].data["files"]["b.txt"] == {"lines": 3}
        assert second.outcomes["lines"].stats == {"files": 4, "cached": 3, "analyzed": 1}


def test_whole_results_are_cached_by_commit(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    runner = Runner(manager_with(s.FileCount()), workers=1)
    first = run(runner.manager, repo, runner=runner)
    second = run(runner.manager, repo, runner=runner)
    assert not first.outcomes["count"].cached and second.outcomes["count"].cached
    assert second.outcomes["count"].data == first.outcomes["count"].data
    bumped = type("Count2", (s.FileCount,), {"version": "2"})()
    third = run(manager_with(bumped), repo, runner=Runner(manager_with(bumped), result_cache=runner.result_cache, workers=1))
    assert not third.outcomes["count"].cached  # a new version invalidates


def test_oversized_files_are_capped_not_read(manager_with: Callable[..., PluginManager], make_repo: Callable[..., GitRepo]) -> None:
    class Small(s.LineCounter):
        max_file_size = 10

    repo = make_repo(files={"big.txt": "x\n" * 100, "small.txt": "y\n"})
    data = run(manager_with(Small()), repo).outcomes["lines"].data
    assert data["files"]["big.txt"]["capped"] is True
    assert data["files"]["small.txt"] == {"lines": 1}


def test_cancellation_stops_the_run(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    state = {"calls": 0}

    def cancelled() -> bool:
        state["calls"] += 1
        return state["calls"] > 1

    outcome = run(manager_with(s.Hangs(), s.FileCount()), repo, cancelled=cancelled)
    assert outcome.status == "cancelled"
    assert {o.status for o in outcome.outcomes.values()} <= {"cancelled", "succeeded"}


def test_progress_is_reported_up_to_one(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    seen: list[float] = []
    run(manager_with(s.FileCount(), s.LineCounter()), repo, progress=lambda f, m: seen.append(f))
    assert seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)


def test_state_is_kept_per_repository_and_ref(manager_with: Callable[..., PluginManager], repo: GitRepo) -> None:
    from coe_framework.plugin.contract import Analyzer

    class Remembers(Analyzer):
        name = "remembers"
        version = "1"

        def analyze(self, ctx: Any) -> dict[str, Any]:
            previous = ctx.previous_state
            ctx.save_state({"last": ctx.commit})
            return {"previous": previous["last"] if previous else None}

    runner = Runner(manager_with(Remembers()), workers=1)
    first_commit = repo.head
    assert run(runner.manager, repo, runner=runner).outcomes["remembers"].data == {"previous": None}
    repo.commit({"new.txt": "n\n"})
    assert run(runner.manager, repo, runner=runner).outcomes["remembers"].data == {"previous": first_commit}


def test_inherited_git_variables_do_not_reach_analyzer_processes(
    manager_with: Callable[..., PluginManager], repo: GitRepo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    monkeypatch.setenv("GIT_DIR", str(decoy))  # would redirect every git command that inherits it
    monkeypatch.setenv("GIT_INDEX_FILE", str(decoy / "index"))
    from coe_framework.plugin.contract import Analyzer

    class UsesGitPython(Analyzer):
        name = "gitpython"
        version = "1"

        def analyze(self, ctx: Any) -> dict[str, Any]:
            return {"head": ctx.git().rev_parse("HEAD")}

    with Runner(manager_with(UsesGitPython(), s.LineCounter()), workers=2) as runner:
        outcome = run(runner.manager, repo, runner=runner)
    assert outcome.status == "succeeded", outcome.errors
    assert outcome.outcomes["gitpython"].data == {"head": repo.head}


def test_pure_aggregate_is_reused_when_no_selected_file_changed(
    manager_with: Callable[..., PluginManager], repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class PyLines(s.LineCounter):
        name = "pylines"
        pure_aggregate = True

        def select(self, entry: Any, options: Any) -> bool:
            return entry.path.endswith(".py")

        def aggregate(self, ctx: Any, files: dict[str, Any]) -> dict[str, Any]:
            with open(os.environ["AGGREGATES_LOG"], "a") as handle:
                handle.write("aggregate\n")
            return super().aggregate(ctx, files)

    import os

    log = tmp_path / "aggregates.log"
    monkeypatch.setenv("AGGREGATES_LOG", str(log))
    runner = Runner(manager_with(PyLines()), workers=1)
    first = run(runner.manager, repo, runner=runner)
    repo.commit({"b.txt": "not selected\n"})  # a new commit, but no selected file changed
    second = run(runner.manager, repo, runner=runner)
    assert log.read_text().count("aggregate") == 1
    assert second.outcomes["pylines"].cached and second.outcomes["pylines"].data == first.outcomes["pylines"].data
    repo.commit({"a.py": "changed\n"})
    third = run(runner.manager, repo, runner=runner)
    assert log.read_text().count("aggregate") == 2 and not third.outcomes["pylines"].cached


def test_a_cached_run_counts_the_files_with_or_without_the_stored_count(manager_with: Callable[..., PluginManager], make_repo: Callable[..., GitRepo]) -> None:
    from coe_framework.analysis.cache import MemoryCache

    repo = make_repo(files={"a.py": "1\n", "b/c.py": "2\n", "d.txt": "3\n"})
    runner = Runner(manager_with(s.LineCounter()), workers=1)
    fresh = run(runner.manager, repo, runner=runner)
    cached = run(runner.manager, repo, runner=runner)
    assert cached.outcomes["lines"].cached and fresh.file_count == cached.file_count == 3
    runner.blob_cache = MemoryCache(10)  # a cache that never saw this commit's count: it is listed
    listed = run(runner.manager, repo, runner=runner)
    assert listed.outcomes["lines"].cached and listed.file_count == 3
