"""``/api/v1/plugins``: loaded plugins, their analyzers and schemas, load errors; plus plugin routes."""
from __future__ import annotations

import logging
from typing import Any

from apiflask import APIFlask, APIBlueprint
from flask import Blueprint, request

from ..auth import authenticate, require
from ..schemas import PluginsOut
from .common import coe

log = logging.getLogger(__name__)
bp = APIBlueprint("plugins", __name__, tag="Plugins")


@bp.get("/plugins")
@require("read")
@bp.doc(summary="Plugins and analyzers", description="Every plugin (loaded or failed), each analyzer with its option and result JSON Schemas, and load errors.")
@bp.output(PluginsOut)
def list_plugins() -> Any:
    manager = coe().manager
    plugins = manager.describe(include_hooks=True)
    analyzers = [
        {**type(analyzer).describe(), "version": str(analyzer.version), "plugin": manager.analyzer_owner(name)}
        for name, analyzer in sorted(manager.analyzers.items())
    ]
    return {"plugins": plugins, "analyzers": analyzers, "load_errors": dict(manager.load_errors)}


def register_plugin_routes(app: APIFlask) -> None:
    """Blueprints from ``coe_register_routes``; a plugin whose routes fail is recorded, not fatal."""
    manager = coe_manager(app)

    def record(plugin: str, blueprint: Any) -> None:
        if not isinstance(blueprint, Blueprint):
            raise TypeError("register() expects a flask.Blueprint")
        # Plugin routes get the same authentication as the API's own: reads need read, anything else write.
        blueprint.before_request(lambda: authenticate("read" if request.method in ("GET", "HEAD", "OPTIONS") else "write") and None)
        app.register_blueprint(blueprint, url_prefix=f"/api/v1/ext/{plugin}")
        manager.plugins[plugin].routes.append(blueprint.name)

    manager.collect("coe_register_routes", record)


def coe_manager(app: APIFlask) -> Any:
    return app.extensions["coe"].manager
