"""What every command of ``coe`` shares: exit codes, the one-line error, the plugin
manager of an invocation, ``ANALYZER.KEY=VALUE`` options and the ``--output`` file.

Command modules import these from here, never from :mod:`coe_framework.cli.main`
(which loads them by name), so the command line's modules import in one direction.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from typing import IO, Any, Iterator, Sequence

import click

from ..errors import KINDS, BadInput, first_line, kind_of
from ..plugin.manager import PluginLoadError, PluginManager, get_manager

EXIT_FAILED = 1
EXIT_USAGE = KINDS[BadInput].exit_code


class CommandError(click.ClickException):
    """A :class:`~coe_framework.errors.CoeError` as click ends a command: one line, its kind's exit code."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE):
        super().__init__(message)
        setattr(self, "exit_code", exit_code)  # click declares exit_code a class variable; this error carries its own

    @classmethod
    def of(cls, exc: BaseException) -> "CommandError":
        """``exc`` as one line; a CoeError's kind gives the exit code, any other error is bad input (2)."""
        message = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else first_line(exc)
        kind = kind_of(exc)
        return cls(message or type(exc).__name__, kind.exit_code if kind is not None else EXIT_USAGE)

    def show(self, file: Any = None) -> None:
        click.echo(f"coe: error: {self.format_message()}", err=True)


class UserError(BadInput, CommandError):
    """Bad input found by a command itself (a :class:`~coe_framework.errors.BadInput`); one line, exit code 2.

    A click exception too, so it ends the command the same way wherever click meets it.
    """

    def __init__(self, message: str):
        super().__init__(message)


def plugin_manager(ctx: click.Context) -> PluginManager:
    """The plugin manager of this invocation, loaded once (a plugin that fails strict loading: one line)."""
    root = ctx.find_root()
    manager = root.meta.get("coe.manager")
    if manager is None:
        try:
            manager = get_manager()
        except PluginLoadError as exc:
            raise UserError(str(exc)) from None
        root.meta["coe.manager"] = manager
    return manager


def parse_option_pairs(pairs: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``analyzer.key=value`` pairs to nested options; values parse as JSON when they can."""
    options: dict[str, dict[str, Any]] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        analyzer, dot, field = key.partition(".")
        if not sep or not dot or not analyzer or not field:
            raise UserError(f"option '{pair}' must look like ANALYZER.KEY=VALUE")
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        options.setdefault(analyzer, {})[field] = value
    return options


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """The file to write (stdout without ``--output``); a file is replaced only when complete."""
    if not path:
        yield sys.stdout
        return
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".coe-export-", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
