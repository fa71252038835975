"""What the original services' API needs beyond CoE's own columns.

* ``analysis_keys``: a string id per analysis submitted through the
  original API (the original ``analysis_id``, client-chosen or a UUID) with
  that request's ``include_correlation``. Analyses
  without one are addressed by their numeric id written as a string.
* ``langflows.context``: the routing context of the upsert form of
  ``POST /flows``.
* ``langflows.is_component``: LangFlow's flag for a reusable component
  rather than a whole flow (false for every existing flow).

Columns are added in place, so no table is rebuilt.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create analysis_keys; add langflows.context and langflows.is_component."""
    id_type = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
    op.create_table(
        'analysis_keys',
        sa.Column('request_id', id_type, nullable=False),
        sa.Column('key', sa.String(length=100), nullable=False),
        sa.Column('include_correlation', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'], name=op.f('fk_analysis_keys_request_id_analysis_requests'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('request_id', name=op.f('pk_analysis_keys')),
        sa.UniqueConstraint('key', name=op.f('uq_analysis_keys_key')),
    )
    op.add_column('langflows', sa.Column('context', sa.String(length=255), nullable=True))
    op.add_column('langflows', sa.Column('is_component', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    """Drop them again."""
    with op.batch_alter_table('langflows') as batch:
        batch.drop_column('is_component')
        batch.drop_column('context')
    op.drop_table('analysis_keys')
