"""Exports of a stored analysis: SARIF 2.1.0 findings and a Markdown report.

* :func:`sarif_log` turns every function or method whose cyclomatic
  complexity exceeds a threshold (default 10, McCabe's classic limit) into a
  SARIF result, one run per repository, so code-scanning tools (GitHub code
  scanning, IDE viewers) show them. A finding is an ``error`` above the
  error threshold (default twice the threshold), a ``warning`` otherwise.
  Classes are not findings: their complexity is the sum of their methods'.
  Dependencies matched to known vulnerabilities (:mod:`coe_framework.vulns`)
  are results of the same runs, one rule per advisory.
* :func:`markdown_report` is a readable summary of the whole analysis.

The per-analysis JSON of the legacy file layout is ``coe results export``;
CycloneDX comes from the techspec plugin.
"""
from __future__ import annotations

import hashlib
from pathlib import PurePath
from typing import Any, Mapping, Sequence
from urllib.parse import quote, urlsplit

from sqlalchemy.orm import Session

from . import __version__
from . import result_views as views
from .stored_analysis import StoredAnalysis, StoredRepository, load_analysis

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
DEFAULT_THRESHOLD = 10.0
RULE_ID = "COE1001"
#: Rows in the report's tables.
REPORT_TOP_N = 10


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
    from .vulns.reporting import sarif_rules_and_results

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
        raise ValueError("the complexity threshold must not be negative")
    limit = 2 * threshold if error_threshold is None else error_threshold
    if limit < threshold:
        raise ValueError("the error threshold must not be below the threshold")
    found = vulnerabilities or {}
    return sarif_document([sarif_run(r, threshold, limit, found.get(r.repository_analysis_id, ())) for r in repositories])


