"""Exports of one analysis: RAG documents, correlations, SARIF, CycloneDX SBOM, Markdown report.

The documents and correlations are what the analysis stored; SARIF, the SBOM
and the report are rendered from its stored results on each request and carry
a content ETag, so a client that already has them gets a 304.
"""
from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint
from flask import Response

from ..auth import require
from ..database import db
from ..pagination import page_response
from ..problems import Problem
from ..schemas import CorrelationsOut, RagDocumentPage, RagDocumentQuery, SbomQuery, ThresholdQuery
from .common import cached_json_response, json_bytes, not_found, store_errors, strong_etag

bp = APIBlueprint("exports", __name__, tag="Exports")

SARIF_MEDIA_TYPE = "application/sarif+json"
CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json"
MARKDOWN_MEDIA_TYPE = "text/markdown"


def _document(body: bytes, media_type: str) -> Response:
    response = cached_json_response(body, strong_etag(body))
    if response.status_code == 200:
        response.mimetype = media_type
    return response


def _raw_response(media_type: str, description: str) -> dict[int, Any]:
    schema = {"type": "string"} if media_type.startswith("text/") else {"type": "object"}
    return {
        200: {"description": description, "content": {media_type: {"schema": schema}}},
        304: "Not modified (If-None-Match matched)",
    }


@bp.get("/analyses/<int:analysis_id>/rag-documents")
@require("read")
@bp.doc(summary="RAG documents of an analysis", description="Newest first; filter by kind and by file path. Records load as LangChain and LlamaIndex documents.")
@bp.input(RagDocumentQuery, location="query", arg_name="query")
@bp.output(RagDocumentPage)
def rag_documents(analysis_id: int, query: RagDocumentQuery) -> Any:
    from coe_framework.outputs.rag.storage import list_documents

    with store_errors(analysis_id):
        page = list_documents(db.session, analysis_id, kind=query.kind, path=query.path, after=query.cursor, limit=query.limit)
    return page_response(page, query.limit)


@bp.get("/analyses/<int:analysis_id>/correlations")
@require("read")
@bp.doc(summary="Correlations of an analysis", description="Pairs of its repositories, most similar first, each repository named: shared dependencies (with version drift), shared contributors, similarity scores.")
@bp.output(CorrelationsOut)
def correlations(analysis_id: int) -> Any:
    from coe_framework.insights import correlations_for

    with store_errors(analysis_id):
        items = correlations_for(db.session, analysis_id)
    return {"analysis_id": analysis_id, "items": items}


@bp.get("/analyses/<int:analysis_id>/sarif")
@require("read")
@bp.doc(summary="Complexity findings as SARIF 2.1.0", description="Functions above the threshold, for code-scanning tools.",
        responses=_raw_response(SARIF_MEDIA_TYPE, "A SARIF 2.1.0 log"))
@bp.input(ThresholdQuery, location="query", arg_name="query")
def sarif(analysis_id: int, query: ThresholdQuery) -> Response:
    from coe_framework.outputs.sarif import sarif_for

    with store_errors(analysis_id):
        log = sarif_for(db.session, analysis_id, query.threshold)
    return _document(json_bytes(log), SARIF_MEDIA_TYPE)


@bp.get("/analyses/<int:analysis_id>/sbom")
@require("read")
@bp.doc(summary="CycloneDX SBOM of a repository", description="From the techspec result, with the known vulnerabilities matched to its dependencies; name the repository when the analysis has several.",
        responses={**_raw_response(CYCLONEDX_MEDIA_TYPE, "A CycloneDX 1.6 JSON document"), 409: "The analysis has several repositories; name one"})
@bp.input(SbomQuery, location="query", arg_name="query")
def sbom(analysis_id: int, query: SbomQuery) -> Response:
    from coe_framework.outputs.stored_analysis import load_analysis
    from coe_plugins.techspec.sbom import build_sbom

    with store_errors(analysis_id):
        analysis = load_analysis(db.session, analysis_id)
    candidates = [r for r in analysis.repositories if query.repository in (None, r.repository_id)]
    if not candidates:
        raise not_found(f"repository {query.repository} in analysis {analysis_id}")
    if len(candidates) > 1:
        choices = ", ".join(str(r.repository_id) for r in candidates)
        raise Problem(409, f"analysis {analysis_id} has several repositories; pass ?repository= one of {choices}")
    repository = candidates[0]
    result = repository.results.get("techspec")
    if result is None:
        raise Problem(404, f"analysis {analysis_id} has no succeeded techspec result for {repository.name}")
    from coe_framework.vulns.queries import hits_by_analysis

    hits = hits_by_analysis(db.session, [repository.repository_analysis_id])[repository.repository_analysis_id]
    document = build_sbom(result, {"name": repository.name, "url": repository.url, "commit": repository.commit,
                                   "analyzed_at": analysis.finished_at or analysis.created_at}, hits)
    return _document(json_bytes(document), CYCLONEDX_MEDIA_TYPE)


@bp.get("/analyses/<int:analysis_id>/report")
@require("read")
@bp.doc(summary="Markdown report", description="Stack, code, history and correlations of the analysis in one Markdown document.",
        responses=_raw_response(MARKDOWN_MEDIA_TYPE, "A Markdown document"))
@bp.input(ThresholdQuery, location="query", arg_name="query")
def report(analysis_id: int, query: ThresholdQuery) -> Response:
    from coe_framework.outputs.report import report_for

    with store_errors(analysis_id):
        text = report_for(db.session, analysis_id, query.threshold)
    response = _document(text.encode("utf-8"), MARKDOWN_MEDIA_TYPE)
    if response.status_code == 200:
        response.headers["Content-Type"] = f"{MARKDOWN_MEDIA_TYPE}; charset=utf-8"
    return response
