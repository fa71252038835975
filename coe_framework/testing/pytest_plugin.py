"""pytest plugin (entry point ``pytest11``) of the CoE plugin test kit.

Fixtures:

``git_repo_factory``  a :class:`~coe_framework.testing.gitrepo.GitRepoFactory` under the
                      test's tmp_path: ``git_repo_factory(files={...})``, ``.sample()``,
                      ``.empty_tree()``
``coe_env``           a :class:`~coe_framework.testing.environment.CoeEnv` holding only the
                      plugins under test plus chosen built-ins, with its own database URL
                      and workspace
``run_analyzer``      ``run_analyzer(name, repo, **options)`` -> the validated result
``analyzer_conforms`` ``analyzer_conforms(name_or_instance, **kwargs)`` runs the
                      conformance suite inside ``coe_env``

The web app adds ``api_client`` (its Flask test client on ``coe_env``) through its
own pytest plugin (the ``coe_web`` entry point of the ``pytest11`` group).

Which plugins ``coe_env`` loads comes from the ini options ``coe_plugins`` and
``coe_builtins`` (entry point names, space separated or a TOML list), or per test
from ``@pytest.mark.coe_env(plugins=[...], builtins=[...])``.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from .environment import CoeEnv
    from .gitrepo import GitRepoFactory


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("coe_plugins", "CoE plugins (entry point names) the coe_env fixture loads", type="args", default=[])
    parser.addini("coe_builtins", "built-in CoE plugins (git, ast, techspec) the coe_env fixture loads too", type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "coe_env(plugins=None, builtins=None): the CoE plugins the coe_env fixture loads for this test "
        "(defaults: the coe_plugins and coe_builtins ini options)",
    )


@pytest.fixture
def git_repo_factory(tmp_path: Path) -> "GitRepoFactory":
    """Deterministic Git repositories under this test's tmp_path."""
    from .gitrepo import GitRepoFactory

    return GitRepoFactory(tmp_path / "repos")


def _selection(request: pytest.FixtureRequest) -> tuple[list[str], list[str]]:
    marker = request.node.get_closest_marker("coe_env")
    kwargs = marker.kwargs if marker is not None else {}
    plugins = kwargs.get("plugins")
    builtins = kwargs.get("builtins")
    if plugins is None:
        plugins = request.config.getini("coe_plugins")
    if builtins is None:
        builtins = request.config.getini("coe_builtins")
    return list(plugins), list(builtins)


@pytest.fixture
def coe_env(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator["CoeEnv"]:
    """An isolated CoE framework with only the plugins under test (see the module docstring)."""
    from .environment import CoeEnv

    plugins, builtins = _selection(request)
    root = tmp_path / "coe"
    env = CoeEnv(root, plugins=plugins, builtins=builtins)
    monkeypatch.setenv("COE_DATABASE_URL", env.database_url)
    monkeypatch.setenv("COE_WORKSPACE", str(root / "mirrors"))
    # The web app analyses local paths only below allowed directories: the test's own.
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    try:
        yield env
    finally:
        env.close()


@pytest.fixture
def run_analyzer(coe_env: "CoeEnv") -> Callable[..., dict[str, Any]]:
    """``run_analyzer(name, repo, **options)``: run one analyzer, return its validated result."""
    return coe_env.run_analyzer


@pytest.fixture
def analyzer_conforms(coe_env: "CoeEnv", tmp_path: Path) -> Callable[..., None]:
    """``analyzer_conforms(analyzer, **kwargs)``: the conformance suite, inside ``coe_env``."""
    from .conformance import assert_analyzer_conforms

    def check(analyzer: Any, **kwargs: Any) -> None:
        kwargs.setdefault("workdir", tmp_path)
        assert_analyzer_conforms(analyzer, env=coe_env, **kwargs)

    return check
