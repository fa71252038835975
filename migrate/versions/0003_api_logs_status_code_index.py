"""An index for the API log listing filtered by status code.

``GET /api/v1/logs?status_code=500`` reads newest first; without an index
leading with ``status_code`` it walks the whole table (millions of rows a day
under load) to find a rare status.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: Union[str, Sequence[str], None] = '0002'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Index api_logs by (status_code, id)."""
    op.create_index('ix_api_logs_status_code_id', 'api_logs', ['status_code', 'id'])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index('ix_api_logs_status_code_id', table_name='api_logs')
