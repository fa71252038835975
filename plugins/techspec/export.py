"""The ``cyclonedx`` export format: the CycloneDX 1.6 SBOM of one repository of a
stored analysis, from its techspec result, with the known vulnerabilities
matched to its dependencies.

``coe export ANALYSIS --format cyclonedx -O repository=ID``, ``coe sbom`` and
``GET /api/v1/analyses/{id}/sbom`` all render it.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from coe_framework.plugin_api import ExportFormat, ExportOption

if TYPE_CHECKING:
    from coe_framework.plugin_api import ExportSource

SBOM_ANALYZER = "techspec"
CYCLONEDX_MEDIA_TYPE = "application/vnd.cyclonedx+json"


def render_cyclonedx(source: "ExportSource", options: Mapping[str, Any]) -> dict[str, Any]:
    """The SBOM of the repository ``options["repository"]`` (may be None for a one-repository analysis)."""
    from .sbom import build_sbom

    repository = source.one_repository(options.get("repository"), SBOM_ANALYZER)
    analysis = source.analysis
    hits = source.vulnerabilities[repository.repository_analysis_id]
    return build_sbom(repository.results[SBOM_ANALYZER], {"name": repository.name, "url": repository.url, "commit": repository.commit,
                                                          "analyzed_at": analysis.finished_at or analysis.created_at}, hits)


CYCLONEDX = ExportFormat(
    "cyclonedx", CYCLONEDX_MEDIA_TYPE, ".cdx.json", render_cyclonedx, analyzers=(SBOM_ANALYZER,),
    description="The CycloneDX 1.6 SBOM of one repository, with its known vulnerabilities.",
    options=(ExportOption("repository", "int", None, "Which repository, when the analysis has several (its id).", minimum=1),),
)
