"""A runner that keeps its file workers from run to run (what ``coe history`` uses)."""
from __future__ import annotations

import os
from typing import Any

from coe_framework.plugin.contract import FileAnalyzer
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.analysis.runner import Runner


class WorkerPid(FileAnalyzer):
    """Reports which process analyzed each file."""

    name = "pid"
    version = "1"

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        return {"pid": os.getpid(), "size": len(data)}


def _pids(runner: Runner, repo: Any, commit: str) -> set[int]:
    info = RepositoryInfo(str(repo.path), "r", str(repo.path))
    outcome = runner.run(str(repo.path), commit, info, ["pid"])
    assert outcome.status == "succeeded", outcome.errors
    return {f["pid"] for f in outcome.outcomes["pid"].data["files"].values()}


def test_kept_workers_serve_later_runs_and_close_with_the_runner(make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n", "b.txt": "2\n"})
    first = repo.head
    second = repo.commit({"a.txt": "changed\n", "c.txt": "3\n"})
    runner = Runner(manager_with(WorkerPid()), workers=1, keep_file_pools=True)
    try:
        before = _pids(runner, repo, first)
        after = _pids(runner, repo, second)
        assert len(runner._pools) == 1
        assert (after - before) == set(), "the second run forked no new worker"
        pool = next(iter(runner._pools.values()))
        workers = [w.process for w in pool._workers]
    finally:
        runner.close()
    assert runner._pools == {} and all(not p.is_alive() for p in workers)


def test_without_keeping_each_run_has_its_own_workers(make_repo: Any, manager_with: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    first = repo.head
    second = repo.commit({"a.txt": "2\n"})
    with Runner(manager_with(WorkerPid()), workers=1) as runner:
        assert _pids(runner, repo, first) != _pids(runner, repo, second)
        assert runner._pools == {}
