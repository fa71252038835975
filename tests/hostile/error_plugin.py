"""A plugin module (loaded by path through COE_PLUGIN_MODULES) that fails in every way an error can surface.

- ``explodes``: an analyzer raising an exception with a multi-line message;
- a ``coe_analysis_finished`` listener that raises (logged with its exception);
- ``coe boom``: a command with an internal error (a multi-line RuntimeError);
- ``coe sqlfail``: a command whose SQL fails with a secret bound as a parameter.
"""
from __future__ import annotations

from typing import Any, Callable

import click

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.hookspecs import hookimpl

SECRET = "s3cr3t-parameter-value"


class Explodes(Analyzer):
    name = "explodes"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        raise RuntimeError("the analyzer broke\n  with a second line\n  and a third")


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(Explodes())


@hookimpl
def coe_analysis_finished(analysis: dict[str, Any], status: str) -> None:
    raise RuntimeError(f"listener failed\nwith detail {SECRET}")


@click.command("boom")
def boom() -> None:
    """Fail with an internal error."""
    raise RuntimeError("internal failure\nline two\nline three")


@click.command("sqlfail")
def sqlfail() -> None:
    """Run SQL that fails, with a secret bound as a parameter."""
    from sqlalchemy import text

    from coe_framework.db.engine import get_engine

    with get_engine().connect() as conn:
        conn.execute(text("SELECT * FROM no_such_table WHERE secret = :secret"), {"secret": SECRET})


@hookimpl
def coe_register_commands(register: Callable[[Any], None]) -> None:
    register(boom)
    register(sqlfail)
