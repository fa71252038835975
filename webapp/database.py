"""Flask-SQLAlchemy bound to the one shared model set.

``db.metadata`` is :data:`coe_framework.db.models.Base.metadata`, and the
engine is the process-wide one of :func:`coe_framework.db.engine.get_engine`:
the web app, the in-process job runtime and the CLI share one pool per
database, with the same pool settings and SQLite pragmas.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import exc as sa_exc

from coe_framework.db.engine import get_engine
from coe_framework.db.models import Base

#: Errors that mean the database cannot be reached now (503, cached reads still served).
DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


class CoeSQLAlchemy(SQLAlchemy):
    """Flask-SQLAlchemy whose engine is the process's engine of the database (never one of its own)."""

    def _apply_driver_defaults(self, options: dict[str, Any], app: Flask) -> None:
        # The framework's factory owns driver defaults (pools, pragmas, paths).
        return None

    def _make_engine(self, bind_key: str | None, options: dict[str, Any], app: Flask) -> sa.Engine:
        url = options["url"]
        text = url.render_as_string(hide_password=False) if isinstance(url, sa.URL) else str(url)
        return get_engine(text)


db = CoeSQLAlchemy(metadata=Base.metadata, session_options={"expire_on_commit": False})
