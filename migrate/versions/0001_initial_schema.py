"""Initial schema: every CoE table.

Creates all tables of coe_framework/db/models.py except ``schema_history``,
which the migrator itself owns and creates before the first revision runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Create every table and index."""
    op.create_table('analyzer_state',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_analyzer_state'))
    )
    op.create_table('blob_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_blob_cache'))
    )
    op.create_table('langflows',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flow_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_langflows')),
    sa.UniqueConstraint('flow_id', name=op.f('uq_langflows_flow_id'))
    )
    op.create_index(op.f('ix_langflows_deleted_at'), 'langflows', ['deleted_at'], unique=False)
    op.create_index('uq_langflows_live_name', 'langflows', ['name'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
    op.create_table('repositories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2048), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('default_branch', sa.String(length=255), nullable=True),
    sa.Column('last_commit_sha', sa.String(length=64), nullable=True),
    sa.Column('last_analyzed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repositories')),
    sa.UniqueConstraint('url', name=op.f('uq_repositories_url'))
    )
    op.create_index(op.f('ix_repositories_name'), 'repositories', ['name'], unique=False)
    op.create_table('user_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('token_prefix', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('scopes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_activity_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('ip_address', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_sessions.id'], name=op.f('fk_user_sessions_created_by_id_user_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    op.create_index(op.f('ix_user_sessions_created_by_id'), 'user_sessions', ['created_by_id'], unique=False)
    op.create_table('analysis_requests',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repositories', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=True),
    sa.Column('analyzers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('options', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('progress_message', sa.String(length=500), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_attempts', sa.Integer(), nullable=False),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=True),
    sa.Column('request_hash', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'], name=op.f('fk_analysis_requests_session_id_user_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_requests')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_analysis_requests_idempotency_key'))
    )
    op.create_index('ix_analysis_requests_claim', 'analysis_requests', ['status', 'priority', 'id'], unique=False)
    op.create_index(op.f('ix_analysis_requests_created_at'), 'analysis_requests', ['created_at'], unique=False)
    op.create_index(op.f('ix_analysis_requests_request_hash'), 'analysis_requests', ['request_hash'], unique=False)
    op.create_index(op.f('ix_analysis_requests_session_id'), 'analysis_requests', ['session_id'], unique=False)
    op.create_index(op.f('ix_analysis_requests_status'), 'analysis_requests', ['status'], unique=False)
    op.create_index('ix_analysis_requests_status_lease', 'analysis_requests', ['status', 'lease_expires_at'], unique=False)
    op.create_table('api_logs',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=True),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.Column('route', sa.String(length=255), nullable=False),
    sa.Column('path', sa.String(length=2048), nullable=True),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('duration_ms', sa.Double(), nullable=False),
    sa.Column('client_ip', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=512), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['user_sessions.id'], name=op.f('fk_api_logs_session_id_user_sessions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_logs'))
    )
    op.create_index(op.f('ix_api_logs_created_at'), 'api_logs', ['created_at'], unique=False)
    op.create_index(op.f('ix_api_logs_request_id'), 'api_logs', ['request_id'], unique=False)
    op.create_index('ix_api_logs_route_status', 'api_logs', ['route', 'status_code'], unique=False)
    op.create_index(op.f('ix_api_logs_session_id'), 'api_logs', ['session_id'], unique=False)
    op.create_table('correlation_analyses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_a_id', sa.Integer(), nullable=False),
    sa.Column('repository_b_id', sa.Integer(), nullable=False),
    sa.Column('shared_dependencies', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('shared_contributors', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('scores', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('similarity', sa.Double(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repository_a_id'], ['repositories.id'], name=op.f('fk_correlation_analyses_repository_a_id_repositories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_b_id'], ['repositories.id'], name=op.f('fk_correlation_analyses_repository_b_id_repositories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'], name=op.f('fk_correlation_analyses_request_id_analysis_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_correlation_analyses')),
    sa.UniqueConstraint('request_id', 'repository_a_id', 'repository_b_id', name=op.f('uq_correlation_analyses_request_id_repository_a_id_repository_b_id'))
    )
    op.create_index(op.f('ix_correlation_analyses_repository_a_id'), 'correlation_analyses', ['repository_a_id'], unique=False)
    op.create_index(op.f('ix_correlation_analyses_repository_b_id'), 'correlation_analyses', ['repository_b_id'], unique=False)
    op.create_table('repository_analyses',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('request_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=255), nullable=True),
    sa.Column('commit_sha', sa.String(length=64), nullable=True),
    sa.Column('commit_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('commit_author', sa.String(length=500), nullable=True),
    sa.Column('commit_message', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('file_count', sa.Integer(), nullable=True),
    sa.Column('line_count', sa.BigInteger(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('duration', sa.Double(), nullable=True),
    sa.ForeignKeyConstraint(['repository_id'], ['repositories.id'], name=op.f('fk_repository_analyses_repository_id_repositories'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['analysis_requests.id'], name=op.f('fk_repository_analyses_request_id_analysis_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_repository_analyses')),
    sa.UniqueConstraint('request_id', 'repository_id', name=op.f('uq_repository_analyses_request_id_repository_id'))
    )
    op.create_index('ix_repository_analyses_repository_commit', 'repository_analyses', ['repository_id', 'commit_sha'], unique=False)
    op.create_table('analysis_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_analysis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('analyzer', sa.String(length=64), nullable=False),
    sa.Column('analyzer_version', sa.String(length=64), nullable=False),
    sa.Column('options_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('duration', sa.Double(), nullable=False),
    sa.Column('cache_key', sa.String(length=64), nullable=False),
    sa.Column('cached', sa.Boolean(), nullable=False),
    sa.Column('stats', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_analysis_results_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_analysis_results')),
    sa.UniqueConstraint('repository_analysis_id', 'analyzer', name=op.f('uq_analysis_results_repository_analysis_id_analyzer'))
    )
    op.create_index(op.f('ix_analysis_results_analyzer'), 'analysis_results', ['analyzer'], unique=False)
    op.create_index('ix_analysis_results_cache_key_status', 'analysis_results', ['cache_key', 'status'], unique=False)
    op.create_table('rag_analysis_results',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('document_id', sa.String(length=255), nullable=False),
    sa.Column('repository_analysis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('metadata', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_rag_analysis_results_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rag_analysis_results')),
    sa.UniqueConstraint('document_id', name=op.f('uq_rag_analysis_results_document_id'))
    )
    op.create_index(op.f('ix_rag_analysis_results_kind'), 'rag_analysis_results', ['kind'], unique=False)
    op.create_index(op.f('ix_rag_analysis_results_repository_analysis_id'), 'rag_analysis_results', ['repository_analysis_id'], unique=False)
    op.create_table('ast_nodes',
    sa.Column('path', sa.String(length=4096), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('qualified_name', sa.String(length=2048), nullable=True),
    sa.Column('line_start', sa.Integer(), nullable=True),
    sa.Column('line_end', sa.Integer(), nullable=True),
    sa.Column('parent', sa.String(length=2048), nullable=True),
    sa.Column('complexity', sa.Double(), nullable=True),
    sa.Column('cognitive_complexity', sa.Double(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_analysis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('analysis_result_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['analysis_result_id'], ['analysis_results.id'], name=op.f('fk_ast_nodes_analysis_result_id_analysis_results'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_ast_nodes_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ast_nodes'))
    )
    op.create_index(op.f('ix_ast_nodes_analysis_result_id'), 'ast_nodes', ['analysis_result_id'], unique=False)
    op.create_index('ix_ast_nodes_kind_name', 'ast_nodes', ['kind', 'name'], unique=False)
    op.create_index(op.f('ix_ast_nodes_qualified_name'), 'ast_nodes', ['qualified_name'], unique=False)
    op.create_index('ix_ast_nodes_repository_analysis_path', 'ast_nodes', ['repository_analysis_id', 'path'], unique=False)
    op.create_table('code_files',
    sa.Column('path', sa.String(length=4096), nullable=False),
    sa.Column('language', sa.String(length=64), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('lines', sa.Integer(), nullable=True),
    sa.Column('sloc', sa.Integer(), nullable=True),
    sa.Column('blob_sha', sa.String(length=64), nullable=True),
    sa.Column('complexity', sa.Double(), nullable=True),
    sa.Column('max_complexity', sa.Double(), nullable=True),
    sa.Column('maintainability', sa.Double(), nullable=True),
    sa.Column('functions', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_analysis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('analysis_result_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['analysis_result_id'], ['analysis_results.id'], name=op.f('fk_code_files_analysis_result_id_analysis_results'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_code_files_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_files'))
    )
    op.create_index(op.f('ix_code_files_analysis_result_id'), 'code_files', ['analysis_result_id'], unique=False)
    op.create_index(op.f('ix_code_files_blob_sha'), 'code_files', ['blob_sha'], unique=False)
    op.create_index(op.f('ix_code_files_language'), 'code_files', ['language'], unique=False)
    op.create_index('ix_code_files_repository_analysis_path', 'code_files', ['repository_analysis_id', 'path'], unique=False)
    op.create_table('tech_dependencies',
    sa.Column('ecosystem', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=512), nullable=False),
    sa.Column('constraint', sa.String(length=512), nullable=True),
    sa.Column('version', sa.String(length=128), nullable=True),
    sa.Column('scope', sa.String(length=32), nullable=True),
    sa.Column('manifest', sa.String(length=4096), nullable=True),
    sa.Column('license', sa.String(length=512), nullable=True),
    sa.Column('direct', sa.Boolean(), nullable=True),
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('repository_analysis_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('analysis_result_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['analysis_result_id'], ['analysis_results.id'], name=op.f('fk_tech_dependencies_analysis_result_id_analysis_results'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'], name=op.f('fk_tech_dependencies_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tech_dependencies'))
    )
    op.create_index(op.f('ix_tech_dependencies_analysis_result_id'), 'tech_dependencies', ['analysis_result_id'], unique=False)
    op.create_index('ix_tech_dependencies_ecosystem_name', 'tech_dependencies', ['ecosystem', 'name'], unique=False)
    op.create_index('ix_tech_dependencies_repository_analysis_id', 'tech_dependencies', ['repository_analysis_id'], unique=False)


def downgrade() -> None:
    """Drop every table this revision created."""
    op.drop_index('ix_tech_dependencies_repository_analysis_id', table_name='tech_dependencies')
    op.drop_index('ix_tech_dependencies_ecosystem_name', table_name='tech_dependencies')
    op.drop_index(op.f('ix_tech_dependencies_analysis_result_id'), table_name='tech_dependencies')
    op.drop_table('tech_dependencies')
    op.drop_index('ix_code_files_repository_analysis_path', table_name='code_files')
    op.drop_index(op.f('ix_code_files_language'), table_name='code_files')
    op.drop_index(op.f('ix_code_files_blob_sha'), table_name='code_files')
    op.drop_index(op.f('ix_code_files_analysis_result_id'), table_name='code_files')
    op.drop_table('code_files')
    op.drop_index('ix_ast_nodes_repository_analysis_path', table_name='ast_nodes')
    op.drop_index(op.f('ix_ast_nodes_qualified_name'), table_name='ast_nodes')
    op.drop_index('ix_ast_nodes_kind_name', table_name='ast_nodes')
    op.drop_index(op.f('ix_ast_nodes_analysis_result_id'), table_name='ast_nodes')
    op.drop_table('ast_nodes')
    op.drop_index(op.f('ix_rag_analysis_results_repository_analysis_id'), table_name='rag_analysis_results')
    op.drop_index(op.f('ix_rag_analysis_results_kind'), table_name='rag_analysis_results')
    op.drop_table('rag_analysis_results')
    op.drop_index('ix_analysis_results_cache_key_status', table_name='analysis_results')
    op.drop_index(op.f('ix_analysis_results_analyzer'), table_name='analysis_results')
    op.drop_table('analysis_results')
    op.drop_index('ix_repository_analyses_repository_commit', table_name='repository_analyses')
    op.drop_table('repository_analyses')
    op.drop_index(op.f('ix_correlation_analyses_repository_b_id'), table_name='correlation_analyses')
    op.drop_index(op.f('ix_correlation_analyses_repository_a_id'), table_name='correlation_analyses')
    op.drop_table('correlation_analyses')
    op.drop_index(op.f('ix_api_logs_session_id'), table_name='api_logs')
    op.drop_index('ix_api_logs_route_status', table_name='api_logs')
    op.drop_index(op.f('ix_api_logs_request_id'), table_name='api_logs')
    op.drop_index(op.f('ix_api_logs_created_at'), table_name='api_logs')
    op.drop_table('api_logs')
    op.drop_index('ix_analysis_requests_status_lease', table_name='analysis_requests')
    op.drop_index(op.f('ix_analysis_requests_status'), table_name='analysis_requests')
    op.drop_index(op.f('ix_analysis_requests_session_id'), table_name='analysis_requests')
    op.drop_index(op.f('ix_analysis_requests_request_hash'), table_name='analysis_requests')
    op.drop_index(op.f('ix_analysis_requests_created_at'), table_name='analysis_requests')
    op.drop_index('ix_analysis_requests_claim', table_name='analysis_requests')
    op.drop_table('analysis_requests')
    op.drop_index(op.f('ix_user_sessions_created_by_id'), table_name='user_sessions')
    op.drop_table('user_sessions')
    op.drop_index(op.f('ix_repositories_name'), table_name='repositories')
    op.drop_table('repositories')
    op.drop_index('uq_langflows_live_name', table_name='langflows', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
    op.drop_index(op.f('ix_langflows_deleted_at'), table_name='langflows')
    op.drop_table('langflows')
    op.drop_table('blob_cache')
    op.drop_table('analyzer_state')
