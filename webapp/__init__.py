"""The CoE web application: ``flask --app coe_webapp:create_app run`` or ``coe serve``."""
from __future__ import annotations

from .app import StartupError, create_app
from .config import ConfigError, WebSettings

__all__ = ["ConfigError", "StartupError", "WebSettings", "create_app"]
