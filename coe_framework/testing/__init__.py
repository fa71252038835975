"""The plugin test kit: fixtures and a conformance check for analyzer authors.

Installed with ``pip install coe-framework[testing]``; pytest then loads the
fixtures of :mod:`coe_framework.testing.pytest_plugin` by itself. Names below
are imported lazily so that merely having CoE installed costs a pytest run
nothing.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "assert_analyzer_conforms": "conformance",
    "check_analyzer": "conformance",
    "ConformanceError": "conformance",
    "Problem": "conformance",
    "CHECKS": "conformance",
    "CoeEnv": "environment",
    "KitSetupError": "environment",
    "AnalyzerPlugin": "environment",
    "GitRepo": "gitrepo",
    "GitRepoFactory": "gitrepo",
    "init_repo": "gitrepo",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'coe_framework.testing' has no attribute '{name}'")
    try:
        value = getattr(importlib.import_module(f".{module}", __name__), name)
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            f"{exc.msg}; the CoE test kit needs its extra: pip install 'coe-framework[testing]'", name=exc.name
        ) from None
    globals()[name] = value
    return value
