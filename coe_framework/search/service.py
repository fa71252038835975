"""Search over stored RAG documents: validation, lexical and vector retrieval, fusion, pages.

:func:`search` is the one entry point the CLI, the native API route and the
compatibility route call. It validates everything before touching the
database (query length, ``k``, filter names and types, the cursor), ranks
lexically in the database, adds the vector ranking when embeddings of the
query's model exist and a provider can embed the query, fuses both by
reciprocal rank fusion, and returns one page of hits, each document once
(the same stable id stored by two analyses of one commit is one hit: the
newest row).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db.models import RagDocument, Repository, RepositoryAnalysis, SearchIndexEntry
from ..db.store import Page
from ..errors import BadInput
from .embedding import embed_query
from .lexical import backend_for
from .tokenize import highlight_words, query_terms
from .vectors import exact_nearest, models

#: Longest query accepted, in characters (a question, not a document).
MAX_QUERY_CHARS = 1000
#: Largest page; deeper results are reached with the cursor.
MAX_K = 100
DEFAULT_K = 10
#: No page reaches past this rank: ranked lists are bounded, never a scan of everything.
MAX_DEPTH = 1000
#: A query term in more than this share of the documents is dropped when rarer terms remain.
COMMON_SHARE = 0.05
#: Reciprocal rank fusion constant (Cormack et al.): 60 damps the weight of the very first ranks.
RRF_K = 60
#: The filters a search accepts, and what each holds.
FILTER_FIELDS = {
    "analysis": "an analysis id (integer)",
    "repository": "a repository id, URL or name",
    "commit": "a commit SHA or a prefix of at least 4 hex digits",
    "type": "a document kind (code, docs, overview, git_summary, techspec, ...) or a list of kinds",
    "language": "a language name (python, javascript, ...)",
    "path_prefix": "the start of a file path (src/app/)",
}
_HEX = re.compile(r"^[0-9a-fA-F]{4,64}$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
_HIGHLIGHT_CHARS = 160
_MAX_HIGHLIGHTS = 3


class SearchError(BadInput, ValueError):
    """A search that cannot be run as asked; ``field`` names the part of the request at fault.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """

    field: str

    def __init__(self, field: str, message: str):
        super().__init__(message, field=field)


@dataclass(frozen=True)
class Filters:
    """Validated search filters."""

    analysis: int | None = None
    repository: int | str | None = None
    commit: str | None = None
    types: tuple[str, ...] = ()
    language: str | None = None
    path_prefix: str | None = None

    def canonical(self) -> dict[str, Any]:
        return {"analysis": self.analysis, "repository": self.repository, "commit": self.commit,
                "types": list(self.types), "language": self.language, "path_prefix": self.path_prefix}


@dataclass
class SearchPage(Page):
    """One page of hits (``items``, ``next_cursor``) and how they were found (``explain``)."""

    explain: dict[str, Any] = field(default_factory=dict)


def _short_text(name: str, value: Any, limit: int = 4096) -> str:
    if not isinstance(value, str) or not value.strip():
        raise SearchError(f"filters.{name}", f"filter '{name}' must be a non-empty string")
    if len(value) > limit or not value.isprintable():
        raise SearchError(f"filters.{name}", f"filter '{name}' must be at most {limit} printable characters")
    return value.strip()


def parse_filters(raw: Mapping[str, Any] | None) -> Filters:
    """Check filter names and values; :class:`SearchError` names the first bad one."""
    if raw is None:
        return Filters()
    if not isinstance(raw, Mapping):
        raise SearchError("filters", "filters must be an object")
    unknown = sorted(set(raw) - set(FILTER_FIELDS))
    if unknown:
        raise SearchError(f"filters.{unknown[0]}", f"unknown filter '{str(unknown[0])[:64]}' (known: {', '.join(FILTER_FIELDS)})")
    values = {k: v for k, v in raw.items() if v is not None}
    analysis = values.get("analysis")
    if analysis is not None and (isinstance(analysis, bool) or not isinstance(analysis, int) or not 0 < analysis < 2**63):
        raise SearchError("filters.analysis", "filter 'analysis' must be a positive integer")
    repository = values.get("repository")
    if repository is not None and not (isinstance(repository, int) and not isinstance(repository, bool) and repository > 0):
        repository = _short_text("repository", repository, 2048)
        if repository.isdigit():
            repository = int(repository)
    commit = values.get("commit")
    if commit is not None:
        commit = _short_text("commit", commit, 64)
        if not _HEX.match(commit):
            raise SearchError("filters.commit", "filter 'commit' must be 4 to 64 hex digits")
        commit = commit.lower()
    kinds = values.get("type", ())
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if not isinstance(kinds, (list, tuple)) or len(kinds) > 20 or not all(isinstance(k, str) and _KIND.match(k) for k in kinds):
        raise SearchError("filters.type", "filter 'type' must be a document kind or a list of at most 20 (lowercase letters, digits, _)")
    language = values.get("language")
    if language is not None:
        language = _short_text("language", language, 64).lower()
    prefix = values.get("path_prefix")
    if prefix is not None:
        prefix = _short_text("path_prefix", prefix)
    return Filters(analysis, repository, commit, tuple(dict.fromkeys(kinds)), language, prefix)


def parse_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= MAX_K:
        raise SearchError("k", f"k must be an integer from 1 to {MAX_K}")
    return k


def parse_query(query: Any) -> tuple[str, list[str]]:
    """The query text and its search terms; :class:`SearchError` when there is nothing to search."""
    if not isinstance(query, str) or not query.strip():
        raise SearchError("query", "the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError("query", f"the query is longer than {MAX_QUERY_CHARS} characters")
    terms = query_terms(query)
    if not terms:
        raise SearchError("query", "the query has no words to search for (letters or digits)")
    return query.strip(), terms


def _fingerprint(query: str, filters: Filters) -> str:
    raw = json.dumps([query, filters.canonical()], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def encode_cursor(offset: int, fingerprint: str) -> str:
    """An opaque cursor: the rank to continue from, bound to one query and its filters."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset, "q": fingerprint}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, fingerprint: str) -> int:
    if cursor is None or cursor == "":
        return 0
    try:
        if not isinstance(cursor, str) or len(cursor) > 200:
            raise ValueError
        data = json.loads(base64.urlsafe_b64decode((cursor + "=" * (-len(cursor) % 4)).encode()))
        offset = data["offset"]
        if not isinstance(offset, int) or not 0 <= offset < MAX_DEPTH or data["q"] != fingerprint:
            raise ValueError
        return offset
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise SearchError("cursor", "invalid cursor: use the next_cursor of the previous page of this same search") from None


