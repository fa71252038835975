"""Everything a plugin author imports, in one module.

A plugin needs hooks to implement, the analyzer contract, the context an
analyzer reads a repository through, and a few helpers. They live in
:mod:`coe_framework.plugin` and elsewhere in the core; this module re-exports
the public ones, so that a plugin's imports name one stable place::

    from coe_framework.plugin_api import Analyzer, AnalysisContext, hookimpl

    class LineCount(Analyzer):
        name = "line-count"
        version = "1"

        def analyze(self, ctx: AnalysisContext) -> dict:
            return {"files": sum(1 for _ in ctx.files())}

    @hookimpl
    def coe_register_analyzers(register):
        register(LineCount())

Names not listed in ``__all__`` are internal and may change between releases.
The test kit is :mod:`coe_framework.testing`.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BadInput, CoeError, Conflict, NotFound, Unavailable
from .cli.progress import note
from .measures.registry import Measure
from .outputs.formats import ExportError, ExportFormat, ExportOption
from .plugin.context import AnalysisContext, FileEntry, is_binary, list_files
from .plugin.contract import NORMALIZED_TABLES, Analyzer, AnalyzerError, FileAnalyzer, NoOptions, OptionsError
from .plugin.hookspecs import hookimpl, hookspec
from .plugin.rag_helpers import DEFAULT_MAX_CHARS, Chunk, RepositoryFiles, Section, chunk_symbols, markdown_sections, text_sections, truncate
from .repository.gitutil import GitError, decode_path, display_path, first_error_line
from .settings import environ

__all__ = [
    "DEFAULT_MAX_CHARS", "NORMALIZED_TABLES",
    "AnalysisContext", "Analyzer", "AnalyzerError", "BadInput", "Chunk", "CoeError", "Conflict", "ExportError",
    "ExportFormat", "ExportOption", "ExportSource", "FileAnalyzer",
    "FileEntry", "GitError", "Measure", "NoOptions", "NotFound", "OptionsError", "RepositoryFiles", "Section",
    "Unavailable",
    "chunk_symbols", "decode_path", "display_path", "environ", "first_error_line", "hookimpl", "hookspec",
    "is_binary", "list_files", "markdown_sections", "note", "text_sections", "truncate",
]

if TYPE_CHECKING:  # pragma: no cover
    from .outputs.source import ExportSource


def __getattr__(name: str) -> Any:
    # ExportSource reads stored analyses (SQLAlchemy's ORM); imported when asked for,
    # so loading a plugin (every command does) does not pay for it.
    if name == "ExportSource":
        from .outputs.source import ExportSource

        return ExportSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

