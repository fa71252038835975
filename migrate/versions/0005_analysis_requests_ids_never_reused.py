"""SQLite never hands a deleted analysis' id to a new one.

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table
plus one, so deleting the newest analysis and submitting another reused its
id: a client still holding the old id would read a different analysis.
PostgreSQL sequences never reuse ids, so this revision changes SQLite only,
by rebuilding the table with AUTOINCREMENT (foreign keys are off during
migrations and checked before the commit; rows keep their ids).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != 'sqlite':
        return
    with op.batch_alter_table('analysis_requests', recreate='always', table_kwargs={'sqlite_autoincrement': autoincrement}):
        pass


def upgrade() -> None:
    """Rebuild analysis_requests with AUTOINCREMENT on SQLite."""
    _rebuild(True)


def downgrade() -> None:
    """Rebuild analysis_requests without AUTOINCREMENT on SQLite."""
    _rebuild(False)
