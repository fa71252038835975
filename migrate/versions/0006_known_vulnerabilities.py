"""Known vulnerabilities: imported OSV advisories and their matches to dependencies.

``vulnerabilities`` holds one row per OSV advisory, ``vulnerable_packages``
the packages each affects (indexed by ecosystem and package key, the lookup
matching makes), and ``dependency_vulnerabilities`` the advisories matched to
each ``tech_dependencies`` row, whose new ``vulnerability_count`` counts the
confirmed ones. Matches are derived data: a later import recomputes them
without re-analysis.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    """Create the three tables and add tech_dependencies.vulnerability_count."""
    op.create_table('vulnerabilities',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('osv_id', sa.String(length=128), nullable=False),
    sa.Column('modified', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn', sa.DateTime(timezone=True), nullable=True),
    sa.Column('summary', sa.String(length=1000), nullable=True),
    sa.Column('aliases', JSON, nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=True),
    sa.Column('cvss_score', sa.Double(), nullable=True),
    sa.Column('cvss_vector', sa.String(length=255), nullable=True),
    sa.Column('source', sa.String(length=1024), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vulnerabilities')),
    sa.UniqueConstraint('osv_id', name=op.f('uq_vulnerabilities_osv_id'))
    )
    op.create_index(op.f('ix_vulnerabilities_severity'), 'vulnerabilities', ['severity'], unique=False)
    op.create_table('vulnerable_packages',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('vulnerability_id', BIG_ID, nullable=False),
    sa.Column('ecosystem', sa.String(length=64), nullable=False),
    sa.Column('package', sa.String(length=512), nullable=False),
    sa.Column('ranges', JSON, nullable=False),
    sa.Column('versions', JSON, nullable=False),
    sa.ForeignKeyConstraint(['vulnerability_id'], ['vulnerabilities.id'], name=op.f('fk_vulnerable_packages_vulnerability_id_vulnerabilities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vulnerable_packages'))
    )
    op.create_index('ix_vulnerable_packages_ecosystem_package', 'vulnerable_packages', ['ecosystem', 'package'], unique=False)
    op.create_index(op.f('ix_vulnerable_packages_vulnerability_id'), 'vulnerable_packages', ['vulnerability_id'], unique=False)
    op.create_table('dependency_vulnerabilities',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('tech_dependency_id', BIG_ID, nullable=False),
    sa.Column('vulnerability_id', BIG_ID, nullable=False),
    sa.Column('repository_analysis_id', BIG_ID, nullable=False),
    sa.Column('ecosystem', sa.String(length=64), nullable=False),
    sa.Column('package', sa.String(length=512), nullable=False),
    sa.Column('confirmed', sa.Boolean(), nullable=False),
    sa.Column('fixed_version', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['tech_dependency_id'], ['tech_dependencies.id'], name=op.f('fk_dependency_vulnerabilities_tech_dependency_id_tech_dependencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vulnerability_id'], ['vulnerabilities.id'], name=op.f('fk_dependency_vulnerabilities_vulnerability_id_vulnerabilities'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_dependency_vulnerabilities_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dependency_vulnerabilities')),
    sa.UniqueConstraint('tech_dependency_id', 'vulnerability_id', name=op.f('uq_dependency_vulnerabilities_tech_dependency_id_vulnerability_id'))
    )
    op.create_index(op.f('ix_dependency_vulnerabilities_vulnerability_id'), 'dependency_vulnerabilities', ['vulnerability_id'], unique=False)
    op.create_index(op.f('ix_dependency_vulnerabilities_repository_analysis_id'), 'dependency_vulnerabilities', ['repository_analysis_id'], unique=False)
    op.create_index('ix_dependency_vulnerabilities_ecosystem_package', 'dependency_vulnerabilities', ['ecosystem', 'package'], unique=False)
    with op.batch_alter_table('tech_dependencies') as batch:
        batch.add_column(sa.Column('vulnerability_count', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop what upgrade() created."""
    with op.batch_alter_table('tech_dependencies') as batch:
        batch.drop_column('vulnerability_count')
    op.drop_index('ix_dependency_vulnerabilities_ecosystem_package', table_name='dependency_vulnerabilities')
    op.drop_index(op.f('ix_dependency_vulnerabilities_repository_analysis_id'), table_name='dependency_vulnerabilities')
    op.drop_index(op.f('ix_dependency_vulnerabilities_vulnerability_id'), table_name='dependency_vulnerabilities')
    op.drop_table('dependency_vulnerabilities')
    op.drop_index(op.f('ix_vulnerable_packages_vulnerability_id'), table_name='vulnerable_packages')
    op.drop_index('ix_vulnerable_packages_ecosystem_package', table_name='vulnerable_packages')
    op.drop_table('vulnerable_packages')
    op.drop_index(op.f('ix_vulnerabilities_severity'), table_name='vulnerabilities')
    op.drop_table('vulnerabilities')
