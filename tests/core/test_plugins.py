"""Plugin discovery: entry points, allow and block lists, load failures, tracing."""
from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.plugin.manager import PluginLoadError, PluginManager, create_manager

from .sample_analyzers import FileCount


def make_distribution(root: Path, dist: str, plugins: dict[str, str]) -> None:
    """Write a minimal installed distribution (dist-info + modules) under ``root``.

    ``plugins`` maps an entry point name to the source of its module.
    """
    info = root / f"{dist}-1.2.3.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
    lines = ["[coe]"]
    for name, source in plugins.items():
        module = f"{dist.replace('-', '_')}_{name.replace('-', '_')}"
        (root / f"{module}.py").write_text(textwrap.dedent(source))
        lines.append(f"{name} = {module}")
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")


GOOD_PLUGIN = """
from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.plugin.contract import Analyzer

class Todo(Analyzer):
    name = "todo"
    version = "1"
    def analyze(self, ctx):
        return {"n": 0}

@hookimpl
def coe_register_analyzers(register):
    register(Todo())
"""

BROKEN_PLUGIN = """
raise RuntimeError("this plugin cannot be imported")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, dict[str, str]], None]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    added: list[str] = []

    def install(dist: str, plugins: dict[str, str]) -> None:
        make_distribution(root, dist, plugins)
        added.extend(f"{dist.replace('-', '_')}_{n.replace('-', '_')}" for n in plugins)
        import importlib

        importlib.invalidate_caches()

    yield install
    for module in added:
        sys.modules.pop(module, None)


def test_builtins_are_discovered_through_entry_points() -> None:
    manager = create_manager({})
    builtins = {name for name, info in manager.plugins.items() if info.builtin}
    assert {"git", "ast", "techspec"} <= builtins
    for name in ("git", "ast", "techspec"):
        assert manager.plugins[name].distribution == "coe-framework"


def test_third_party_distribution_is_discovered(site: Any) -> None:
    site("acme-coe", {"acme": GOOD_PLUGIN})
    manager = create_manager({})
    info = manager.plugins["acme"]
    assert info.error is None
    assert info.distribution == "acme-coe" and info.version == "1.2.3" and not info.builtin
    assert "todo" in manager.analyzers
    assert manager.analyzer_owner("todo") == "acme"
    assert "coe_register_analyzers" in info.hooks


def test_allowlist_set_but_empty_means_builtins_only(site: Any) -> None:
    site("acme-coe", {"acme": GOOD_PLUGIN})
    manager = create_manager({"COE_PLUGINS": ""})
    assert "acme" not in manager.plugins
    assert "git" in manager.plugins


def test_allowlist_names_third_party_plugins(site: Any) -> None:
    site("acme-coe", {"acme": GOOD_PLUGIN, "other": GOOD_PLUGIN.replace('"todo"', '"todo2"')})
    manager = create_manager({"COE_PLUGINS": "acme"})
    assert "acme" in manager.plugins and "other" not in manager.plugins


def test_blocklist_disables_even_builtins(site: Any) -> None:
    site("acme-coe", {"acme": GOOD_PLUGIN})
    manager = create_manager({"COE_DISABLE_PLUGINS": "acme, techspec"})
    assert "acme" not in manager.plugins and "techspec" not in manager.plugins
    assert "git" in manager.plugins


def test_plugin_raising_at_import_is_recorded_and_skipped(site: Any) -> None:
    site("bad-coe", {"bad": BROKEN_PLUGIN})
    site("acme-coe", {"acme": GOOD_PLUGIN})
    manager = create_manager({})
    assert "this plugin cannot be imported" in manager.load_errors["bad"]
    assert manager.plugins["bad"].error
    assert "todo" in manager.analyzers  # the others still load


def test_strict_mode_makes_a_load_failure_fatal(site: Any) -> None:
    site("bad-coe", {"bad": BROKEN_PLUGIN})
    with pytest.raises(PluginLoadError, match="bad"):
        create_manager({"COE_STRICT_PLUGINS": "1", "COE_DISABLE_PLUGINS": "git,ast,techspec"})


def test_plugin_module_by_path(tmp_path: Path) -> None:
    module = tmp_path / "local_todo.py"
    module.write_text(textwrap.dedent(GOOD_PLUGIN))
    manager = create_manager({"COE_PLUGIN_MODULES": str(module)}, entrypoints=False)
    assert manager.plugins["local_todo"].source == "module"
    assert "todo" in manager.analyzers


def test_invalid_analyzer_and_duplicate_names_are_load_errors(manager_with: Callable[..., PluginManager]) -> None:
    class NoVersion(FileCount):
        version = ""

    class Second:
        @hookimpl
        def coe_register_analyzers(self, register: Callable[[Any], None]) -> None:
            register(FileCount())

    manager = manager_with(FileCount())
    manager.register(Second(), "second")
    assert list(manager.analyzers) == ["count"]
    assert "already registered by plugin 'test-analyzers'" in manager.load_errors["second"]

    bad = manager_with(NoVersion())
    assert bad.analyzers == {}
    assert "version must be a non-empty string" in bad.load_errors["test-analyzers"]


def test_unknown_hook_blames_only_that_plugin() -> None:
    class Misspelled:
        @hookimpl
        def coe_register_analyser(self, register: Any) -> None:  # British spelling: not a hook
            pass

    manager = PluginManager({})
    manager.register(Misspelled(), "misspelled")
    assert "unknown hook 'coe_register_analyser'" in manager.load_errors["misspelled"]


def test_plugin_defined_hookspecs_can_be_implemented_by_plugins_loaded_earlier() -> None:
    from coe_framework.plugin.hookspecs import hookspec
    from coe_framework.plugin.manager import PluginInfo

    class Specs:
        @hookspec
        def coe_extra_rules(self, register: Any) -> None:
            """Contribute extra rules."""

    class Extender:
        @hookimpl
        def coe_extra_rules(self, register: Any) -> None:
            register("rule-1")

    class Definer:
        COE_HOOKSPECS = Specs

    manager = PluginManager({})
    manager._register(Extender(), PluginInfo(name="extender"))  # registered before the specs exist
    manager.register(Definer(), "definer")
    got: list[tuple[str, Any]] = []
    manager.collect("coe_extra_rules", lambda plugin, item: got.append((plugin, item)))
    assert got == [("extender", "rule-1")]


def test_tracing_writes_hook_calls(manager_with: Callable[..., PluginManager]) -> None:
    lines: list[str] = []
    manager = manager_with(FileCount())
    manager.enable_tracing(lines.append)
    manager.analyzers  # noqa: B018
    assert any("coe_register_analyzers" in line for line in lines)


def test_env_tracing_switch(capsys: pytest.CaptureFixture[str]) -> None:
    class Plugin:
        @hookimpl
        def coe_register_analyzers(self, register: Callable[[Any], None]) -> None:
            register(FileCount())

    manager = create_manager({"COE_TRACE_PLUGINS": "1"}, extra_plugins=[("traced", Plugin())], entrypoints=False)
    manager.analyzers  # noqa: B018
    assert "coe_register_analyzers" in capsys.readouterr().err


def test_listener_exceptions_never_escape(manager_with: Callable[..., PluginManager], caplog: pytest.LogCaptureFixture) -> None:
    class Listener:
        @hookimpl
        def coe_analysis_started(self, analysis: dict[str, Any]) -> None:
            raise RuntimeError("listener broke")

        @hookimpl
        def coe_analysis_finished(self, analysis: dict[str, Any], status: str) -> None:
            seen.append(status)

    seen: list[str] = []
    manager = manager_with()
    manager.register(Listener(), "listener")
    manager.call_listeners("coe_analysis_started", analysis={"id": None})
    manager.call_listeners("coe_analysis_finished", analysis={"id": None}, status="succeeded")
    assert seen == ["succeeded"]
    assert "listener broke" in caplog.text
