"""Search over RAG documents: the lexical index and stored embeddings.

``search_index`` holds each document's code-aware terms by field (names,
body) plus copies of its filter columns; ``vector_embeddings`` holds one
vector per (stable document id, model). Each database then gets its own
full-text engine over ``search_index``:

* SQLite: an external-content FTS5 table ``search_fts`` (BM25 ranking)
  kept in step by three triggers, so a cascade delete of a document removes
  its terms too, and ``search_fts_vocab`` (how many documents hold a term);
* PostgreSQL: a stored generated ``tsvector`` column ``terms`` (names
  weighted A, body D; the ``simple`` configuration, since terms arrive
  already stemmed) with a GIN index;
* MariaDB: a FULLTEXT index on each field.

Those engine objects are not part of the models (SQLAlchemy cannot describe
a virtual table or a generated tsvector portably); the schema comparison
leaves out exactly the names in
``coe_framework.search.lexical.DIALECT_OBJECTS``. Revision 0007 also indexes
``rag_analysis_results.document_id``: vectors are looked up, filtered and
cleaned up by it.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')

SQLITE_UP = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(names, body, content='search_index', content_rowid='document_pk', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE VIRTUAL TABLE search_fts_vocab USING fts5vocab(search_fts, 'row')",
    "CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN "
    "INSERT INTO search_fts(rowid, names, body) VALUES (new.document_pk, new.names, new.body); END",
    "CREATE TRIGGER search_index_ad AFTER DELETE ON search_index BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, names, body) VALUES ('delete', old.document_pk, old.names, old.body); END",
    "CREATE TRIGGER search_index_au AFTER UPDATE ON search_index BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, names, body) VALUES ('delete', old.document_pk, old.names, old.body); "
    "INSERT INTO search_fts(rowid, names, body) VALUES (new.document_pk, new.names, new.body); END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS search_index_au",
    "DROP TRIGGER IF EXISTS search_index_ad",
    "DROP TRIGGER IF EXISTS search_index_ai",
    "DROP TABLE IF EXISTS search_fts_vocab",
    "DROP TABLE IF EXISTS search_fts",
)
POSTGRESQL_UP = (
    "ALTER TABLE search_index ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, names), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'D')) STORED",
    "CREATE INDEX ix_search_index_terms ON search_index USING gin (terms)",
)
MARIADB_UP = (
    "CREATE FULLTEXT INDEX ix_search_index_names_fulltext ON search_index (names)",
    "CREATE FULLTEXT INDEX ix_search_index_body_fulltext ON search_index (body)",
)


def _dialect() -> str:
    name = op.get_bind().dialect.name
    return 'mariadb' if name in ('mysql', 'mariadb') else name


def upgrade() -> None:
    """Create search_index, vector_embeddings and this database's full-text engine."""
    op.create_table(
        'search_index',
        sa.Column('document_pk', BigId, nullable=False, autoincrement=False),
        sa.Column('repository_analysis_id', BigId, nullable=False),
        sa.Column('kind', sa.String(length=64), nullable=False),
        sa.Column('language', sa.String(length=64), nullable=True),
        sa.Column('path', sa.String(length=4096), nullable=True),
        sa.Column('names', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['document_pk'], ['rag_analysis_results.id'],
                                name=op.f('fk_search_index_document_pk_rag_analysis_results'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['repository_analysis_id'], ['repository_analyses.id'],
                                name=op.f('fk_search_index_repository_analysis_id_repository_analyses'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('document_pk', name=op.f('pk_search_index')),
    )
    op.create_index('ix_search_index_repository_analysis_kind', 'search_index', ['repository_analysis_id', 'kind'])
    op.create_table(
        'vector_embeddings',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('document_id', sa.String(length=255), nullable=False),
        sa.Column('model', sa.String(length=255), nullable=False),
        sa.Column('dimension', sa.Integer(), nullable=False),
        sa.Column('vector', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vector_embeddings')),
        sa.UniqueConstraint('document_id', 'model', name=op.f('uq_vector_embeddings_document_id_model')),
    )
    op.create_index('ix_vector_embeddings_model_id', 'vector_embeddings', ['model', 'id'])
    op.create_index('ix_rag_analysis_results_document_id', 'rag_analysis_results', ['document_id'])
    statements = {'sqlite': SQLITE_UP, 'postgresql': POSTGRESQL_UP, 'mariadb': MARIADB_UP}.get(_dialect(), ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """Drop the full-text engine, then both tables and the document id index."""
    if _dialect() == 'sqlite':
        for statement in SQLITE_DOWN:
            op.execute(statement)
    op.drop_index('ix_rag_analysis_results_document_id', table_name='rag_analysis_results')
    op.drop_index('ix_vector_embeddings_model_id', table_name='vector_embeddings')
    op.drop_table('vector_embeddings')
    op.drop_index('ix_search_index_repository_analysis_kind', table_name='search_index')
    op.drop_table('search_index')
