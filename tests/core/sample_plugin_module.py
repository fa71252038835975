"""A one-off plugin module (loaded by path through COE_PLUGIN_MODULES) with the sample analyzers."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin.hookspecs import hookimpl
from tests.core import sample_analyzers as s


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    for analyzer in (s.FileCount(), s.Needs(), s.Raises(), s.LineCounter()):
        register(analyzer)
