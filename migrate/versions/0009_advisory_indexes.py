"""Advisory indexes: each package's advisories as a sorted version grid.

``advisory_indexes`` holds one row per (ecosystem, package key): the
package's advisory ranges already ordered and cut into cells, so matching
dependencies reads integers instead of parsing and sorting every advisory's
versions again. Rows are derived from ``vulnerable_packages`` and carry a
fingerprint of the rows they were built from; a stale one is rebuilt.

``tech_dependencies.vulnerability_digest`` is a digest of a dependency's
stored hits as last matched, so a re-match that finds the same hits writes
nothing and reads no stored hit.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    """Create advisory_indexes; add tech_dependencies.vulnerability_digest."""
    op.create_table('advisory_indexes',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('ecosystem', sa.String(length=64), nullable=False),
    sa.Column('package', sa.String(length=512), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('document', JSON, nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisory_indexes')),
    sa.UniqueConstraint('ecosystem', 'package', name=op.f('uq_advisory_indexes_ecosystem_package'))
    )
    with op.batch_alter_table('tech_dependencies') as batch:
        batch.add_column(sa.Column('vulnerability_digest', sa.String(length=16), nullable=True))


def downgrade() -> None:
    """Drop what upgrade() created."""
    with op.batch_alter_table('tech_dependencies') as batch:
        batch.drop_column('vulnerability_digest')
    op.drop_table('advisory_indexes')