def scope_conditions(filters: Filters) -> list[Any]:
    """Conditions on ``search_index`` for the filters."""
    conditions: list[Any] = []
    owners = select(RepositoryAnalysis.id)
    narrowed = False
    if filters.analysis is not None:
        owners, narrowed = owners.where(RepositoryAnalysis.request_id == filters.analysis), True
    if filters.repository is not None:
        repos = select(Repository.id)
        if isinstance(filters.repository, int):
            repos = repos.where(Repository.id == filters.repository)
        else:
            repos = repos.where((Repository.url == filters.repository) | (Repository.name == filters.repository))
        owners, narrowed = owners.where(RepositoryAnalysis.repository_id.in_(repos)), True
    if filters.commit is not None:
        column = RepositoryAnalysis.commit_sha
        owners = owners.where(column == filters.commit if len(filters.commit) == 40 else column.startswith(filters.commit, autoescape=True))
        narrowed = True
    if narrowed:
        conditions.append(SearchIndexEntry.repository_analysis_id.in_(owners))
    if filters.types:
        conditions.append(SearchIndexEntry.kind.in_(filters.types))
    if filters.language is not None:
        conditions.append(SearchIndexEntry.language == filters.language)
    if filters.path_prefix is not None:
        conditions.append(SearchIndexEntry.path.startswith(filters.path_prefix, autoescape=True))
    return conditions