def sarif_document(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A SARIF 2.1.0 log holding ``runs``."""
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": list(runs)}


def sarif_driver(rules: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The ``tool`` object of a CoE run with ``rules``."""
    return {"driver": {"name": "CoE", "semanticVersion": __version__, "rules": list(rules)}}


def sarif_for(session: Session, analysis_id: int, threshold: float = DEFAULT_THRESHOLD, error_threshold: float | None = None) -> dict[str, Any]:
    """The SARIF log of a stored analysis (``NotFound`` for an unknown one)."""
    from .vulns.queries import hits_by_analysis

    repositories = load_analysis(session, analysis_id, [views.AST]).repositories
    found = hits_by_analysis(session, [r.repository_analysis_id for r in repositories])
    return sarif_log(repositories, threshold, error_threshold, found)


# --- Markdown ---------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A value made safe for a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _stack_section(results: Mapping[str, Any]) -> list[str]:
    langs = views.languages(results)
    if not langs and not views.dependencies(results):
        return []
    lines = ["### Technology stack", ""]
    if langs:
        lines += _table(["Language", "Share of bytes", "Files"], [(n, views.percent(i.get("share_bytes")), i.get("files")) for n, i in langs.items()])
    frameworks = views.frameworks(results)
    if frameworks:
        lines += ["Frameworks and tools: " + ", ".join(f"{f['name']} ({f.get('category', '?')})" for f in frameworks), ""]
    deps = views.dependencies(results)
    if deps:
        direct = len(views.direct_dependencies(results))
        lines += [f"Dependencies: {direct} direct, {len(deps) - direct} transitive.", ""]
    license_ = views.repository_license(results)
    if license_:
        lines += [f"License: {license_}", ""]
    return lines


def _code_section(results: Mapping[str, Any], threshold: float) -> list[str]:
    if not views.ast_files(results):
        return []
    size = views.code_size(results)
    lines = ["### Code", "", f"{size['files']:.0f} files, {size['loc']:.0f} lines, {size['functions']:.0f} functions."]
    if "mean_complexity" in size:
        lines[-1] += f" Mean cyclomatic complexity {size['mean_complexity']:.2f}."
    if "maintainability" in size:
        lines[-1] += f" Mean maintainability index {size['maintainability']:.1f}."
    lines.append("")
    complex_ = sorted(views.complex_symbols(results, threshold), key=lambda item: (-item[2], item[0]))
    lines += [f"Functions above complexity {threshold:g}: {len(complex_)}.", ""]
    if complex_:
        lines += _table(["Function", "File", "Lines", "Complexity"], [
            (s.get("qualified_name") or s.get("name"), path, f"{s.get('line_start')}-{s.get('line_end')}", f"{value:g}")
            for path, s, value in complex_[:REPORT_TOP_N]
        ])
    return lines


def _history_section(results: Mapping[str, Any]) -> list[str]:
    git = views.git_summary(results)
    if not git:
        return []
    lines = ["### History", "", f"{git.get('commits', 0)} commits by {git.get('author_count', 0)} authors, "
             f"{git.get('first_commit_at') or '?'} to {git.get('last_commit_at') or '?'}."]
    truck = views.truck_factor(results)
    if truck.get("value") is not None:
        lines[-1] += f" Truck factor {truck['value']}."
    lines.append("")
    authors = views.authors(results)[:REPORT_TOP_N]
    if authors:
        lines += _table(["Author", "Commits", "Lines added", "Lines removed"],
                        [(f"{a.get('name')} <{a.get('email')}>", a.get("commits"), a.get("lines_added"), a.get("lines_removed")) for a in authors])
    hotspots = views.hotspots(results)[:REPORT_TOP_N]
    if hotspots:
        lines += _table(["Hotspot", "Revisions", "Churn", "Complexity"],
                        [(h["path"], h.get("revisions"), h.get("churn"), h.get("complexity")) for h in hotspots])
    return lines


def _correlation_section(correlations: Sequence[Mapping[str, Any]]) -> list[str]:
    if not correlations:
        return []
    lines = ["## Correlation", ""]
    lines += _table(
        ["Repositories", "Overall", "Stack", "Languages", "Frameworks", "Dependencies", "Contributors", "Shared dependencies", "Shared contributors"],
        [
            (f"{c['repository_a']['name']} / {c['repository_b']['name']}", *(_score(c["scores"].get(k)) for k in ("overall", "stack", "languages", "frameworks", "dependencies", "contributors")),
             len(c["shared_dependencies"]), len(c["shared_contributors"]))
            for c in correlations
        ],
    )
    for c in correlations:
        drifting = [d for d in c["shared_dependencies"] if d.get("drift")]
        if drifting:
            lines += [f"Version drift between {c['repository_a']['name']} and {c['repository_b']['name']}:", ""]
            lines += [f"- {d['ecosystem']} {d['name']}: {', '.join(d['versions']['a'])} vs {', '.join(d['versions']['b'])}" for d in drifting] + [""]
    return lines


def _score(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def markdown_report(analysis: StoredAnalysis, correlations: Sequence[Mapping[str, Any]] = (), threshold: float = DEFAULT_THRESHOLD,
                    vulnerabilities: Mapping[int, Sequence[Mapping[str, Any]]] | None = None) -> str:
    """The analysis as a Markdown document (``vulnerabilities`` as for :func:`sarif_log`)."""
    from .vulns.reporting import markdown_lines

    lines = [f"# CoE analysis {analysis.id}", "",
             f"Status: {analysis.status}. Created {analysis.created_at or '?'}, finished {analysis.finished_at or '?'}. "
             f"{len(analysis.repositories)} repositories.", ""]
    for repo in analysis.repositories:
        lines += [f"## {_cell(repo.name)}", "", f"`{_cell(repo.url)}` at commit `{repo.commit or '?'}`: {repo.status}.", ""]
        if repo.errors:
            lines += [f"- {name}: {_cell(error)}" for name, error in sorted(repo.errors.items())] + [""]
        lines += _stack_section(repo.results)
        lines += markdown_lines((vulnerabilities or {}).get(repo.repository_analysis_id, ()), _cell, _table)
        lines += _code_section(repo.results, threshold) + _history_section(repo.results)
    lines += _correlation_section(correlations)
    return "\n".join(lines).rstrip() + "\n"


def report_for(session: Session, analysis_id: int, threshold: float = DEFAULT_THRESHOLD) -> str:
    """The Markdown report of a stored analysis (``NotFound`` for an unknown one)."""
    from .insights import correlations_for
    from .vulns.queries import hits_by_analysis

    analysis = load_analysis(session, analysis_id)
    found = hits_by_analysis(session, [r.repository_analysis_id for r in analysis.repositories])
    return markdown_report(analysis, correlations_for(session, analysis_id), threshold, found)
