"""Entry point of the built-in ``ast`` plugin (group ``coe``, name ``ast``)."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.hookspecs import hookimpl

from .analyzer import AstAnalyzer


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """Register the ``ast`` analyzer: code structure and complexity of every source file."""
    register(AstAnalyzer())
