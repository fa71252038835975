"""Entry point of the built-in ``git`` analyzer (entry point group ``coe``).

Registers the history analyzer and, through :mod:`.rag`, the plugin's RAG
document (``git_summary``) made from its results.
"""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin_api import hookimpl

from .analyzer import GitAnalyzer
from .measures import measures
from .rag import coe_rag_documents

__all__ = ["coe_register_analyzers", "coe_register_measures", "coe_rag_documents"]


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """Contribute the ``git`` history analyzer."""
    register(GitAnalyzer())


@hookimpl
def coe_register_measures(register: Callable[[Any], None]) -> None:
    """Declare the ``git`` analyzer's measures (see :mod:`.measures`)."""
    for measure in measures():
        register(measure)
