"""The original CoE services' routes (``/flows/*``, ``/api/v1/analyze``, ``/api/v1/results``, ...).

One blueprint at the original paths, mounted unless ``COE_LEGACY_ROUTES`` is
off. The views are a thin mapping onto CoE's own rows and services: flows are
``langflows`` rows mirrored to the flows directory exactly as ``/api/v1/flows``
does, analyses go through the native submission path and are read from the
store. Errors on these routes take the original services' forms
(:mod:`.errors`).
"""
from __future__ import annotations

from apiflask import APIFlask


def register(app: APIFlask) -> None:
    """Mount the original routes when the settings allow them."""
    if not app.extensions["coe"].settings.legacy_routes:
        return
    from . import analysis, flows  # noqa: F401 - the views register themselves on the blueprint
    from .blueprint import bp

    app.register_blueprint(bp)
