"""Database migrations: Alembic revisions and the checksum ledger."""
