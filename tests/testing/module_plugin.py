"""A one-off plugin module (loaded by path through COE_PLUGIN_MODULES) for the `coe plugin` command tests."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin.hookspecs import hookimpl
from tests.testing import kit_analyzers as ka


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(ka.ByteCounter())
    register(ka.EmptyCrash())
