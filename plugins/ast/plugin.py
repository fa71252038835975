"""Entry point of the built-in ``ast`` plugin (group ``coe``, name ``ast``).

Registers the ``ast`` analyzer and, through :mod:`.rag`, the plugin's RAG
documents (source chunks on symbol boundaries) made from its results.
"""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin_api import hookimpl

from .analyzer import AstAnalyzer
from .measures import measures
from .rag import coe_rag_documents

__all__ = ["coe_register_analyzers", "coe_register_measures", "coe_rag_documents"]


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """Register the ``ast`` analyzer: code structure and complexity of every source file."""
    register(AstAnalyzer())


@hookimpl
def coe_register_measures(register: Callable[[Any], None]) -> None:
    """Declare the ``ast`` analyzer's measures (see :mod:`.measures`)."""
    for measure in measures():
        register(measure)
