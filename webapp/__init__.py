"""The CoE web application: ``flask --app coe_webapp:create_app run`` or ``coe serve``.

Attributes load lazily, so the ``coe`` command can register the web commands
without importing Flask.
"""
from __future__ import annotations

from typing import Any

__all__ = ["ConfigError", "StartupError", "WebSettings", "create_app"]


def __getattr__(name: str) -> Any:
    if name in ("create_app", "StartupError"):
        from . import app

        return getattr(app, name)
    if name in ("ConfigError", "WebSettings"):
        from . import config

        return getattr(config, name)
    raise AttributeError(f"module 'coe_webapp' has no attribute '{name}'")
