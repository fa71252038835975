"""Alembic environment for the CoE schema.

Loaded by Alembic from this folder; :mod:`coe_migrate.migrate` hands it an
open connection (already inside the migration lock) through
``config.attributes``, so no ``alembic.ini`` and no URL are read here.
"""
from __future__ import annotations

from alembic import context

from coe_framework.db.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    raise RuntimeError("CoE migrations run through `coe db upgrade` (coe_migrate.migrate), which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite alters tables by copying them; batch mode does that for us.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    on_version_apply=config.attributes.get("on_version_apply"),
)

with context.begin_transaction():
    context.run_migrations()
