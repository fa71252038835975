"""Entry point of the built-in ``git`` analyzer (entry point group ``coe``)."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.hookspecs import hookimpl

from .analyzer import GitAnalyzer


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """Contribute the ``git`` history analyzer."""
    register(GitAnalyzer())
