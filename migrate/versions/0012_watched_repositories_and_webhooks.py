"""Watched repositories, the scheduler's leader lease and webhook deliveries.

* ``watched_repositories``: a source, ref, interval, analyzers and options
  to keep analyzed, its webhook secret (encrypted, and hashed for tokens
  that are only compared) and what the last check found: commit, outcome,
  error, failure count and backoff.
* ``leader_leases``: named roles held by one process at a time until the
  lease expires (the watch scheduler).
* ``webhook_deliveries``: accepted deliveries, unique by provider and
  delivery id, so a replayed delivery is refused.

New tables only, so nothing is rebuilt.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0012'
down_revision: Union[str, Sequence[str], None] = '0011'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def upgrade() -> None:
    """Create watched_repositories, leader_leases and webhook_deliveries."""
    op.create_table('watched_repositories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=False),
    sa.Column('match_key', sa.String(length=512), nullable=False),
    sa.Column('interval_seconds', sa.Integer(), nullable=False),
    sa.Column('analyzers', JSON, nullable=True),
    sa.Column('options', JSON, nullable=False),
    sa.Column('origin', sa.String(length=16), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('secret_encrypted', sa.Text(), nullable=True),
    sa.Column('secret_hash', sa.String(length=64), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_ref', sa.String(length=255), nullable=True),
    sa.Column('last_commit', sa.String(length=64), nullable=True),
    sa.Column('last_request_id', BIG_ID, nullable=True),
    sa.Column('last_outcome', sa.String(length=32), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('failure_count', sa.Integer(), nullable=False),
    sa.Column('backoff_seconds', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['last_request_id'], ['analysis_requests.id'], name=op.f('fk_watched_repositories_last_request_id_analysis_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_watched_repositories')),
    sa.UniqueConstraint('url', 'ref', name=op.f('uq_watched_repositories_url_ref'))
    )
    op.create_index('ix_watched_repositories_due', 'watched_repositories', ['enabled', 'next_due_at'], unique=False)
    op.create_index(op.f('ix_watched_repositories_match_key'), 'watched_repositories', ['match_key'], unique=False)
    op.create_index(op.f('ix_watched_repositories_last_request_id'), 'watched_repositories', ['last_request_id'], unique=False)
    op.create_table('leader_leases',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('acquired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leader_leases'))
    )
    op.create_table('webhook_deliveries',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('delivery_id', sa.String(length=200), nullable=False),
    sa.Column('watch_id', sa.Integer(), nullable=True),
    sa.Column('event', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.Column('request_id', BIG_ID, nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['watch_id'], ['watched_repositories.id'], name=op.f('fk_webhook_deliveries_watch_id_watched_repositories'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'], name=op.f('fk_webhook_deliveries_request_id_analysis_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_deliveries')),
    sa.UniqueConstraint('provider', 'delivery_id', name=op.f('uq_webhook_deliveries_provider_delivery_id'))
    )
    op.create_index(op.f('ix_webhook_deliveries_watch_id'), 'webhook_deliveries', ['watch_id'], unique=False)
    op.create_index(op.f('ix_webhook_deliveries_request_id'), 'webhook_deliveries', ['request_id'], unique=False)
    op.create_index(op.f('ix_webhook_deliveries_received_at'), 'webhook_deliveries', ['received_at'], unique=False)


def downgrade() -> None:
    """Drop them again."""
    op.drop_table('webhook_deliveries')
    op.drop_table('leader_leases')
    op.drop_table('watched_repositories')
