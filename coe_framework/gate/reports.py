"""A gate's verdicts for CI systems: JUnit XML (one test case per condition) and SARIF 2.1.0.

SARIF comes from the project's SARIF writer (:mod:`coe_framework.outputs.sarif`):
one run, one rule for gate conditions, one result per condition (``kind``
``pass``, ``fail`` or ``notApplicable``); a condition written in a file
points at its line there.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any, Mapping
from urllib.parse import quote

from ..outputs.sarif import repository_uri, sarif_document, sarif_driver
from .evaluate import GateOutcome, Verdict

RULE_ID = "COE2001"
#: Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def junit_xml(outcome: GateOutcome, repository: Mapping[str, Any], commit: str) -> bytes:
    """The gate as a JUnit XML report: one ``testsuite``, a ``testcase`` per condition."""
    failures = sum(1 for v in outcome.verdicts if v.status == "failed")
    errors = sum(1 for v in outcome.verdicts if v.status == "error")
    skipped = sum(1 for v in outcome.verdicts if v.status == "skipped")
    suites = ET.Element("testsuites", name="coe gate", tests=str(len(outcome.verdicts)), failures=str(failures), errors=str(errors))
    suite = ET.SubElement(suites, "testsuite", name=_xml_text(f"coe gate: {repository.get('name')}"), tests=str(len(outcome.verdicts)),
                          failures=str(failures), errors=str(errors), skipped=str(skipped))
    properties = ET.SubElement(suite, "properties")
    for name, value in (("repository", repository.get("url")), ("commit", commit), ("source", outcome.source),
                        ("baseline", outcome.baseline.commit if outcome.baseline else "")):
        ET.SubElement(properties, "property", name=name, value=_xml_text(value or ""))
    for verdict in outcome.verdicts:
        case = ET.SubElement(suite, "testcase", classname=_xml_text(f"coe.gate.{repository.get('name')}"), name=_xml_text(verdict.condition.text))
        line = _xml_text(verdict.line())
        if verdict.status == "failed":
            ET.SubElement(case, "failure", message=line, type="gate").text = line
        elif verdict.status == "error":
            ET.SubElement(case, "error", message=line, type="gate").text = line
        elif verdict.status == "skipped":
            ET.SubElement(case, "skipped", message=line)
        ET.SubElement(case, "system-out").text = _xml_text(f"{line}\nfrom {verdict.condition.source or outcome.source}")
    ET.indent(suites)
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


def _rule() -> dict[str, Any]:
    return {
        "id": RULE_ID,
        "name": "QualityGateCondition",
        "shortDescription": {"text": "A quality gate condition on a measure"},
        "fullDescription": {"text": "A condition of the repository's quality gate (MEASURE OP VALUE or delta(MEASURE) OP VALUE) did not hold."},
        "help": {"text": "Improve the measure, or change the condition in the gate's configuration."},
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["quality-gate"]},
    }


def _sarif_result(verdict: Verdict) -> dict[str, Any]:
    kind = {"passed": "pass", "failed": "fail", "error": "fail", "skipped": "notApplicable"}[verdict.status]
    result: dict[str, Any] = {
        "ruleId": RULE_ID,
        "ruleIndex": 0,
        "kind": kind,
        "level": "error" if kind == "fail" else "none",
        "message": {"text": verdict.line()},
        "properties": verdict.to_dict(),
    }
    file, _, line = verdict.condition.source.rpartition(":")
    if file and line.isdigit() and not file.startswith("--"):
        result["locations"] = [{"physicalLocation": {
            "artifactLocation": {"uri": quote(file)},
            "region": {"startLine": int(line)},
        }}]
    return result


def sarif_log(outcome: GateOutcome, repository: Mapping[str, Any], commit: str) -> dict[str, Any]:
    """The gate as a SARIF 2.1.0 log of one run."""
    run: dict[str, Any] = {
        "tool": sarif_driver([_rule()]),
        "automationDetails": {"id": f"coe/gate/{repository.get('name')}/"},
        "results": [_sarif_result(v) for v in outcome.verdicts],
        "versionControlProvenance": [{"repositoryUri": repository_uri(str(repository.get("url"))), "revisionId": commit}],
        "properties": {"passed": outcome.passed, "source": outcome.source,
                       "baseline": outcome.baseline.commit if outcome.baseline else None},
    }
    return sarif_document([run])
