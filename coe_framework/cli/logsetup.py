"""Logging for the ``coe`` command: one line per record, tracebacks only with ``COE_DEBUG=1``.

A log record that carries an exception (``log.exception``) would print the
whole traceback, and an SQL error's text spans several lines (statement,
parameters). On a terminal each record becomes one line: the message's first
line and, for an exception, ``Type: first line of its message``. With
``COE_DEBUG=1`` records are printed in full.
"""
from __future__ import annotations

import logging
import sys

from ..errors import one_line

FORMAT = "%(levelname)s %(name)s: %(message)s"


def debug_enabled() -> bool:
    """True when ``COE_DEBUG`` asks for tracebacks and full detail."""
    import os

    from ..settings import ConfigFileError, environ

    try:
        env = environ()
    except ConfigFileError:  # the bad file is reported by the command; COE_DEBUG can still come from the environment
        env = dict(os.environ)
    return env.get("COE_DEBUG", "").strip().lower() not in ("", "0", "false", "no", "off")


class OneLineFormatter(logging.Formatter):
    """Formats a record as a single line: no traceback, no multi-line message."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage().strip()
        head = message.splitlines()[0] if message else ""
        if record.exc_info and record.exc_info[1] is not None:
            head = f"{head}: {one_line(record.exc_info[1])}" if head else one_line(record.exc_info[1])
        elif len(message.splitlines()) > 1:
            head += " …"
        return f"{record.levelname} {record.name}: {head}"


def configure_cli_logging(level: int) -> None:
    """Send log records to stderr at ``level``, one line each unless debugging."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT) if debug_enabled() else OneLineFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_coe_cli", False):
            root.removeHandler(old)
    handler._coe_cli = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
