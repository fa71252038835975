"""``/api/v1/repositories``: what has been analyzed, its analyses and latest results."""
from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from ..auth import require
from ..pagination import page_response
from ..schemas import LatestResultsOut, PageQuery, RepositoryAnalysisPage, RepositoryListQuery, RepositoryOut, RepositoryPage
from .common import not_found, result_out, store, store_errors

bp = APIBlueprint("repositories", __name__, tag="Repositories")


def _repository(repository_id: int) -> dict[str, Any]:
    found = store().get_repository(repository_id)
    if found is None:
        raise not_found(f"repository {repository_id}")
    return found


@bp.get("/repositories")
@require("read")
@bp.doc(summary="List repositories", description="Newest first; `name` filters by exact name.")
@bp.input(RepositoryListQuery, location="query", arg_name="query")
@bp.output(RepositoryPage)
def list_repositories(query: RepositoryListQuery) -> Any:
    with store_errors():
        page = store().list_repositories(limit=query.limit, cursor=query.cursor, name=query.name)
    return page_response(page, query.limit)


@bp.get("/repositories/<int:repository_id>")
@require("read")
@bp.doc(summary="One repository")
@bp.output(RepositoryOut)
def get_repository(repository_id: int) -> Any:
    return _repository(repository_id)


@bp.get("/repositories/<int:repository_id>/analyses")
@require("read")
@bp.doc(summary="A repository's analyses", description="One entry per analysis that included it, newest first, with its commit and status.")
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(RepositoryAnalysisPage)
def repository_analyses(repository_id: int, query: PageQuery) -> Any:
    _repository(repository_id)
    with store_errors():
        page = store().repository_analyses(repository_id, limit=query.limit, cursor=query.cursor)
    return page_response(page, query.limit)


@bp.get("/repositories/<int:repository_id>/results/latest")
@require("read")
@bp.doc(summary="A repository's latest results", description="The newest succeeded result of each analyzer.")
@bp.output(LatestResultsOut)
def latest_results(repository_id: int) -> Any:
    repository = _repository(repository_id)
    results = store().latest_results(repository_id)
    return {"repository": repository, "results": [result_out(r) for r in results]}
