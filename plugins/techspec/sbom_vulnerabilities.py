"""The CycloneDX ``vulnerabilities`` of an SBOM, from matched OSV advisories.

One entry per advisory, affecting the components (by bom-ref, the package
URL) whose dependency matched it: ``affected`` for a locked version,
``unknown`` for a constraint that may resolve to an affected version. The
rating comes from the advisory's CVSS vector; aliases (CVE, GHSA) are
references.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any, Callable, Iterable, Mapping

from cyclonedx.model import Property, XsUri
from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)

_SEVERITIES = {level: getattr(VulnerabilitySeverity, level.upper()) for level in ("none", "low", "medium", "high", "critical")}


def _source(identifier: str) -> VulnerabilitySource:
    if identifier.startswith("CVE-"):
        return VulnerabilitySource(name="NVD", url=XsUri(f"https://nvd.nist.gov/vuln/detail/{identifier}"))
    if identifier.startswith("GHSA-"):
        return VulnerabilitySource(name="GitHub", url=XsUri(f"https://github.com/advisories/{identifier}"))
    return VulnerabilitySource(name="OSV", url=XsUri(f"https://osv.dev/vulnerability/{identifier}"))


def _method(vector: str) -> VulnerabilityScoreSource:
    if vector.startswith("CVSS:4"):
        return VulnerabilityScoreSource.CVSS_V4
    if vector.startswith("CVSS:3.1"):
        return VulnerabilityScoreSource.CVSS_V3_1
    if vector.startswith("CVSS:3"):
        return VulnerabilityScoreSource.CVSS_V3
    return VulnerabilityScoreSource.CVSS_V2


def _rating(advisory: Mapping[str, Any]) -> VulnerabilityRating | None:
    level = advisory.get("severity")
    if level is None:
        return None
    vector = advisory.get("cvss_vector")
    score = advisory.get("cvss_score")
    return VulnerabilityRating(
        source=_source(advisory["id"]), severity=_SEVERITIES.get(level, VulnerabilitySeverity.UNKNOWN),
        score=Decimal(str(score)) if score is not None else None,
        method=_method(vector) if vector else None, vector=vector or None,
    )


def sbom_vulnerabilities(hits: Iterable[Mapping[str, Any]], bom_ref: Callable[[Mapping[str, Any]], str]) -> list[Vulnerability]:
    """CycloneDX vulnerabilities for ``hits`` (see :func:`coe_framework.vulns.queries.hit_dict`);
    ``bom_ref`` gives a hit's dependency component reference."""
    grouped: dict[str, tuple[Mapping[str, Any], dict[str, tuple[str | None, bool]], set[str]]] = {}
    for hit in hits:
        advisory = hit["vulnerability"]
        entry = grouped.setdefault(advisory["id"], (advisory, {}, set()))
        ref = bom_ref(hit["dependency"])
        known = entry[1].get(ref)
        confirmed = hit["status"] == "affected"
        entry[1][ref] = (hit["dependency"].get("version"), confirmed or bool(known and known[1]))
        if hit.get("fixed_version"):
            entry[2].add(hit["fixed_version"])
    found = []
    for identifier in sorted(grouped):
        advisory, refs, fixed = grouped[identifier]
        rating = _rating(advisory)
        targets = [
            BomTarget(ref=ref, versions=[BomTargetVersionRange(
                version=version, status=ImpactAnalysisAffectedStatus.AFFECTED if confirmed else ImpactAnalysisAffectedStatus.UNKNOWN,
            )] if version else None)
            for ref, (version, confirmed) in sorted(refs.items())
        ]
        properties = [Property(name="coe:status", value="affected" if all(c for _, c in refs.values()) else "may-resolve-to-affected")]
        found.append(Vulnerability(
            bom_ref=f"vulnerability:{identifier}", id=identifier, source=_source(identifier),
            references=[VulnerabilityReference(id=alias, source=_source(alias)) for alias in advisory.get("aliases") or []],
            ratings=[rating] if rating else None,
            description=advisory.get("summary"),
            recommendation=f"Upgrade to {', '.join(sorted(fixed))} or later" if fixed else None,
            affects=targets,
            properties=properties,
        ))
    return found
