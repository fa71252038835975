"""RAG document ids are unique per repository analysis, not across the table.

Document ids are stable (the same commit gives the same ids), so analysing
the same commit again in a new request produces the same ids for new rows:
uniqueness belongs to (repository_analysis_id, document_id).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: Union[str, Sequence[str], None] = '0001'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Replace the table-wide unique document id by one per repository analysis."""
    with op.batch_alter_table('rag_analysis_results') as batch:
        batch.drop_constraint('uq_rag_analysis_results_document_id', type_='unique')
        batch.create_unique_constraint(
            'uq_rag_analysis_results_repository_analysis_id_document_id', ['repository_analysis_id', 'document_id']
        )


def downgrade() -> None:
    """Back to table-wide unique ids (fails while two analyses share a document id)."""
    with op.batch_alter_table('rag_analysis_results') as batch:
        batch.drop_constraint('uq_rag_analysis_results_repository_analysis_id_document_id', type_='unique')
        batch.create_unique_constraint('uq_rag_analysis_results_document_id', ['document_id'])
