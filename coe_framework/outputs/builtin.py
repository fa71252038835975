"""The framework's own export formats, registered as any plugin registers one.

* ``sarif``: complexity findings and known vulnerable dependencies as SARIF 2.1.0
  (:mod:`coe_framework.outputs.sarif`);
* ``markdown``: the Markdown report (:mod:`coe_framework.outputs.report`);
* ``rag``: the stored RAG documents as JSON Lines that LangChain and
  LlamaIndex load (:mod:`coe_framework.outputs.rag.collect`).

The CycloneDX SBOM is the ``techspec`` plugin's format (``cyclonedx``).
"""
from __future__ import annotations

import json
from typing import Any, Callable, Iterator, Mapping

from ..plugin.hookspecs import hookimpl
from .formats import ExportFormat, ExportOption
from .source import ExportSource

SARIF_MEDIA_TYPE = "application/sarif+json"
MARKDOWN_MEDIA_TYPE = "text/markdown"
#: JSON Lines (as AWS and others name it; ``application/x-ndjson`` is the same content).
JSONL_MEDIA_TYPE = "application/jsonlines"


def _threshold() -> ExportOption:
    from .sarif import DEFAULT_THRESHOLD

    return ExportOption("threshold", "float", DEFAULT_THRESHOLD, "Cyclomatic complexity above which a function is a finding.", minimum=0)


def _render_sarif(source: ExportSource, options: Mapping[str, Any]) -> Any:
    from .sarif import render_sarif

    return render_sarif(source, options)


def _render_report(source: ExportSource, options: Mapping[str, Any]) -> Any:
    from .report import render_report

    return render_report(source, options)


def _render_rag(source: ExportSource, options: Mapping[str, Any]) -> Iterator[str]:
    from .rag.collect import to_record
    from .rag.storage import require_analysis

    require_analysis(source.session, source.analysis_id)  # now, not when the first line is asked for
    layout = options["layout"]

    def lines() -> Iterator[str]:
        for document in source.rag_documents(options.get("kind"), options.get("path")):
            yield json.dumps(to_record(document, layout), ensure_ascii=False, sort_keys=True) + "\n"

    return lines()


def builtin_formats() -> list[ExportFormat]:
    """The framework's formats."""
    from .rag.collect import RECORD_LAYOUTS

    return [
        ExportFormat(
            "sarif", SARIF_MEDIA_TYPE, ".sarif", _render_sarif, analyzers=("ast",),
            description="Functions above a complexity threshold and known vulnerable dependencies, as SARIF 2.1.0.",
            options=(_threshold(), ExportOption("error_threshold", "float", None,
                                                "Complexity above which a finding is an error (default: twice the threshold).", minimum=0)),
        ),
        ExportFormat(
            "markdown", MARKDOWN_MEDIA_TYPE, ".md", _render_report,
            description="Stack, vulnerabilities, code, history and correlations of the analysis as one Markdown report.",
            options=(_threshold(),),
        ),
        ExportFormat(
            "rag", JSONL_MEDIA_TYPE, ".jsonl", _render_rag, analyzers=(),
            description="The stored RAG documents as JSON Lines (LangChain Document and LlamaIndex TextNode records).",
            options=(
                ExportOption("layout", "choice", "jsonl", "jsonl: records both loaders read; or langchain or llamaindex only.", choices=RECORD_LAYOUTS),
                ExportOption("kind", "str", None, "Only documents of this kind."),
                ExportOption("path", "str", None, "Only documents about this file."),
            ),
        ),
    ]


@hookimpl
def coe_register_export_formats(register: Callable[[Any], None]) -> None:
    """Register the framework's formats."""
    for fmt in builtin_formats():
        register(fmt)
