"""The core never names the web app or a plugin package, not even in a string.

The web app's commands reach ``coe`` through its plugin's entry point, and
export formats through the registry. One name is allowed: ``coe_plugins`` as
the plugin test kit's pytest ini option (a setting plugin authors write in
their own ``pyproject.toml``), which names entry points, not the package.
"""
from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "coe_framework"
PACKAGE_NAMES = re.compile(r"\bcoe_webapp\b|\bcoe_plugins(?=\.)|\bimport coe_plugins\b|\bfrom coe_plugins\b")


def test_core_sources_name_neither_the_web_app_nor_a_plugin() -> None:
    found = []
    for path in sorted(CORE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".tmpl", ".toml", ".cfg", ".txt", ".md"):
            for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
                if PACKAGE_NAMES.search(line):
                    found.append(f"{path.relative_to(CORE.parent)}:{number}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_check_catches_each_spelling() -> None:
    for line in ('"serve": "coe_webapp.commands:serve_command"', "from coe_plugins.techspec.sbom import build_sbom",
                 "import coe_plugins", "coe_plugins.git.plugin"):
        assert PACKAGE_NAMES.search(line), line
    assert not PACKAGE_NAMES.search('parser.addini("coe_plugins", "entry point names")')


def test_the_web_commands_come_from_the_web_apps_plugin() -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import LAZY_COMMANDS, cli
    from coe_framework.plugin.manager import create_manager, reset_manager

    assert not {"serve", "session", "flows"} & set(LAZY_COMMANDS)
    manager = create_manager(env={})
    reset_manager(manager)
    try:
        result = CliRunner().invoke(cli, ["--help"])
        assert result.exit_code == 0 and all(f"  {name} " in result.output for name in ("serve", "session", "flows"))
        assert {"serve", "session", "flows"} <= set(manager.plugins["webapp"].commands)
        assert manager.plugins["webapp"].builtin
        result = CliRunner().invoke(cli, ["serve", "--help"])
        assert result.exit_code == 0 and "--workers" in result.output
    finally:
        reset_manager(None)
