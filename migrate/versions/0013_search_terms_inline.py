"""PostgreSQL search: a tsvector small enough to rank without reading TOAST.

Revision 0007's ``search_index.terms`` kept every position of every body
term: about 2.4 kB a row, stored out of line, so ``ts_rank`` fetched and
decompressed a TOAST value for each document it ranked (about 40 µs each,
most of a query's time). The column is now the names with their positions
(weight A) and the body's distinct terms without positions (``strip``,
counted once at weight D by ``ts_rank``), kept in the row itself
(``STORAGE MAIN``); the body text it is made from moves out of the row
(``STORAGE EXTERNAL``), since no query reads it. Matching is unchanged:
the GIN index holds the same lexemes. Existing rows get the new column when
it is added (the table is rewritten once).

SQLite and MariaDB keep their engines: nothing changes there.

Revision ID: 0013
Revises: 0008
Create Date: 2026-12-03
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0008'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

POSTGRESQL_UP = (
    "ALTER TABLE search_index DROP COLUMN terms",  # its GIN index goes with it
    "ALTER TABLE search_index ALTER COLUMN body SET STORAGE EXTERNAL",
    "ALTER TABLE search_index ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, names), 'A') || "
    "strip(to_tsvector('simple'::regconfig, body))) STORED",
    "ALTER TABLE search_index ALTER COLUMN terms SET STORAGE MAIN",
    # Rows written by the rewrite above used the default storage; rewriting them once more keeps them inline.
    "UPDATE search_index SET names = names",
    "CREATE INDEX ix_search_index_terms ON search_index USING gin (terms)",
)
POSTGRESQL_DOWN = (
    "ALTER TABLE search_index DROP COLUMN terms",
    "ALTER TABLE search_index ALTER COLUMN body SET STORAGE EXTENDED",
    "ALTER TABLE search_index ADD COLUMN terms tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, names), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'D')) STORED",
    "CREATE INDEX ix_search_index_terms ON search_index USING gin (terms)",
)


def upgrade() -> None:
    """PostgreSQL: rebuild search_index.terms as names (weighted A) plus the body's distinct terms, kept inline."""
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_UP:
            op.execute(statement)


def downgrade() -> None:
    """PostgreSQL: back to revision 0007's terms column (every body position, weight D)."""
    if op.get_bind().dialect.name == 'postgresql':
        for statement in POSTGRESQL_DOWN:
            op.execute(statement)
