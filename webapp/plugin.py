"""The web app's entry point in the ``coe`` plugin group: its command groups.

``coe serve``, ``coe session`` and ``coe flows`` are registered here exactly
as a third party registers commands, as :class:`LazyCommand` entries, so
neither Flask nor the web app is imported until one of them runs.
"""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.plugin.lazy_command import LazyCommand


@hookimpl
def coe_register_commands(register: Callable[[Any], None]) -> None:
    """``serve``, ``session`` and ``flows``."""
    register(LazyCommand("serve", "coe_webapp.commands:serve_command", "Serve the REST API and dashboard (gunicorn gthread workers, or --dev)."))
    register(LazyCommand("session", "coe_webapp.session_cli:session_group", "API tokens (sessions)."))
    register(LazyCommand("flows", "coe_webapp.commands:flows_group", "LangFlow flows."))