def _newest_rows(session: Session, conditions: Sequence[Any], *, pks: Sequence[int] = (), document_ids: Sequence[str] = ()) -> dict[int, str]:
    """``{row pk: document id}`` for the newest row of each document among ``pks`` or ``document_ids`` in scope."""
    from ..db.engine import chunks

    found: dict[int, str] = {}
    if pks:
        for part in chunks(list(pks)):
            for pk, doc_id in session.execute(select(RagDocument.id, RagDocument.document_id).where(RagDocument.id.in_(part))):
                found[int(pk)] = str(doc_id)
        return found
    for id_part in chunks(list(document_ids)):
        query = (
            select(func.max(SearchIndexEntry.document_pk), RagDocument.document_id)
            .join(RagDocument, RagDocument.id == SearchIndexEntry.document_pk)
            .where(RagDocument.document_id.in_(id_part), *conditions)
            .group_by(RagDocument.document_id)
        )
        for pk, doc_id in session.execute(query):
            found[int(pk)] = str(doc_id)
    return found


def _allowed_documents(session: Session, conditions: Sequence[Any]) -> set[str] | None:
    """Document ids within the filters (None without filters: everything is allowed)."""
    if not conditions:
        return None
    query = select(RagDocument.document_id).join(SearchIndexEntry, SearchIndexEntry.document_pk == RagDocument.id).where(*conditions)
    return set(session.scalars(query.distinct()))


def lexical_ranking(session: Session, terms: Sequence[str], conditions: Sequence[Any], depth: int) -> tuple[list[tuple[str, int, float]], str, list[str]]:
    """The database's ranking: ``([(document id, row pk, score)], engine, terms searched)``, best first."""
    backend = backend_for(session)
    # Extra rows: several analyses of one commit repeat a document, and each is kept once.
    limit = min(depth * 2 + 10, MAX_DEPTH * 2)
    # A term in most documents adds almost nothing to BM25 but makes every document a match
    # to rank: with rarer terms beside it, it is left out.
    common = backend.common_terms(session, terms, COMMON_SHARE) if len(terms) > 1 else set()
    if common and len(common) < len(terms):
        terms = [t for t in terms if t not in common]
    # Documents holding every term first: BM25 puts them on top anyway, and ranking only them
    # keeps a query with one very common word from ranking the whole corpus. Too few: any term.
    hits = backend.search(session, terms, conditions, limit, every=True) if len(terms) > 1 else []
    if len(hits) < limit:
        hits = backend.search(session, terms, conditions, limit)
    ids = _newest_rows(session, conditions, pks=[pk for pk, _ in hits])
    ranked: dict[str, tuple[str, int, float]] = {}
    for pk, score in hits:
        doc_id = ids.get(pk)
        if doc_id is None:
            continue
        kept = ranked.get(doc_id)
        if kept is None or (score == kept[2] and pk > kept[1]):
            ranked[doc_id] = (doc_id, pk, score)
    return list(ranked.values())[:depth], backend.description, list(terms)


def vector_ranking(session: Session, manager: Any, query: str, conditions: Sequence[Any], depth: int) -> tuple[list[tuple[str, int, float]], dict[str, Any]]:
    """The embeddings' ranking: ``([(document id, row pk, cosine)], what was used)``; empty without vectors."""
    stored = models(session)
    if not stored:
        return [], {"path": None, "reason": "no document has an embedding"}
    model, vector, problem = embed_query(manager, query)
    if vector is None:
        return [], {"path": None, "reason": problem}
    if model not in stored:
        return [], {"path": None, "reason": f"no document has an embedding from {model} (stored: {', '.join(stored)})"}
    from .vectors import EXACT_SCAN

    allowed = _allowed_documents(session, conditions)
    nearest = exact_nearest(session, model, vector, depth, allowed)
    pks = _newest_rows(session, conditions, document_ids=[d for d, _ in nearest])
    by_doc = {doc_id: pk for pk, doc_id in pks.items()}
    hits = [(d, by_doc[d], s) for d, s in nearest if d in by_doc]
    return hits, {"path": EXACT_SCAN, "model": model, "dimension": len(vector)}


def fuse(*rankings: Sequence[tuple[str, int, float]]) -> list[tuple[str, int, float]]:
    """Reciprocal rank fusion: each list adds ``1 / (RRF_K + rank)`` to a document's score."""
    scores: dict[str, float] = {}
    rows: dict[str, int] = {}
    for ranking in rankings:
        for rank, (doc_id, pk, _score) in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + 1.0 / (RRF_K + rank)
            rows[doc_id] = max(rows.get(doc_id, 0), pk)
    order = sorted(scores, key=lambda d: (-scores[d], d))
    return [(d, rows[d], scores[d]) for d in order]


