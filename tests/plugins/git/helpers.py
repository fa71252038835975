"""Running the git analyzer through the framework's runner in tests."""
from __future__ import annotations

from typing import Any, Mapping

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.plugin.manager import PluginManager
from coe_framework.analysis.runner import Runner
from coe_framework.testing.environment import build_manager
from coe_framework.testing.gitrepo import GitRepo
from coe_plugins.git.analyzer import GitAnalyzer


def entry_point_manager(*_analyzers: Analyzer) -> PluginManager:
    """A plugin manager with the git plugin loaded through its ``coe`` entry point."""
    return build_manager(builtins=("git",))


class GitRun:
    """One runner (so incremental state carries over) for one repository."""

    def __init__(self, manager_with: Any, repo: GitRepo, *extra: Analyzer, state_store: Any = None) -> None:
        self.repo = repo
        manager: PluginManager = manager_with(GitAnalyzer(), *extra)
        self.runner = Runner(manager, workers=1, isolation="thread", state_store=state_store)
        self.info = RepositoryInfo(f"file://{repo.path}", repo.path.name, str(repo.path))

    def outcome(self, options: Mapping[str, Any] | None = None, commit: str | None = None, analyzers: list[str] | None = None) -> Any:
        opts = {"git": dict(options)} if options else None
        return self.runner.run(
            str(self.repo.path / ".git"), commit or self.repo.head, self.info, analyzers, opts, use_cache=False
        ).outcomes["git"]

    def data(self, options: Mapping[str, Any] | None = None, commit: str | None = None, analyzers: list[str] | None = None) -> dict[str, Any]:
        outcome = self.outcome(options, commit, analyzers)
        assert outcome.status == "succeeded", outcome.error
        return outcome.data

    def close(self) -> None:
        self.runner.close()


def without_mining(data: dict[str, Any]) -> dict[str, Any]:
    """A result without the block that says how it was produced."""
    return {key: value for key, value in data.items() if key != "mining"}


def full_rebuild(manager_with: Any, repo: GitRepo, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The result of a fresh runner (no saved state) at the repository's head."""
    run = GitRun(manager_with, repo)
    try:
        data = run.data(options)
    finally:
        run.close()
    assert data["mining"]["mode"] == "full"
    return data
