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

import importlib
from typing import TYPE_CHECKING, Any

#: Each public name and the module it comes from. Names are imported when first
#: used, so a plugin module that imports ``hookimpl`` from here costs what importing
#: the hook markers costs: loading every plugin (which every command does) stays cheap.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(("BadInput", "CoeError", "Conflict", "NotFound", "Unavailable"), ".errors"),
    "note": ".cli.progress",
    "Measure": ".measures.registry",
    **dict.fromkeys(("ExportError", "ExportFormat", "ExportOption"), ".outputs.formats"),
    "ExportSource": ".outputs.source",
    **dict.fromkeys(("AnalysisContext", "FileEntry", "is_binary", "list_files"), ".plugin.context"),
    **dict.fromkeys(("NORMALIZED_TABLES", "Analyzer", "AnalyzerError", "FileAnalyzer", "OptionsError"), ".plugin.contract"),
    "NoOptions": ".plugin.options",
    **dict.fromkeys(("hookimpl", "hookspec"), ".plugin.hookspecs"),
    **dict.fromkeys(("DEFAULT_MAX_CHARS", "Chunk", "RepositoryFiles", "Section", "chunk_symbols", "markdown_sections",
                     "text_sections", "truncate"), ".plugin.rag_helpers"),
    **dict.fromkeys(("GitError", "decode_path", "display_path", "first_error_line"), ".repository.gitutil"),
    "environ": ".settings",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - what a type checker reads; at run time __getattr__ imports
    from .cli.progress import note
    from .errors import BadInput, CoeError, Conflict, NotFound, Unavailable
    from .measures.registry import Measure
    from .outputs.formats import ExportError, ExportFormat, ExportOption
    from .outputs.source import ExportSource
    from .plugin.context import AnalysisContext, FileEntry, is_binary, list_files
    from .plugin.contract import NORMALIZED_TABLES, Analyzer, AnalyzerError, FileAnalyzer, OptionsError
    from .plugin.hookspecs import hookimpl, hookspec
    from .plugin.options import NoOptions
    from .plugin.rag_helpers import (
        DEFAULT_MAX_CHARS, Chunk, RepositoryFiles, Section, chunk_symbols, markdown_sections, text_sections, truncate,
    )
    from .repository.gitutil import GitError, decode_path, display_path, first_error_line
    from .settings import environ


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __package__), name)
    globals()[name] = value  # the next lookup is an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
