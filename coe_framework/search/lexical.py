"""Lexical search in the database itself, one small backend per dialect.

Every backend ranks the rows of ``search_index`` that match all (or, when
asked, any) of the query's terms (already code-aware, letters and digits only, see
:mod:`coe_framework.search.tokenize`) and returns ``(document_pk, score)``
pairs, best first, a higher score being better. Names (path, symbol,
headings) weigh more than body text:

* SQLite: FTS5 ``bm25()`` with column weights;
* PostgreSQL: ``ts_rank`` over a ``tsvector`` whose names are weighted A and
  body D (PostgreSQL's own ranking; it has no BM25);
* MariaDB: ``MATCH ... AGAINST`` in natural language mode per field, the names
  score multiplied by the names weight.

A backend for another database implements :class:`LexicalBackend` and is
added to :data:`BACKENDS` under its dialect name. Rows reach ``search_index``
only through :mod:`coe_framework.search.indexing`, which calls the backend's
``added`` after each batch (SQLite fills FTS5 there).
"""
from __future__ import annotations

from typing import Any, Protocol, Sequence

from sqlalchemy import Float, bindparam, column, func, literal_column, or_, select, table, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnClause

from ..db.models import SearchIndexEntry

#: At most this many matches are ranked, the newest: a query of words found in nearly every
#: document (ranking them all costs a scan of the corpus) stays bounded, never slow. Ranking
#: costs about 1.5 µs a term and match on SQLite and 6 µs a match on PostgreSQL
#: (docs/benchmarks.md), so 2,000 keeps the worst query near 10 ms of CPU.
MAX_RANKED = 2_000
#: How much more a match in names counts than one in body text.
NAMES_WEIGHT = 8.0
BODY_WEIGHT = 1.0

#: Objects revision 0007 creates outside the models, per dialect; the schema
#: comparison (``coe_migrate.migrate.compare_schema``) leaves exactly these out.
DIALECT_OBJECTS = frozenset({
    # SQLite: the FTS5 table and the shadow tables FTS5 makes for it.
    "search_fts", "search_fts_data", "search_fts_idx", "search_fts_docsize", "search_fts_config", "search_fts_content",
    "search_fts_vocab",
    # PostgreSQL: the generated tsvector column and its GIN index.
    "terms", "ix_search_index_terms",
    # MariaDB: the FULLTEXT indexes.
    "ix_search_index_names_fulltext", "ix_search_index_body_fulltext",
})


class LexicalBackend(Protocol):
    """One database's full-text engine over ``search_index``."""

    #: Shown by ``coe search --explain``.
    description: str

    def common_terms(self, session: Session, terms: Sequence[str], share: float) -> set[str]:
        """Which of ``terms`` occur in more than ``share`` of the indexed documents (as far as known cheaply)."""
        ...

    def search(self, session: Session, terms: Sequence[str], conditions: Sequence[Any], limit: int, *, every: bool = False) -> list[tuple[int, float]]:
        """The best ``limit`` rows matching any of ``terms`` (``every``: all of them) and every condition."""
        ...

    def added(self, session: Session, pks: Sequence[int]) -> None:
        """Bring the engine in step with the ``search_index`` rows ``pks`` just inserted (one batch)."""
        ...


def _rows(session: Session, query: Any) -> list[tuple[int, float]]:
    return [(int(pk), float(score)) for pk, score in session.execute(query)]


class SqliteFts5:
    """SQLite: FTS5 over ``search_index`` (external content), BM25 with column weights."""

    description = f"SQLite FTS5, bm25 (names weight {NAMES_WEIGHT:g}, body {BODY_WEIGHT:g})"

    def added(self, session: Session, pks: Sequence[int]) -> None:
        # One statement per batch: a trigger inserting row by row cost three times as much
        # (revision 0013 dropped it; deletions and updates keep theirs).
        session.execute(text(
            "INSERT INTO search_fts(rowid, names, body) SELECT document_pk, names, body FROM search_index "
            "WHERE document_pk IN :pks").bindparams(bindparam("pks", list(pks), expanding=True)))

    def common_terms(self, session: Session, terms: Sequence[str], share: float) -> set[str]:
        # fts5vocab would walk a term's whole document list to count it (10 ms for three frequent
        # terms over 100,000 documents); counting matches only up to the threshold stops early.
        total = session.scalar(text("SELECT count(*) FROM search_fts_docsize")) or 0
        if not total:
            return set()
        threshold = int(share * total)
        counted = text("SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :term LIMIT :over)")
        return {term for term in terms if (session.scalar(counted, {"term": f'"{term}"', "over": threshold + 1}) or 0) > threshold}

    def search(self, session: Session, terms: Sequence[str], conditions: Sequence[Any], limit: int, *, every: bool = False) -> list[tuple[int, float]]:
        # Each term is quoted: letters and digits only, so this is a phrase of one token each.
        match = (" AND " if every else " OR ").join(f'"{term}"' for term in terms)
        rank = literal_column(f"bm25(search_fts, {NAMES_WEIGHT}, {BODY_WEIGHT})", Float)
        fts = table("search_fts", column("rowid"))
        matching = text("search_fts MATCH :match").bindparams(match=match)
        # Without filters the whole query stays inside FTS5: no row of search_index is read
        # before the limit (a join per match doubled the cost). With filters, each match is
        # joined to its index row, and the newest matches are counted within the filters.
        scoped = (
            select(fts.c.rowid).select_from(fts).join(SearchIndexEntry, SearchIndexEntry.document_pk == fts.c.rowid)
            if conditions else select(fts.c.rowid).select_from(fts)
        ).where(matching, *conditions)
        newest = scoped.order_by(fts.c.rowid.desc()).limit(MAX_RANKED).subquery()
        floor = select(func.coalesce(func.min(newest.c.rowid), 0)).scalar_subquery()
        query = (
            scoped.with_only_columns(fts.c.rowid, (-rank).label("score"))
            .where(fts.c.rowid >= floor)
            .order_by(rank, fts.c.rowid.desc())  # ties: newest first, the same order every time
            .limit(limit)
        )
        return _rows(session, query)


