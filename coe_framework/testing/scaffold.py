"""``coe plugin new NAME``: a new analyzer plugin package that passes its own tests.

The templates live in ``coe_framework/testing/plugin_template`` (package data);
``$name``-style placeholders are filled with :class:`string.Template`, and the
``package`` folder becomes the plugin's import package. ``coe plugin check``
runs the conformance suite on an installed analyzer.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import click

from .. import __version__
from ..plugin.contract import NAME_PATTERN
from ..errors import BadInput

TEMPLATE_PACKAGE = "coe_framework.testing"
TEMPLATE_DIR = "plugin_template"
TEMPLATE_SUFFIX = ".tmpl"
#: Characters refused in free text that ends up inside generated code and config.
UNSAFE_TEXT = re.compile(r'["\\\n\r%$]')


class ScaffoldError(BadInput, ValueError):
    """The plugin cannot be created as asked (one line saying why).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass(frozen=True)
class PluginNames:
    """Every name derived from the plugin name the user typed."""

    name: str  # plugin, entry point and analyzer name: todo-counter
    dist: str  # distribution: coe-todo-counter
    module: str  # import package: coe_todo_counter
    class_name: str  # analyzer class: TodoCounter

    @classmethod
    def from_name(cls, name: str) -> "PluginNames":
        if not NAME_PATTERN.match(name):
            raise ScaffoldError(
                f"plugin name '{name}' must start with a lowercase letter and hold only lowercase letters, digits, '-' or '_'"
            )
        words = [w for w in re.split(r"[-_]", name) if w]
        module = "coe_" + "_".join(words)
        class_name = "".join(w[:1].upper() + w[1:] for w in words)
        if not class_name[:1].isalpha():  # pragma: no cover - NAME_PATTERN starts with a letter
            class_name = "Plugin" + class_name
        return cls(name=name, dist="coe-" + "-".join(words), module=module, class_name=class_name)


def _check_text(label: str, value: str) -> str:
    value = value.strip()
    if not value or UNSAFE_TEXT.search(value):
        raise ScaffoldError(f"{label} must be one non-empty line without quotes, backslashes, '%' or '$'")
    return value


def _template_files() -> list[tuple[str, Any]]:
    """``(relative path, resource)`` for every template, sorted."""
    root = resources.files(TEMPLATE_PACKAGE) / TEMPLATE_DIR
    found: list[tuple[str, Any]] = []
    pending = [("", root)]
    while pending:
        prefix, folder = pending.pop()
        for item in folder.iterdir():
            rel = f"{prefix}{item.name}"
            if item.is_dir():
                pending.append((rel + "/", item))
            elif item.name.endswith(TEMPLATE_SUFFIX):
                found.append((rel[: -len(TEMPLATE_SUFFIX)], item))
    return sorted(found, key=lambda pair: pair[0])


def create_plugin(
    name: str,
    directory: str | Path = ".",
    *,
    description: str | None = None,
    author: str = "Plugin Author",
) -> Path:
    """Write a plugin package for ``name`` into ``directory/coe-NAME`` and return that path.

    The package has setup.cfg (with the ``coe`` entry point), pyproject.toml,
    a file analyzer, tests using the plugin test kit, and a README. Refuses to
    write into an existing, non-empty folder.
    """
    names = PluginNames.from_name(name)
    values = {
        "name": names.name,
        "dist": names.dist,
        "module": names.module,
        "class_name": names.class_name,
        "description": _check_text("description", description or f"Counts marker comments with the {names.name} analyzer"),
        "author": _check_text("author", author),
        "coe_version": __version__,
    }
    target = Path(directory) / names.dist
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise ScaffoldError(f"'{target}' already exists and is not empty; choose another directory or name")
    rendered = []
    for rel, resource in _template_files():
        out_rel = re.sub(r"^package/", f"{names.module}/", rel)
        rendered.append((out_rel, Template(resource.read_text(encoding="utf-8")).substitute(values)))
    for rel, text in rendered:
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return target


# --- the `coe plugin` commands ----------------------------------------------------


@click.group("plugin")
def plugin_group() -> None:
    """Create and check analyzer plugins."""


@plugin_group.command("new")
@click.argument("name")
@click.option("-d", "--directory", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where to create the coe-NAME folder.")
@click.option("--description", default=None, help="One line describing the plugin.")
@click.option("--author", default="Plugin Author", show_default=True, help="Author named in setup.cfg.")
def new_command(name: str, directory: str, description: str | None, author: str) -> None:
    """Create a plugin package NAME that passes its own tests straight away."""
    target = create_plugin(name, directory, description=description, author=author)
    click.echo(f"created {target}")
    click.echo("next steps:")
    click.echo(f"  cd {target}")
    click.echo("  pip install -e '.[testing]'")
    click.echo("  pytest")
    click.echo(f"  coe analyze PATH/TO/REPO -a {name}")


@plugin_group.command("check")
@click.argument("analyzer")
@click.option("--skip", multiple=True, help="A conformance check to leave out (repeatable).")
def check_command(analyzer: str, skip: tuple[str, ...]) -> None:
    """Run the conformance suite on an installed ANALYZER and list what to fix."""
    from ..plugin.manager import get_manager

    try:
        from .conformance import check_analyzer
        from .environment import CoeEnv
    except ModuleNotFoundError as exc:
        raise click.ClickException(f"{exc.msg}; install the test kit: pip install 'coe-framework[testing]'") from None
    import tempfile

    manager = get_manager()
    instance = manager.get_analyzer(analyzer)  # KeyError names the installed ones
    needed = _requirement_closure(manager, analyzer)
    owners = sorted({owner for n in needed if (owner := manager.analyzer_owner(n)) is not None})
    from_entry_points = [o for o in owners if manager.plugins[o].source == "entrypoint"]
    builtins = [o for o in from_entry_points if manager.plugins[o].builtin]
    others = [o for o in from_entry_points if not manager.plugins[o].builtin]
    # One-off module plugins (COE_PLUGIN_MODULES) have no entry point: hand over the loaded object.
    objects = [(o, manager.pm.get_plugin(o)) for o in owners if o not in from_entry_points]
    with tempfile.TemporaryDirectory(prefix="coe-check-") as scratch, \
            CoeEnv(scratch, plugins=others, builtins=builtins, objects=objects, activate=False) as env:
        problems = check_analyzer(instance.name, env=env, skip=skip, workdir=scratch)
    if not problems:
        click.echo(f"analyzer '{analyzer}' {instance.version} conforms")
        return
    click.echo(f"analyzer '{analyzer}' {instance.version}: {len(problems)} problem(s)")
    for index, problem in enumerate(problems, 1):
        click.echo(f"  {index}. [{problem.check}] {problem.message}")
    click.get_current_context().exit(1)


def _requirement_closure(manager: Any, name: str) -> set[str]:
    """``name`` and every analyzer it requires or uses, transitively (installed ones only)."""
    seen: set[str] = set()
    pending = [name]
    while pending:
        current = pending.pop()
        if current in seen or current not in manager.analyzers:
            continue
        seen.add(current)
        analyzer = manager.analyzers[current]
        pending.extend((*analyzer.requires, *analyzer.uses))
    return seen
