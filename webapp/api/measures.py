"""Measures and quality gates: ``/api/v1/measures``, ``/api/v1/repositories/{id}/measures``,
``/api/v1/analyses/{id}/gate``."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from apiflask import APIBlueprint

from coe_framework.db.engine import unit_of_work
from coe_framework.gate.storage import gates_of
from coe_framework.measures import catalogue
from coe_framework.measures.queries import trend_page

from ..auth import require
from ..measure_schemas import GateListOut, MeasureCatalogueOut, MeasurePage, MeasureQuery
from ..pagination import invalid_query, page_response
from .common import coe, not_found, store

bp = APIBlueprint("measures", __name__, tag="Measures")


def _since(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise invalid_query("since", "expected an ISO 8601 date or date and time, such as 2024-01-31 or 2024-01-31T12:00:00Z") from None
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


@bp.get("/measures")
@require("read")
@bp.doc(summary="Declared measures", description="Every measure the installed plugins declare, with the analyzer it comes from.")
@bp.output(MeasureCatalogueOut)
def list_measures() -> Any:
    return {"items": [m.describe() for m in catalogue(coe().manager).measures.values()]}


@bp.get("/repositories/<int:repository_id>/measures")
@require("read")
@bp.doc(summary="A repository's measures over time",
        description="Stored measures, newest commit first; `key` keeps one measure, `since` commits dated at or after it.")
@bp.input(MeasureQuery, location="query", arg_name="query")
@bp.output(MeasurePage)
def repository_measures(repository_id: int, query: MeasureQuery) -> Any:
    if store().get_repository(repository_id) is None:
        raise not_found(f"repository {repository_id}")
    if query.key is not None:
        declared = catalogue(coe().manager).get(query.key)
        if declared is None or declared.needs_baseline:
            raise invalid_query("key", f"unknown measure '{query.key}'; GET /api/v1/measures lists them")
    since = _since(query.since)
    with unit_of_work(store().engine) as session:  # a bad cursor is a PageError: a 422 naming it
        page = trend_page(session, repository_id, key=query.key, since=since, limit=query.limit, cursor=query.cursor)
    return page_response(page, query.limit)


@bp.get("/analyses/<int:analysis_id>/gate")
@require("read")
@bp.doc(summary="An analysis' quality gate", description="The newest gate `coe gate` evaluated on the analysis, and every earlier one.")
@bp.output(GateListOut)
def analysis_gate(analysis_id: int) -> Any:
    if store().get_analysis(analysis_id) is None:
        raise not_found(f"analysis {analysis_id}")
    with unit_of_work(store().engine) as session:
        gates = gates_of(session, analysis_id)
    if not gates:
        raise not_found(f"a quality gate of analysis {analysis_id}")
    return {"latest": gates[0], "items": gates}
