"""Every hook is documented in docs/plugins.md, with an example, and exercised by some test.

Hooks are those of coe_framework/plugin/hookspecs.py plus the ones built-in plugins
define through ``COE_HOOKSPECS``. "Exercised" means a test file under tests/
implements the hook (``def name(``) or calls it (``.name(`` or the name as a
string handed to ``collect``/``call_listeners``).
"""
from __future__ import annotations

import re
from pathlib import Path

import pluggy
import pytest

from coe_framework.plugin import hookspecs
from coe_framework.testing.environment import build_manager, installed_plugins

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "plugins.md"
THIS_FILE = Path(__file__).resolve()


def core_hooks() -> dict[str, str]:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return {name: "coe_framework/plugin/hookspecs.py" for name in vars(manager.hook)}


def builtin_plugin_hooks() -> dict[str, str]:
    """Hooks the installed built-in plugins add through COE_HOOKSPECS."""
    core = core_hooks()
    found: dict[str, str] = {}
    for name, builtin in sorted(installed_plugins().items()):
        if not builtin:
            continue
        try:
            manager = build_manager(builtins=[name])
        except Exception:  # noqa: BLE001 - a built-in that cannot load has its own failing tests
            continue
        for hook_name, caller in vars(manager.pm.hook).items():
            if caller.has_spec() and hook_name not in core:
                found[hook_name] = f"the built-in '{name}' plugin"
    return found


ALL_HOOKS = {**core_hooks(), **builtin_plugin_hooks()}


def test_hooks_were_found():
    assert {"coe_register_analyzers", "coe_analysis_finished"} <= set(ALL_HOOKS)


@pytest.fixture(scope="module")
def guide() -> str:
    if not GUIDE.exists():
        pytest.fail("docs/plugins.md is missing; it must document every hook")
    return GUIDE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def test_sources() -> list[tuple[Path, str]]:
    return [
        (path, path.read_text(encoding="utf-8", errors="replace"))
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.resolve() != THIS_FILE
    ]


def is_described(hook: str, guide: str) -> bool:
    """Named in code style (`hook` or `hook(...)`) somewhere in the guide."""
    return f"`{hook}`" in guide or f"`{hook}(" in guide


def has_example(hook: str, guide: str) -> bool:
    """The guide shows an implementation: ``def hook(``."""
    return re.search(rf"\bdef {hook}\(", guide) is not None


def is_exercised(hook: str, source: str) -> bool:
    """A test implements the hook, calls it, or names it for collect()/call_listeners()."""
    return re.search(rf"\bdef {hook}\(|\.{hook}\(|['\"]{hook}['\"]", source) is not None


def test_the_checks_tell_documented_and_exercised_hooks_apart():
    guide = "### `coe_a(register)`\n\n    def coe_a(register): ...\n\nSee `coe_b` too.\n"
    assert is_described("coe_a", guide) and has_example("coe_a", guide)
    assert is_described("coe_b", guide) and not has_example("coe_b", guide)
    assert not is_described("coe_c", guide)
    assert is_exercised("coe_a", "manager.hook.coe_a(register=r)")
    assert is_exercised("coe_a", 'manager.collect("coe_a", record)')
    assert not is_exercised("coe_a", "coe_ab = 1  # mentions coe_a only in passing")


@pytest.mark.parametrize("hook", sorted(ALL_HOOKS))
def test_hook_is_documented_with_an_example(hook, guide):
    assert is_described(hook, guide), (
        f"{hook} (from {ALL_HOOKS[hook]}) is not described in docs/plugins.md; add a section for it"
    )
    assert has_example(hook, guide), (
        f"docs/plugins.md has no example implementing {hook} (from {ALL_HOOKS[hook]}); add one (`def {hook}(...)`)"
    )


@pytest.mark.parametrize("hook", sorted(ALL_HOOKS))
def test_hook_is_exercised_by_a_test(hook, test_sources):
    users = [path for path, text in test_sources if is_exercised(hook, text)]
    assert users, (
        f"no test under tests/ implements or calls {hook} (from {ALL_HOOKS[hook]}); "
        "add a test with a plugin implementing it and check the framework calls it"
    )
