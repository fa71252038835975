"""Measures per commit and stored quality gate results.

* ``measures``: one row per (repository analysis, measure key) with the
  repository, commit and commit date copied, indexed for a trend
  (repository, key, commit date); filled when results are stored.
* ``gate_results``: one evaluated quality gate per row, its verdict and
  conditions, and the baseline analysis it compared against.

Both go with their analysis (ON DELETE CASCADE). Only new tables, so no
table is rebuilt.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: Union[str, Sequence[str], None] = '0010'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    """Create measures and gate_results with their indexes."""
    op.create_table(
        'measures',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('repository_id', sa.Integer(), nullable=False),
        sa.Column('request_id', BigId, nullable=False),
        sa.Column('repository_analysis_id', BigId, nullable=False),
        sa.Column('commit_sha', sa.String(length=64), nullable=False),
        sa.Column('commit_date', sa.DateTime(timezone=True), nullable=False),
        sa.Column('analyzer', sa.String(length=64), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(['repository_id'], ['repositories.id'],
                                name=op.f('fk_measures_repository_id_repositories'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'],
                                name=op.f('fk_measures_request_id_analysis_requests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'],
                                name=op.f('fk_measures_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_measures')),
        sa.UniqueConstraint('repository_analysis_id', 'key', name=op.f('uq_measures_repository_analysis_id_key')),
    )
    op.create_index('ix_measures_repository_key_commit_date', 'measures', ['repository_id', 'key', 'commit_date'])
    op.create_index(op.f('ix_measures_request_id'), 'measures', ['request_id'])
    op.create_table(
        'gate_results',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('request_id', BigId, nullable=False),
        sa.Column('repository_analysis_id', BigId, nullable=False),
        sa.Column('baseline_repository_analysis_id', BigId, nullable=True),
        sa.Column('baseline_commit', sa.String(length=64), nullable=True),
        sa.Column('passed', sa.Boolean(), nullable=False),
        sa.Column('conditions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
        sa.Column('source', sa.String(length=1024), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'],
                                name=op.f('fk_gate_results_request_id_analysis_requests'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'],
                                name=op.f('fk_gate_results_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['baseline_repository_analysis_id'], ['repository_analyses.id'],
                                name=op.f('fk_gate_results_baseline_repository_analysis_id_repository_analyses'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_gate_results')),
    )
    op.create_index(op.f('ix_gate_results_request_id'), 'gate_results', ['request_id'])
    op.create_index(op.f('ix_gate_results_repository_analysis_id'), 'gate_results', ['repository_analysis_id'])
    op.create_index(op.f('ix_gate_results_baseline_repository_analysis_id'), 'gate_results', ['baseline_repository_analysis_id'])


def downgrade() -> None:
    """Drop both tables."""
    op.drop_table('gate_results')
    op.drop_table('measures')
