"""Search over the RAG documents CoE stored: lexical in the database, vectors optional, fused.

The service function every interface calls::

    from coe_framework.search import search
    page = search(session, "retry with backoff", k=10, filters={"repository": "flask"}, cursor=None)
    page.items        # [{id, score, text, metadata, highlights}, ...]
    page.next_cursor  # None on the last page
    page.explain      # which lexical engine and vector path ranked them

Bad input raises :class:`SearchError` (with the request ``field`` at fault).
Modules: ``tokenize`` (code-aware terms), ``lexical`` (one backend per
database), ``vectors`` (stored embeddings, exact scan), ``embedding``
(providers through ``coe_embed_documents``), ``indexing`` (filling the
index), ``service`` (the search itself); ``coe search`` is :mod:`coe_framework.cli.search`.
docs/search.md is the guide.
"""
from __future__ import annotations

from .service import FILTER_FIELDS, MAX_K, MAX_QUERY_CHARS, SearchError, SearchPage, search

__all__ = ["FILTER_FIELDS", "MAX_K", "MAX_QUERY_CHARS", "SearchError", "SearchPage", "search"]