def highlights(text: str, terms: Sequence[str]) -> list[dict[str, Any]]:
    """Up to three fragments of ``text`` around the query's terms, each with the matched spans."""
    if not terms:
        return []
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    fragments: list[dict[str, Any]] = []
    covered_to = -1
    for match in pattern.finditer(text):
        if match.start() < covered_to:
            continue
        start = max(0, match.start() - _HIGHLIGHT_CHARS // 3)
        end = min(len(text), start + _HIGHLIGHT_CHARS)
        fragment = text[start:end]
        spans = [[m.start(), m.end()] for m in pattern.finditer(fragment)]
        fragments.append({"fragment": fragment, "offset": start, "matches": spans})
        covered_to = end
        if len(fragments) >= _MAX_HIGHLIGHTS:
            break
    return fragments


def _hits(session: Session, ranked: Sequence[tuple[str, int, float]], terms: Sequence[str]) -> list[dict[str, Any]]:
    pks = [pk for _, pk, _ in ranked]
    rows = {
        row.id: (row, request_id)
        for row, request_id in session.execute(
            select(RagDocument, RepositoryAnalysis.request_id)
            .join(RepositoryAnalysis, RepositoryAnalysis.id == RagDocument.repository_analysis_id)
            .where(RagDocument.id.in_(pks))
        )
    }
    items = []
    for doc_id, pk, score in ranked:
        if pk not in rows:
            continue
        row, request_id = rows[pk]
        metadata = {k: v for k, v in dict(row.meta or {}).items() if k != "embedding"}
        items.append({
            "id": doc_id,
            "score": round(score, 6),
            "text": row.text,
            "metadata": {**metadata, "analysis_id": request_id, "repository_analysis_id": row.repository_analysis_id},
            "highlights": highlights(row.text, terms),
        })
    return items


def search(
    session: Session,
    query: Any,
    *,
    k: Any = DEFAULT_K,
    filters: Mapping[str, Any] | None = None,
    cursor: str | None = None,
    manager: Any = None,
) -> SearchPage:
    """One page of the documents that best answer ``query``.

    ``session`` is any SQLAlchemy session on a CoE database (the CLI's unit
    of work, the web app's ``db.session``); ``filters`` may hold the keys of
    :data:`FILTER_FIELDS`; ``cursor`` is the previous page's ``next_cursor``;
    ``manager`` is the plugin manager whose ``coe_embed_documents`` providers
    embed the query (None: lexical only). Hits are
    ``{id, score, text, metadata, highlights}``; ``explain`` tells which
    paths ranked them. Raises :class:`SearchError` (``field`` and one line)
    for a request that cannot run; never a database error for bad input.
    """
    text, terms = parse_query(query)
    size = parse_k(k)
    parsed = parse_filters(filters)
    fingerprint = _fingerprint(text, parsed)
    offset = decode_cursor(cursor, fingerprint)
    depth = min(offset + size, MAX_DEPTH)
    conditions = scope_conditions(parsed)
    lexical, lexical_path, searched = lexical_ranking(session, terms, conditions, depth + 1)
    vector_hits: list[tuple[str, int, float]] = []
    vector_info: dict[str, Any] = {"path": None, "reason": "no embedding provider configured"}
    if manager is not None:
        vector_hits, vector_info = vector_ranking(session, manager, text, conditions, depth + 1)
    if vector_hits:
        ranked, fusion = fuse(lexical, vector_hits), f"reciprocal rank fusion (k={RRF_K})"
    else:
        ranked, fusion = lexical, "lexical only"
    page = ranked[offset : offset + size]
    more = len(ranked) > offset + size and offset + size < MAX_DEPTH
    explain = {
        "terms": list(terms),
        "lexical": {"path": lexical_path, "terms": searched, "candidates": len(lexical)},
        "vector": {**vector_info, "candidates": len(vector_hits)},
        "fusion": fusion,
        "filters": {k: v for k, v in parsed.canonical().items() if v not in (None, [])},
    }
    return SearchPage(_hits(session, page, highlight_words(text)), encode_cursor(offset + size, fingerprint) if more else None, explain)
