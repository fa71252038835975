"""One blueprint per resource, all under ``/api/v1`` except probes and the dashboard."""
from __future__ import annotations

from apiflask import APIFlask

API_PREFIX = "/api/v1"


def register_blueprints(app: APIFlask) -> None:
    """Attach every resource's blueprint, then routes contributed by plugins."""
    from . import analyses, dashboard, exports, flows, hooks, logs, measures, plugins, probes, repositories, search, sessions, vulnerabilities, watches

    for module in (analyses, exports, repositories, flows, sessions, logs, plugins, search, vulnerabilities, measures, watches, hooks):
        app.register_blueprint(module.bp, url_prefix=API_PREFIX)
    app.register_blueprint(probes.bp)
    app.register_blueprint(dashboard.bp)
    from ..legacy import register as register_original_routes

    register_original_routes(app)
    plugins.register_plugin_routes(app)
