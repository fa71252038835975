"""Matched vulnerabilities in the SARIF log and the Markdown report of an analysis.

SARIF: one rule per advisory (its OSV id, aliases as properties), one result
per affected dependency, located at the manifest that declares it. A locked
version that is affected is an ``error`` for critical and high advisories
and a ``warning`` otherwise; a constraint that may resolve to an affected
version is a ``note``.
"""
from __future__ import annotations

import hashlib
from typing import Any, Mapping, Sequence
from urllib.parse import quote

_LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "warning", "none": "note"}


def _rule(advisory: Mapping[str, Any]) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": advisory["id"],
        "name": "KnownVulnerableDependency",
        "shortDescription": {"text": advisory.get("summary") or f"Known vulnerability {advisory['id']}"},
        "helpUri": f"https://osv.dev/vulnerability/{quote(advisory['id'])}",
        "help": {"text": "Upgrade the dependency to a version the advisory lists as fixed."},
        "defaultConfiguration": {"level": _LEVELS.get(advisory.get("severity") or "", "warning")},
        "properties": {"tags": ["security", "vulnerability", "dependency"], "aliases": list(advisory.get("aliases") or [])},
    }
    if advisory.get("cvss_score") is not None:
        rule["properties"]["security-severity"] = f"{advisory['cvss_score']:.1f}"
    return rule


def _message(hit: Mapping[str, Any]) -> str:
    dep, advisory = hit["dependency"], hit["vulnerability"]
    aliases = f" ({', '.join(advisory['aliases'][:3])})" if advisory.get("aliases") else ""
    if hit["status"] == "affected":
        text = f"{dep['ecosystem']} package {dep['name']} {dep['version']} is affected by {advisory['id']}{aliases}"
    else:
        text = f"{dep['ecosystem']} package {dep['name']} {dep['constraint']} may resolve to a version affected by {advisory['id']}{aliases}"
    text += f": {advisory['summary']}" if advisory.get("summary") else "."
    if hit.get("fixed_version"):
        text += f" Fixed in {hit['fixed_version']}."
    return text


def sarif_rules_and_results(hits: Sequence[Mapping[str, Any]], first_rule_index: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The rules and results of one repository's hits; rule indexes start at ``first_rule_index``."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    results = []
    for hit in hits:
        advisory, dep = hit["vulnerability"], hit["dependency"]
        if advisory["id"] not in index:
            index[advisory["id"]] = first_rule_index + len(rules)
            rules.append(_rule(advisory))
        level = _LEVELS.get(advisory.get("severity") or "", "warning") if hit["status"] == "affected" else "note"
        fingerprint = hashlib.sha256(f"{dep.get('manifest')}\0{dep['ecosystem']}\0{dep['name']}\0{advisory['id']}".encode()).hexdigest()[:32]
        results.append({
            "ruleId": advisory["id"],
            "ruleIndex": index[advisory["id"]],
            "level": level,
            "message": {"text": _message(hit)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(dep.get("manifest") or ""), "uriBaseId": "SRCROOT"}}}],
            "partialFingerprints": {"coeDependencyVulnerability/v1": fingerprint},
            "properties": {"status": hit["status"], "package": dep["name"], "ecosystem": dep["ecosystem"],
                           "version": dep.get("version"), "constraint": dep.get("constraint"), "fixedVersion": hit.get("fixed_version")},
        })
    return rules, results


def markdown_lines(hits: Sequence[Mapping[str, Any]], cell: Any, table: Any) -> list[str]:
    """The report's "Known vulnerabilities" section of one repository (empty without hits)."""
    if not hits:
        return []
    confirmed = [h for h in hits if h["status"] == "affected"]
    lines = ["### Known vulnerabilities", "",
             f"{len(confirmed)} affected dependencies, {len(hits) - len(confirmed)} that may resolve to an affected version.", ""]
    rows = [
        (h["dependency"]["ecosystem"], h["dependency"]["name"], h["dependency"]["version"] or f"({h['dependency']['constraint']})",
         h["vulnerability"]["id"], ", ".join(h["vulnerability"]["aliases"][:2]), h["vulnerability"]["severity"] or "unknown",
         h["fixed_version"] or "", "affected" if h["status"] == "affected" else "may resolve", h["dependency"]["manifest"])
        for h in hits
    ]
    return lines + table(["Ecosystem", "Package", "Version", "Advisory", "Aliases", "Severity", "Fixed in", "Status", "Manifest"], rows)
