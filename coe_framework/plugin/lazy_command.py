"""A command a plugin registers without importing it: loaded when it is run.

``coe --help`` lists a :class:`LazyCommand` by its name and short help; the
module behind it is imported only when the command itself is invoked (or its
own ``--help`` is asked for), so a plugin's heavy dependencies (Flask, say)
cost nothing to the other commands.

Example::

    @hookimpl
    def coe_register_commands(register):
        register(LazyCommand("serve", "myplugin.commands:serve_command", "Serve the thing."))
"""
from __future__ import annotations

import importlib
from typing import Any

import click


class LazyCommand(click.Command):
    """Stands for the click command at ``target`` (``"package.module:attribute"``) until it is used."""

    def __init__(self, name: str, target: str, short_help: str):
        module, sep, attribute = target.partition(":")
        if not sep or not module or not attribute:
            raise ValueError(f"target {target!r} must look like 'package.module:attribute'")
        super().__init__(name, short_help=short_help, help=short_help)
        self.target = target

    def load(self) -> click.Command:
        """Import and return the real command (named as registered)."""
        module, _, attribute = self.target.partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self.target} is not a click command")
        return command

    def invoke(self, ctx: click.Context) -> Any:  # pragma: no cover - the root group runs the loaded command instead
        return ctx.invoke(self.load(), **ctx.params)
