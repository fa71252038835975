"""When a job's message was last sent to the broker.

With Celery, a queued request whose message was lost (a broker restarted
without persistence, a publish that failed after the row was stored) would
stay queued forever. Workers' reapers send such requests again; this column
tells them which requests were never sent, or were sent long ago.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Add analysis_requests.published_at (empty: never sent)."""
    with op.batch_alter_table('analysis_requests') as batch:
        batch.add_column(sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Drop analysis_requests.published_at."""
    with op.batch_alter_table('analysis_requests') as batch:
        batch.drop_column('published_at')
