"""The dashboard page: recent analyses and their outcomes as charts, read from the API in the browser."""
from __future__ import annotations

from apiflask import APIBlueprint
from flask import render_template

bp = APIBlueprint("dashboard", __name__, enable_openapi=False, template_folder="../templates", static_folder="../static", static_url_path="/static")


@bp.get("/")
def dashboard() -> str:
    return render_template("dashboard.html")
