"""Code-aware terms for indexing and for queries.

Identifiers are split where a programmer sees words: ``retryPolicy``,
``RetryPolicy``, ``retry_policy`` and ``RETRY_POLICY`` all give ``retry`` and
``policy``, plus the joined whole ``retrypolicy`` so the exact identifier
still ranks first. Paths split on their separators (``src/app/blueprints.py``
gives ``src``, ``app``, ``blueprints``, ``py``). Indexed text and queries go
through the same function, so every database's full-text engine sees the
same terms; words are stemmed here too (Snowball English: ``registered``
and ``registers`` give ``regist``), so the engines only index and rank, and
the term a query asks for is exactly the term a document was indexed with.

Query terms are letters and digits only, so no query can carry full-text
operator syntax (``"``, ``*``, ``NEAR``, ``-``) or SQL into the database.
"""
from __future__ import annotations

import functools
import re
from typing import Iterator

import snowballstemmer

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


#: snowballstemmer hands out PyStemmer's C implementation of the same algorithm when it is
#: installed (a dependency): the same stems in a twentieth of the time, which was a third of indexing.
_stemmer = snowballstemmer.stemmer("english")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball English stem of a lower-case word (digits and short words unchanged)."""
    return word if len(word) < 4 or not word.isalpha() else _stemmer.stemWord(word)


def identifier_parts(run: str) -> list[str]:
    """The lower-case words of one identifier (``getHTTPResponse_code`` -> get, http, response, code)."""
    parts: list[str] = []
    for piece in run.split("_"):
        parts.extend(match.group(0).lower() for match in _PART.finditer(piece))
    return [p for p in parts if p]


@functools.lru_cache(maxsize=262144)
def run_terms(run: str) -> tuple[str, ...]:
    """The terms of one identifier or word: the joined whole (when compound), then each part, stemmed.

    Cached: code repeats its identifiers, so indexing mostly looks them up.
    """
    parts = identifier_parts(run)
    out: list[str] = []
    if len(parts) > 1:
        whole = "".join(parts)
        if len(whole) <= MAX_TERM_CHARS:
            out.append(whole)
    out.extend(stem(part) for part in parts if len(part) <= MAX_TERM_CHARS)
    return tuple(out)


@functools.lru_cache(maxsize=262144)
def _run_text(run: str) -> str:
    return " ".join(run_terms(run))


def terms(text: str) -> Iterator[str]:
    """Every term of ``text`` in order: each word, and for a compound identifier its parts too."""
    for run in _RUN.findall(text):
        yield from run_terms(run)


def index_text(text: str) -> str:
    """``text`` as the space-separated terms the full-text engines index."""
    return " ".join(filter(None, map(_run_text, _RUN.findall(text))))


def query_terms(query: str) -> list[str]:
    """The distinct, meaningful terms of a query, in order, at most :data:`MAX_QUERY_TERMS`.

    Stopwords are dropped unless nothing else is left (a search for "the"
    still searches).
    """
    seen: dict[str, bool] = {}
    for match in _RUN.finditer(query):
        run = match.group(0)
        stop = run.lower() in QUERY_STOPWORDS
        for term in terms(run):
            seen[term] = seen.get(term, True) and stop
    found = list(seen)
    meaningful = [t for t in found if not seen[t]]
    return (meaningful or found)[:MAX_QUERY_TERMS]


def highlight_words(query: str) -> list[str]:
    """The query's words as written (lower-case, unstemmed, no stopwords), to find in a document's text."""
    words: dict[str, None] = {}
    for match in _RUN.finditer(query):
        if match.group(0).lower() in QUERY_STOPWORDS:
            continue
        for part in identifier_parts(match.group(0)):
            if len(part) > 1 or part.isdigit():
                words.setdefault(part, None)
    return list(words)[:MAX_QUERY_TERMS]
