"""Entry point of the built-in ``techspec`` plugin (group ``coe``).

Registers the analyzer, the ``coe sbom`` command, the ``cyclonedx`` export format, and defines the hooks
other plugins implement to add manifest parsers and technology rules
(:mod:`coe_plugins.techspec.hookspecs`).
"""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin_api import hookimpl

from . import hookspecs
from .analyzer import TechSpecAnalyzer
from .measures import measures
from .cli import sbom_command
from .export import CYCLONEDX
from .rag import coe_rag_documents  # noqa: F401 - the tech-spec and documentation RAG documents

#: Hooks of techspec's own; the plugin manager adds them before registering.
COE_HOOKSPECS = hookspecs


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(TechSpecAnalyzer())


@hookimpl
def coe_register_commands(register: Callable[[Any], None]) -> None:
    register(sbom_command)


@hookimpl
def coe_register_export_formats(register: Callable[[Any], None]) -> None:
    """The ``cyclonedx`` export format (the SBOM of one repository)."""
    register(CYCLONEDX)


@hookimpl
def coe_register_measures(register: Callable[[Any], None]) -> None:
    """Declare the ``techspec`` analyzer's measures (see :mod:`.measures`)."""
    for measure in measures():
        register(measure)
