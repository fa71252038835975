"""How ``coe analyze`` reads ``-o``: it means ``--output`` everywhere now.

``-o`` used to mean ``--option ANALYZER.KEY=VALUE``. A value of that shape
is still taken as an analyzer option, with one deprecation line on stderr;
anything else is the output file. ``--option`` (hidden) is the old long
spelling of ``--set``.
"""
from __future__ import annotations

import re
from typing import Sequence

import click

#: ``ANALYZER.KEY=VALUE``: an analyzer name, a dot, an option name, ``=``, and no path separator before ``=``.
OPTION_SHAPE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*\.[A-Za-z_][A-Za-z0-9_]*=")
DEPRECATION = "coe: warning: '-o/--option ANALYZER.KEY=VALUE' is deprecated, use '--set ANALYZER.KEY=VALUE' (-o now means --output)"


def looks_like_option(value: str) -> bool:
    """True for ``ast.max_file_size=5`` and the like, never for a file path."""
    return bool(OPTION_SHAPE.match(value))


def split_output_and_options(outputs: Sequence[str], legacy: Sequence[str]) -> tuple[str | None, list[str]]:
    """The one output file and the analyzer options given in the old spelling (warned about once)."""
    from .common import UserError

    files = [value for value in outputs if not looks_like_option(value)]
    pairs = [*(value for value in outputs if looks_like_option(value)), *legacy]
    if len(files) > 1:
        raise UserError(f"-o/--output given {len(files)} times ({', '.join(files)}); write one file")
    if pairs:
        click.echo(DEPRECATION, err=True)
    return (files[0] if files else None), pairs
