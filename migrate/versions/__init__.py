"""Alembic revisions of the CoE schema."""
