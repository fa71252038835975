"""Exports of one analysis: RAG documents, correlations, and every registered export format.

The documents and correlations are what the analysis stored. Export formats
(SARIF, the Markdown report, the CycloneDX SBOM, RAG JSON Lines, and any a
plugin registers through ``coe_register_export_formats``) are looked up in
the registry by name and rendered from the stored results on each request;
each response carries a content ETag, so a client that already has it gets
a 304. ``/sarif``, ``/sbom`` and ``/report`` are the ``sarif``, ``cyclonedx``
and ``markdown`` formats under their own routes.
"""
from __future__ import annotations

from typing import Any, Mapping

from apiflask import APIBlueprint
from flask import Response, request

from ..auth import require
from ..database import db
from ..export_schemas import ExportFormatsOut
from ..pagination import invalid_query, page_response
from ..problems import Problem
from ..schemas import CorrelationsOut, RagDocumentPage, RagDocumentQuery, SbomQuery, ThresholdQuery
from .common import cached_json_response, coe, json_bytes, not_found, store_errors, strong_etag

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


def export_response(name: str, analysis_id: int, options: Mapping[str, Any]) -> Response:
    """Format ``name`` of the analysis as a response: 404 for an unknown format, analysis,
    repository or result, 409 when a per-repository format needs a repository named, 422 for bad options."""
    from coe_framework.outputs.formats import ExportError, UnknownFormat, content_bytes
    from coe_framework.outputs.registry import get_format
    from coe_framework.outputs.source import ExportSource, MissingRepository, MissingResult, SeveralRepositories

    try:
        fmt = get_format(coe().manager, name)
    except UnknownFormat as exc:
        raise Problem(404, str(exc)) from None
    with store_errors(analysis_id):
        try:
            parsed = fmt.parse_options(options)
            body = content_bytes(fmt.render(ExportSource(db.session, analysis_id, fmt.analyzers), parsed), json_bytes)
        except MissingRepository as exc:
            raise not_found(f"repository {exc.repository_id} in analysis {analysis_id}") from None
        except MissingResult as exc:
            raise Problem(404, str(exc)) from None
        except SeveralRepositories as exc:
            choices = ", ".join(str(rid) for rid, _name in exc.choices)
            raise Problem(409, f"analysis {analysis_id} has several repositories; pass ?repository= one of {choices}") from None
        except ExportError as exc:
            raise invalid_query("options", str(exc)) from None
    response = _document(body, fmt.media_type)
    if response.status_code == 200 and fmt.is_text:
        response.headers["Content-Type"] = f"{fmt.media_type}; charset=utf-8"
    return response


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
    from coe_framework.outputs.insights import correlations_for

    with store_errors(analysis_id):
        items = correlations_for(db.session, analysis_id)
    return {"analysis_id": analysis_id, "items": items}


EXPORT_PATH = "/api/v1/analyses/{analysis_id}/exports/{name}"


def document_export_media_types(spec: dict[str, Any], manager: Any) -> None:
    """The OpenAPI document's 200 of ``EXPORT_PATH``: the media type of every format this server has loaded."""
    from coe_framework.outputs.registry import export_formats

    operation = spec.get("paths", {}).get(EXPORT_PATH, {}).get("get")
    if operation is None:
        return
    media = sorted({fmt.media_type for fmt in export_formats(manager).values()})
    operation["responses"]["200"]["content"] = {
        m: {"schema": {"type": "string"} if m.startswith("text/") or m.endswith("jsonlines") else {"type": "object"}} for m in media
    }


@bp.get("/analyses/<int:analysis_id>/sarif")
@require("read")
@bp.doc(summary="Complexity findings as SARIF 2.1.0", description="Functions above the threshold, for code-scanning tools (the `sarif` export format).",
        responses=_raw_response(SARIF_MEDIA_TYPE, "A SARIF 2.1.0 log"))
@bp.input(ThresholdQuery, location="query", arg_name="query")
def sarif(analysis_id: int, query: ThresholdQuery) -> Response:
    return export_response("sarif", analysis_id, {"threshold": query.threshold})


@bp.get("/analyses/<int:analysis_id>/sbom")
@require("read")
@bp.doc(summary="CycloneDX SBOM of a repository", description="From the techspec result, with the known vulnerabilities matched to its dependencies; name the repository when the analysis has several (the `cyclonedx` export format).",
        responses={**_raw_response(CYCLONEDX_MEDIA_TYPE, "A CycloneDX 1.6 JSON document"), 409: "The analysis has several repositories; name one"})
@bp.input(SbomQuery, location="query", arg_name="query")
def sbom(analysis_id: int, query: SbomQuery) -> Response:
    return export_response("cyclonedx", analysis_id, {"repository": query.repository})


@bp.get("/analyses/<int:analysis_id>/report")
@require("read")
@bp.doc(summary="Markdown report", description="Stack, code, history and correlations of the analysis in one Markdown document (the `markdown` export format).",
        responses=_raw_response(MARKDOWN_MEDIA_TYPE, "A Markdown document"))
@bp.input(ThresholdQuery, location="query", arg_name="query")
def report(analysis_id: int, query: ThresholdQuery) -> Response:
    return export_response("markdown", analysis_id, {"threshold": query.threshold})


@bp.get("/export-formats")
@require("read")
@bp.doc(summary="Export formats", description="Every export format the loaded plugins register (the framework's own included), with its options.")
@bp.output(ExportFormatsOut)
def export_formats() -> Any:
    from coe_framework.outputs.registry import export_formats as registered

    return {"items": [fmt.describe() for _name, fmt in sorted(registered(coe().manager).items())]}


@bp.get("/analyses/<int:analysis_id>/exports/<name>")
@require("read")
@bp.doc(summary="An analysis in an export format",
        description="Any format of `GET /export-formats`, by name; its options are query parameters. 409 when a per-repository format needs `?repository=`.",
        responses={200: {"description": "The document, in the format's media type"},
                   304: "Not modified (If-None-Match matched)", 404: "No such analysis, format, repository or result",
                   409: "The analysis has several repositories; name one", 422: "An option the format does not take, or a bad value"})
def export(analysis_id: int, name: str) -> Response:
    return export_response(name, analysis_id, {key: request.args.get(key) for key in request.args})
