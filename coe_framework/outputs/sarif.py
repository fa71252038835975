"""SARIF 2.1.0 findings of a stored analysis.

:func:`sarif_log` turns every function or method whose cyclomatic
  complexity exceeds a threshold (default 10, McCabe's classic limit) into a
SARIF result, one run per repository, so code-scanning tools (GitHub code
scanning, IDE viewers) show them. A finding is an ``error`` above the
error threshold (default twice the threshold), a ``warning`` otherwise.
Classes are not findings: their complexity is the sum of their methods'.
Dependencies matched to known vulnerabilities (:mod:`coe_framework.vulns`)
are results of the same runs, one rule per advisory.

The per-analysis JSON of the legacy file layout is ``coe results export``;
CycloneDX comes from the techspec plugin; the Markdown report is
:mod:`coe_framework.outputs.report`.
"""
from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any, Mapping, Sequence
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from .. import __version__
from . import result_views as views
from .formats import ExportError
from .source import ExportSource
from .stored_analysis import StoredRepository

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
DEFAULT_THRESHOLD = 10.0
RULE_ID = "COE1001"


def _complexity_rule(threshold: float, error_threshold: float) -> dict[str, Any]:
    return {
        "id": RULE_ID,
        "name": "HighCyclomaticComplexity",
        "shortDescription": {"text": "Function with high cyclomatic complexity"},
        "fullDescription": {
            "text": f"The function's cyclomatic complexity is above {threshold:g}; "
                    f"above {error_threshold:g} it is reported as an error."
        },
        "help": {"text": "Split the function into smaller ones, or simplify its branching, so each can be understood and tested on its own."},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["maintainability", "complexity"], "threshold": threshold, "errorThreshold": error_threshold},
    }


def repository_uri(url: str) -> str:
    """A URI for a repository URL or an absolute local path (SARIF wants URIs)."""
    if urlsplit(url).scheme in ("https", "http", "ssh", "git", "file"):
        return url
    path = PurePath(url)
    return path.as_uri() if path.is_absolute() else quote(url)


def _logical_kind(kind: str) -> str:
    return "member" if kind.lower() in ("method", "constructor", "getter", "setter") else "function"


def _finding(path: str, symbol: Mapping[str, Any], complexity: float, threshold: float, error_threshold: float) -> dict[str, Any]:
    name = str(symbol.get("name") or "?")
    qualified = str(symbol.get("qualified_name") or name)
    kind = str(symbol.get("kind") or "function")
    region: dict[str, Any] = {}
    if isinstance(symbol.get("line_start"), int) and symbol["line_start"] >= 1:
        region["startLine"] = symbol["line_start"]
        if isinstance(symbol.get("line_end"), int) and symbol["line_end"] >= symbol["line_start"]:
            region["endLine"] = symbol["line_end"]
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(path), "uriBaseId": "SRCROOT"}}
    if region:
        physical["region"] = region
    properties: dict[str, Any] = {"complexity": complexity}
    if views.number(symbol.get("cognitive_complexity")) is not None:
        properties["cognitiveComplexity"] = symbol["cognitive_complexity"]
    return {
        "ruleId": RULE_ID,
        "ruleIndex": 0,
        "level": "error" if complexity > error_threshold else "warning",
        "message": {"text": f"{kind.capitalize()} {qualified} has a cyclomatic complexity of {complexity:g} (threshold {threshold:g})."},
        "locations": [{
            "physicalLocation": physical,
            "logicalLocations": [{"name": name, "fullyQualifiedName": qualified, "kind": _logical_kind(kind)}],
        }],
        # Stable across commits while the function keeps its file and name, so viewers track it.
        "partialFingerprints": {"coeSymbol/v1": hashlib.sha256(f"{path}\0{qualified}".encode("utf-8", "surrogateescape")).hexdigest()[:32]},
        "properties": properties,
    }


def sarif_run(repository: StoredRepository, threshold: float, error_threshold: float,
              vulnerabilities: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """One SARIF run: the complexity findings and known vulnerable dependencies of one repository."""
    from ..vulns.reporting import sarif_rules_and_results

    run: dict[str, Any] = {
        "tool": sarif_driver([_complexity_rule(threshold, error_threshold)]),
        "automationDetails": {"id": f"coe/complexity/{repository.name}/"},
        "originalUriBaseIds": {"SRCROOT": {"description": {"text": "The root of the analysed repository."}}},
        "columnKind": "unicodeCodePoints",
        "results": [
            _finding(path, symbol, value, threshold, error_threshold)
            for path, symbol, value in views.complex_symbols(repository.results, threshold)
        ],
    }
    rules, results = sarif_rules_and_results(vulnerabilities, 1)
    run["tool"]["driver"]["rules"] += rules
    run["results"] += results
    if repository.commit:
        run["versionControlProvenance"] = [{"repositoryUri": repository_uri(repository.url), "revisionId": repository.commit}]
    return run


def sarif_log(repositories: Sequence[StoredRepository], threshold: float = DEFAULT_THRESHOLD, error_threshold: float | None = None,
              vulnerabilities: Mapping[int, Sequence[Mapping[str, Any]]] | None = None) -> dict[str, Any]:
    """A SARIF 2.1.0 log of complexity findings, one run per repository.

    ``vulnerabilities`` maps a repository analysis id to its matched
    advisories (:func:`coe_framework.vulns.queries.hits_by_analysis`).
    """
    if threshold < 0:
        raise ExportError("the complexity threshold must not be negative")
    limit = 2 * threshold if error_threshold is None else error_threshold
    if limit < threshold:
        raise ExportError("the error threshold must not be below the threshold")
    found = vulnerabilities or {}
    return sarif_document([sarif_run(r, threshold, limit, found.get(r.repository_analysis_id, ())) for r in repositories])


def sarif_document(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log holding ``runs``."""
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": list(runs)}


def sarif_driver(rules: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``tool`` object of a CoE run with ``rules``."""
    return {"driver": {"name": "CoE", "semanticVersion": __version__, "rules": list(rules)}}


def render_sarif(source: ExportSource, options: Mapping[str, Any]) -> dict[str, Any]:
    """The ``sarif`` export format: :func:`sarif_log` of a stored analysis."""
    return sarif_log(source.analysis.repositories, options["threshold"], options.get("error_threshold"), source.vulnerabilities)


def sarif_for(session: Session, analysis_id: int, threshold: float = DEFAULT_THRESHOLD, error_threshold: float | None = None) -> dict[str, Any]:
    """The SARIF log of a stored analysis (``NotFound`` for an unknown one)."""
    return render_sarif(ExportSource(session, analysis_id, [views.AST]), {"threshold": threshold, "error_threshold": error_threshold})
