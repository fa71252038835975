"""Reading matched vulnerabilities back: per dependency, per repository, across the portfolio.

The portfolio view takes, for each repository, its newest repository
analysis with a succeeded techspec result, so an old analysis never
reports what a newer one no longer has.
"""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from ..db.models import (
    AnalysisResult,
    DependencyVulnerability,
    RepositoryAnalysis,
    TechDependency,
    Vulnerability,
    VulnerablePackage,
)
from ..db.store import iso
from .ecosystems import SUPPORTED, package_key
from .severity import LEVELS, at_least

DV = DependencyVulnerability


def latest_analyses() -> Select[Any]:
    """Per repository, the id of its newest repository analysis with a succeeded techspec result."""
    return (
        select(func.max(RepositoryAnalysis.id))
        .join(AnalysisResult, AnalysisResult.repository_analysis_id == RepositoryAnalysis.id)
        .where(AnalysisResult.analyzer == "techspec", AnalysisResult.status == "succeeded")
        .group_by(RepositoryAnalysis.repository_id)
    )


def hits_query(
    *,
    package: str | None = None,
    ecosystem: str | None = None,
    severity: str | None = None,
    confirmed: bool | None = None,
    request_id: int | None = None,
    repository_analysis_ids: Sequence[int] | None = None,
) -> Select[Any]:
    """Matched (dependency, advisory) rows; newest analyses only unless an analysis is named.

    ``severity`` keeps advisories at or above that level; ``package`` is
    matched by package key in ``ecosystem`` (every ecosystem when None).
    ``ValueError`` for an unknown severity or ecosystem.
    """
    query = select(DV).options(
        joinedload(DV.dependency), joinedload(DV.vulnerability),
        joinedload(DV.repository_analysis).joinedload(RepositoryAnalysis.repository),
    )
    if ecosystem is not None and ecosystem not in SUPPORTED:
        raise ValueError(f"unknown ecosystem '{ecosystem}' (one of {', '.join(sorted(SUPPORTED))})")
    if package is not None:
        ecosystems = [ecosystem] if ecosystem else sorted(SUPPORTED)
        keys = {package_key(e, package) for e in ecosystems}
        query = query.where(DV.package.in_(sorted(keys)))
    if ecosystem is not None:
        query = query.where(DV.ecosystem == ecosystem)
    if severity is not None:
        query = query.join(Vulnerability, Vulnerability.id == DV.vulnerability_id).where(Vulnerability.severity.in_(list(at_least(severity))))
    if confirmed is not None:
        query = query.where(DV.confirmed.is_(confirmed))
    if repository_analysis_ids is not None:
        query = query.where(DV.repository_analysis_id.in_(list(repository_analysis_ids)))
    elif request_id is not None:
        query = query.where(DV.repository_analysis_id.in_(select(RepositoryAnalysis.id).where(RepositoryAnalysis.request_id == request_id)))
    else:
        query = query.where(DV.repository_analysis_id.in_(latest_analyses()))
    return query


def advisory_dict(vuln: Vulnerability) -> dict[str, Any]:
    """An advisory as the CLI, the API and the exports show it."""
    return {
        "id": vuln.osv_id,
        "aliases": list(vuln.aliases or []),
        "summary": vuln.summary,
        "severity": vuln.severity,
        "cvss_score": vuln.cvss_score,
        "cvss_vector": vuln.cvss_vector,
        "published": iso(vuln.published),
        "modified": iso(vuln.modified),
    }


def hit_dict(row: DependencyVulnerability) -> dict[str, Any]:
    """One matched (dependency, advisory) pair with its repository and commit."""
    dep, ra = row.dependency, row.repository_analysis
    return {
        "id": row.id,
        "status": "affected" if row.confirmed else "may_resolve_to_affected",
        "fixed_version": row.fixed_version,
        "vulnerability": advisory_dict(row.vulnerability),
        "dependency": {
            "id": dep.id, "ecosystem": dep.ecosystem, "name": dep.name, "version": dep.version,
            "constraint": dep.constraint, "scope": dep.scope, "manifest": dep.manifest, "direct": dep.direct,
        },
        "repository": {"id": ra.repository.id, "name": ra.repository.name, "url": ra.repository.url},
        "repository_analysis_id": ra.id,
        "analysis_id": ra.request_id,
        "commit": ra.commit_sha,
    }


def hits(session: Session, query: Select[Any], limit: int | None = None) -> list[dict[str, Any]]:
    """Every row of :func:`hits_query` (repository, package, advisory order), as dicts."""
    ordered = query.join(TechDependency, TechDependency.id == DV.tech_dependency_id).order_by(
        DV.repository_analysis_id, TechDependency.name, TechDependency.manifest, DV.vulnerability_id)
    if limit is not None:
        ordered = ordered.limit(limit)
    return [hit_dict(r) for r in session.scalars(ordered).unique()]


def hits_by_analysis(session: Session, repository_analysis_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """The hits of each repository analysis (for SARIF, the report and the SBOM)."""
    found: dict[int, list[dict[str, Any]]] = {i: [] for i in repository_analysis_ids}
    if not repository_analysis_ids:
        return found
    for hit in hits(session, hits_query(repository_analysis_ids=repository_analysis_ids)):
        found[hit["repository_analysis_id"]].append(hit)
    return found


def status(session: Session) -> dict[str, Any]:
    """What is loaded, per ecosystem, and how old it is; how many hits are stored."""
    per_ecosystem = session.execute(
        select(VulnerablePackage.ecosystem, func.count(func.distinct(VulnerablePackage.vulnerability_id)),
               func.count(func.distinct(VulnerablePackage.package)), func.max(Vulnerability.modified), func.max(Vulnerability.imported_at))
        .join(Vulnerability, Vulnerability.id == VulnerablePackage.vulnerability_id)
        .group_by(VulnerablePackage.ecosystem).order_by(VulnerablePackage.ecosystem)
    ).all()
    total, withdrawn = session.execute(select(func.count(Vulnerability.id), func.count(Vulnerability.withdrawn))).one()
    by_status = dict(session.execute(select(DV.confirmed, func.count(DV.id)).group_by(DV.confirmed)).all())
    severities = dict(session.execute(select(Vulnerability.severity, func.count(Vulnerability.id)).group_by(Vulnerability.severity)).all())
    return {
        "advisories": total,
        "withdrawn": withdrawn,
        "ecosystems": [
            {"ecosystem": e, "advisories": n, "packages": p, "newest_modified": iso(m), "last_imported": iso(i)}
            for e, n, p, m, i in per_ecosystem
        ],
        "severities": {level or "unknown": severities[level] for level in (*LEVELS[::-1], None) if severities.get(level)},
        "hits": {"affected": by_status.get(True, 0), "may_resolve_to_affected": by_status.get(False, 0)},
    }