class PostgresTsvector:
    """PostgreSQL: the generated ``terms`` tsvector (GIN index), ``ts_rank`` with weights."""

    description = "PostgreSQL tsvector (GIN), ts_rank (names weight A, body D)"

    def added(self, session: Session, pks: Sequence[int]) -> None:
        pass  # the generated column and its GIN index follow every insert

    def common_terms(self, session: Session, terms: Sequence[str], share: float) -> set[str]:
        # ANALYZE keeps the most common lexemes of a tsvector column with their frequencies.
        row = session.execute(text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats "
            "WHERE tablename = 'search_index' AND attname = 'terms' AND schemaname = current_schema()"
        )).first()
        if row is None or row[0] is None:
            return set()
        frequency = dict(zip(row[0], row[1]))
        return {term for term in terms if frequency.get(term, 0.0) > share}

    def search(self, session: Session, terms: Sequence[str], conditions: Sequence[Any], limit: int, *, every: bool = False) -> list[tuple[int, float]]:
        joined = (" & " if every else " | ").join(terms)
        # Rendered into the statement (terms are letters and digits only): a prepared statement
        # would get a generic plan blind to how common the terms are, walking the whole primary
        # key for rare ones.
        query_vector = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("tsquery", joined, literal_execute=True))
        terms_column: ColumnClause[Any] = literal_column("search_index.terms")
        weights: ColumnClause[Any] = literal_column(f"'{{{BODY_WEIGHT / NAMES_WEIGHT}, 0.2, 0.4, 1.0}}'::float4[]")
        # The newest matches by id alone (a sort of ids, not of their 2 kB term vectors: a third
        # of the time), then each one's row read once to rank it, its terms kept in the row since
        # revision 0013 (no TOAST fetch). The LIMIT keeps the subquery apart, so the planner picks
        # the GIN index or a backward walk of the primary key by the terms' statistics.
        newest = (
            select(SearchIndexEntry.document_pk)
            .where(terms_column.op("@@")(query_vector), *conditions)
            .order_by(SearchIndexEntry.document_pk.desc())
            .limit(MAX_RANKED)
            .subquery("newest")
        )
        rank = func.ts_rank(weights, terms_column, query_vector, type_=Float)
        query = (
            select(SearchIndexEntry.document_pk, rank.label("score"))
            .join(newest, newest.c.document_pk == SearchIndexEntry.document_pk)
            .order_by(rank.desc(), SearchIndexEntry.document_pk.desc())
            .limit(limit)
        )
        return _rows(session, query)


class MariadbFulltext:
    """MariaDB: InnoDB FULLTEXT per field, natural language mode, names weighted."""

    description = f"MariaDB FULLTEXT, natural language relevance (names weight {NAMES_WEIGHT:g})"

    def added(self, session: Session, pks: Sequence[int]) -> None:
        pass  # InnoDB maintains FULLTEXT indexes itself

    def common_terms(self, session: Session, terms: Sequence[str], share: float) -> set[str]:
        return set()  # natural language mode already discounts terms found in most rows

    def search(self, session: Session, terms: Sequence[str], conditions: Sequence[Any], limit: int, *, every: bool = False) -> list[tuple[int, float]]:
        from sqlalchemy.dialects.mysql import match

        if every:  # boolean mode: each term required (terms are letters and digits only)
            phrase = " ".join(f"+{term}" for term in terms)
            names = match(SearchIndexEntry.names.expression, against=phrase).in_boolean_mode()
            body = match(SearchIndexEntry.body.expression, against=phrase).in_boolean_mode()
        else:
            phrase = " ".join(terms)
            names = match(SearchIndexEntry.names.expression, against=phrase).in_natural_language_mode()
            body = match(SearchIndexEntry.body.expression, against=phrase).in_natural_language_mode()
        score = (names * NAMES_WEIGHT + body * BODY_WEIGHT).label("score")
        # The same bound as the other databases: the newest matches within the filters, then
        # ranked, so one query finds the same documents on every database.
        newest = (
            select(SearchIndexEntry.document_pk)
            .where(or_(names > 0, body > 0), *conditions)
            .order_by(SearchIndexEntry.document_pk.desc())
            .limit(MAX_RANKED)
            .subquery("newest")
        )
        query = (
            select(SearchIndexEntry.document_pk, score)
            .join(newest, newest.c.document_pk == SearchIndexEntry.document_pk)
            .order_by(score.desc(), SearchIndexEntry.document_pk.desc())
            .limit(limit)
        )
        return _rows(session, query)


#: The backend of each dialect name.
BACKENDS: dict[str, LexicalBackend] = {
    "sqlite": SqliteFts5(),
    "postgresql": PostgresTsvector(),
    "mariadb": MariadbFulltext(),
    "mysql": MariadbFulltext(),
}


class UnsupportedDatabase(LookupError):
    """No lexical backend exists for this database."""


def backend_for(session: Session) -> LexicalBackend:
    """The backend of the session's database."""
    name = session.get_bind().dialect.name
    try:
        return BACKENDS[name]
    except KeyError:
        raise UnsupportedDatabase(f"search does not support the {name} database") from None
