"""``POST /api/v1/rag-documents/search``: search the stored RAG documents.

The route is a thin mapping onto :func:`coe_framework.search.search`, the
same function the CLI and the original services' compatibility route call.
"""
from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from coe_framework.search import search

from ..auth import require
from ..database import db
from ..search_schemas import SearchIn, SearchPageOut
from .common import coe

bp = APIBlueprint("search", __name__, tag="Search")


@bp.post("/rag-documents/search")
@require("read")
@bp.doc(
    summary="Search RAG documents",
    description=(
        "Lexical search in the database (code-aware: `retryPolicy` is found by \"retry policy\"), fused with "
        "vector search by reciprocal rank fusion when embeddings exist. Filters: analysis, repository, commit, "
        "type, language, path_prefix. Page with `next_cursor`."
    ),
)
@bp.input(SearchIn, location="json", arg_name="body")
@bp.output(SearchPageOut)
def search_documents(body: SearchIn) -> Any:
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    page = search(db.session, body.query, k=body.k, filters=filters, cursor=body.cursor, manager=coe().manager)  # SearchError: a 422 naming the field
    out: dict[str, Any] = page.to_dict()
    if body.explain:
        out["explain"] = page.explain
    return out
