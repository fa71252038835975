"""PostgreSQL search: the ranked tsvector kept in the row, out of TOAST.

Revision 0007's ``search_index.terms`` (every name and body term with its
positions, about 2.4 kB a row) was stored the default way: compressed and
moved out of line into the TOAST table once a row passed 2 kB, so
``ts_rank`` fetched a TOAST value for every document it ranked (about
40 µs each, most of a query's time). ``terms`` is now kept in the row
(``STORAGE MAIN``: compressed when worthwhile, out of line only when a row
cannot fit a page) and the body text it is generated from moves out of the
row instead (``STORAGE EXTERNAL``), since no query reads it. The column's
value, its GIN index and the ranking are unchanged. Storage applies to rows
written from now on: no table is rewritten here; ``coe search reindex``
rewrites existing rows when wanted.

SQLite: the trigger that copied each new ``search_index`` row into FTS5
goes; the indexer adds each batch of rows to FTS5 in one statement (a third
of the cost; ``coe_framework.search.indexing``). The delete and update
triggers stay, so a cascade delete still removes a document's terms.
MariaDB: nothing changes.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0013'
down_revision: Union[str, Sequence[str], None] = '0012'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

POSTGRESQL_UP = (
    "ALTER TABLE search_index ALTER COLUMN body SET STORAGE EXTERNAL",
    "ALTER TABLE search_index ALTER COLUMN terms SET STORAGE MAIN",
)
SQLITE_UP = ("DROP TRIGGER IF EXISTS search_index_ai",)
SQLITE_DOWN = (
    "CREATE TRIGGER search_index_ai AFTER INSERT ON search_index BEGIN "
    "INSERT INTO search_fts(rowid, names, body) VALUES (new.document_pk, new.names, new.body); END",
)
POSTGRESQL_DOWN = (
    "ALTER TABLE search_index ALTER COLUMN terms SET STORAGE EXTENDED",
    "ALTER TABLE search_index ALTER COLUMN body SET STORAGE EXTENDED",
)


def upgrade() -> None:
    """PostgreSQL: keep search_index.terms in the row, the body out of it. SQLite: no insert trigger."""
    statements = {'postgresql': POSTGRESQL_UP, 'sqlite': SQLITE_UP}.get(op.get_bind().dialect.name, ())
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    """PostgreSQL: the default storage again (rows keep theirs until rewritten). SQLite: the trigger again."""
    statements = {'postgresql': POSTGRESQL_DOWN, 'sqlite': SQLITE_DOWN}.get(op.get_bind().dialect.name, ())
    for statement in statements:
        op.execute(statement)
