"""Run techspec end to end through the framework's Runner."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from coe_framework.plugin.context import RepositoryInfo
from coe_framework.plugin.manager import PluginManager
from coe_framework.analysis.runner import Runner
from coe_framework.testing.gitrepo import GitRepo, init_repo


def techspec_manager(*extra: tuple[str, Any]) -> PluginManager:
    """A manager with the techspec plugin module (and its hooks) plus ``extra`` plugins."""
    import coe_plugins.techspec.plugin as techspec_plugin

    manager = PluginManager({})
    manager.register(techspec_plugin, "techspec", builtin=True)
    for name, plugin in extra:
        manager.register(plugin, name)
    return manager


def run_techspec(repo: GitRepo, manager: PluginManager | None = None, options: dict[str, Any] | None = None) -> Any:
    """The techspec outcome for ``repo``'s HEAD."""
    manager = manager or techspec_manager()
    with Runner(manager, workers=1) as runner:
        outcome = runner.run(
            str(repo.path / ".git"), repo.head, RepositoryInfo(str(repo.path), repo.path.name, str(repo.path)),
            ["techspec"], {"techspec": options or {}},
        )
    return outcome.outcomes["techspec"]


@pytest.fixture
def analyze(make_repo: Callable[..., GitRepo]) -> Callable[..., dict[str, Any]]:
    """Build a repository from ``files`` and return techspec's data for it."""

    def factory(files: dict[str, str | bytes], **kwargs: Any) -> dict[str, Any]:
        outcome = run_techspec(make_repo(files=files), **kwargs)
        assert outcome.status == "succeeded", outcome.error
        return outcome.data

    return factory


@pytest.fixture(scope="session")
def polyglot_repo(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    """The polyglot fixture repository (built once per test session)."""
    from . import polyglot

    return init_repo(tmp_path_factory.mktemp("techspec") / "polyglot", files=polyglot.FILES)


@pytest.fixture(scope="session")
def polyglot_data(polyglot_repo: GitRepo) -> dict[str, Any]:
    """techspec's result for the polyglot repository."""
    outcome = run_techspec(polyglot_repo)
    assert outcome.status == "succeeded", outcome.error
    return outcome.data
