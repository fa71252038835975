"""Code-aware terms for indexing and for queries.

Identifiers are split where a programmer sees words: ``retryPolicy``,
``RetryPolicy``, ``retry_policy`` and ``RETRY_POLICY`` all give ``retry`` and
``policy``, plus the joined whole ``retrypolicy`` so the exact identifier
still ranks first. Paths split on their separators (``src/app/blueprints.py``
gives ``src``, ``app``, ``blueprints``, ``py``). Indexed text and queries go
through the same function, so every database's full-text engine sees the
same terms; the engines then only lower-case, stem and rank.

Query terms are letters and digits only, so no query can carry full-text
operator syntax (``"``, ``*``, ``NEAR``, ``-``) or SQL into the database.
"""
from __future__ import annotations

import re
from typing import Iterator

#: A run of letters, digits and underscores (an identifier, a word, a number).
_RUN = re.compile(r"[^\W_]+(?:_+[^\W_]+)*", re.UNICODE)
#: Word boundaries inside one identifier: HTTPServer -> HTTP, Server; utf8Decode -> utf, 8, Decode.
_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+|[^\W\d_A-Za-z]+", re.UNICODE)
#: Terms longer than this are noise (hashes, minified code) and are dropped.
MAX_TERM_CHARS = 64
#: Words that carry no meaning in a question about code ("where are blueprints registered").
QUERY_STOPWORDS = frozenset(
    "a an and are as at be by can do does for from how i in is it its of on or the this that to was what when "
    "where which who why will with use used uses using".split()
)
#: A query keeps at most this many distinct terms (longer questions do not make better searches).
MAX_QUERY_TERMS = 32


def identifier_parts(run: str) -> list[str]:
    """The lower-case words of one identifier (``getHTTPResponse_code`` -> get, http, response, code)."""
    parts: list[str] = []
    for piece in run.split("_"):
        parts.extend(match.group(0).lower() for match in _PART.finditer(piece))
    return [p for p in parts if p]


def terms(text: str) -> Iterator[str]:
    """Every term of ``text`` in order: each word, and for a compound identifier its parts too."""
    for match in _RUN.finditer(text):
        run = match.group(0)
        parts = identifier_parts(run)
        if len(parts) > 1:
            whole = "".join(parts)
            if len(whole) <= MAX_TERM_CHARS:
                yield whole
        for part in parts:
            if len(part) <= MAX_TERM_CHARS:
                yield part


def index_text(text: str) -> str:
    """``text`` as the space-separated terms the full-text engines index."""
    return " ".join(terms(text))


def query_terms(query: str) -> list[str]:
    """The distinct, meaningful terms of a query, in order, at most :data:`MAX_QUERY_TERMS`.

    Stopwords are dropped unless nothing else is left (a search for "the"
    still searches).
    """
    seen: dict[str, None] = {}
    for term in terms(query):
        seen.setdefault(term, None)
    found = list(seen)
    meaningful = [t for t in found if t not in QUERY_STOPWORDS]
    return (meaningful or found)[:MAX_QUERY_TERMS]
