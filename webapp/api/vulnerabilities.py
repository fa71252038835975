"""``/api/v1/vulnerabilities``: known vulnerabilities of analysed dependencies, across the portfolio.

Hits come from OSV advisories an operator imported (``coe vulns import``);
each repository's newest analysis with a techspec result counts unless
``analysis`` names one. Newest hits first, cursor pagination.
"""
from __future__ import annotations

from typing import Any, Literal

from apiflask import APIBlueprint
from pydantic import BaseModel, Field

from coe_framework.vulns.queries import DV, hit_dict, hits_query, status

from ..auth import require
from ..database import db
from ..pagination import page_response, paginate
from ..schemas import PageQuery, RepositoryName

bp = APIBlueprint("vulnerabilities", __name__, tag="Vulnerabilities")

Level = Literal["none", "low", "medium", "high", "critical"]
Ecosystem = Literal["cargo", "composer", "gem", "golang", "maven", "npm", "nuget", "pypi"]


class VulnerabilityQuery(PageQuery):
    package: str | None = Field(None, min_length=1, max_length=512, description="Package name (matched as its ecosystem compares names)")
    ecosystem: Ecosystem | None = None
    severity: Level | None = Field(None, description="Only advisories at or above this level")
    status: Literal["affected", "may_resolve_to_affected"] | None = Field(
        None, description="affected: a locked version is affected; may_resolve_to_affected: a constraint allows an affected version")
    analysis: int | None = Field(None, ge=1, description="One analysis instead of each repository's newest")


class AdvisoryOut(BaseModel):
    id: str
    aliases: list[str]
    summary: str | None = None
    severity: Level | None = None
    cvss_score: float | None = None
    cvss_vector: str | None = None
    published: str | None = None
    modified: str | None = None


class DependencyOut(BaseModel):
    id: int
    ecosystem: str
    name: str
    version: str | None = None
    constraint: str | None = None
    scope: str | None = None
    manifest: str | None = None
    direct: bool | None = None


class VulnerabilityHitOut(BaseModel):
    id: int
    status: Literal["affected", "may_resolve_to_affected"]
    fixed_version: str | None = None
    vulnerability: AdvisoryOut
    dependency: DependencyOut
    repository: RepositoryName
    repository_analysis_id: int
    analysis_id: int
    commit: str | None = None


class VulnerabilityHitPage(BaseModel):
    items: list[VulnerabilityHitOut]
    next_cursor: str | None = None


class EcosystemStatusOut(BaseModel):
    ecosystem: str
    advisories: int
    packages: int
    newest_modified: str | None = None
    last_imported: str | None = None


class VulnerabilityStatusOut(BaseModel):
    advisories: int
    withdrawn: int
    ecosystems: list[EcosystemStatusOut]
    severities: dict[str, int]
    hits: dict[str, int]


@bp.get("/vulnerabilities")
@require("read")
@bp.doc(summary="Known vulnerabilities of analysed dependencies",
        description="Every (dependency, advisory) match: filter by package, ecosystem, minimum severity, status and analysis. "
                    "Each repository's newest analysis with a techspec result counts unless `analysis` is given.")
@bp.input(VulnerabilityQuery, location="query", arg_name="query")
@bp.output(VulnerabilityHitPage)
def list_vulnerabilities(query: VulnerabilityQuery) -> Any:
    confirmed = None if query.status is None else query.status == "affected"
    statement = hits_query(package=query.package, ecosystem=query.ecosystem, severity=query.severity,
                           confirmed=confirmed, request_id=query.analysis)
    page = paginate(db.session, statement, DV.id, limit=query.limit, cursor=query.cursor, serialize=hit_dict)
    return page_response(page, query.limit)


@bp.get("/vulnerabilities/status")
@require("read")
@bp.doc(summary="Loaded advisories", description="What is loaded, per ecosystem, how old it is, and how many hits are stored.")
@bp.output(VulnerabilityStatusOut)
def vulnerability_status() -> Any:
    return status(db.session)
