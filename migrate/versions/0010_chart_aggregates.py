"""The dashboard's chart aggregates, one row per repository analysis and chart.

* ``chart_aggregates``: the small table each chart of the repository page
  draws (hotspots, file tree, complexity, ownership, ...), and the headline
  figures and measures, computed once from an analysis' results so a page
  never reads a whole result document. Rows go with their repository
  analysis (``ON DELETE CASCADE``). Analyses stored before this revision
  have none; the dashboard computes and stores them on their first view.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: Union[str, Sequence[str], None] = '0009'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create chart_aggregates."""
    id_type = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    json_type = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
    op.create_table(
        'chart_aggregates',
        sa.Column('repository_analysis_id', id_type, autoincrement=False, nullable=False),
        sa.Column('chart', sa.String(length=64), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('data', json_type, nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'],
                                name=op.f('fk_chart_aggregates_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('repository_analysis_id', 'chart', name=op.f('pk_chart_aggregates')),
    )


def downgrade() -> None:
    """Drop it again."""
    op.drop_table('chart_aggregates')
