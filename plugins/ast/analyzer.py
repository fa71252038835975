"""The ``ast`` file analyzer: code structure and complexity of every source file."""
from __future__ import annotations

import fnmatch
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel

from coe_framework.plugin_api import FileAnalyzer

from .languages import language_of
from .models import AstOptions, AstResult
from .python_analysis import analyze_python
from .repository_summary import summarize
from .result_bounds import bound_result, parent_name
from .treesitter_analysis import analyze_treesitter

if TYPE_CHECKING:  # pragma: no cover
    from coe_framework.plugin_api import AnalysisContext, FileEntry

#: Width of the ``ast_nodes`` name columns.
_COLUMN = 2048
_FILE_ROW_KEYS = ("language", "sloc", "complexity", "max_complexity", "maintainability", "functions", "error")


class AstAnalyzer(FileAnalyzer):
    """Symbols, cyclomatic and cognitive complexity, Halstead, raw line counts and
    the maintainability index for Python (radon's definitions), and symbols,
    complexity and imports for eleven more languages through tree-sitter."""

    name: ClassVar[str] = "ast"
    version: ClassVar[str] = "1.1"  # 1.1: a symbol's parent is an index; depth and size caps; radon continuation lines; C++ compile-time conditions
    description: ClassVar[str] = "Code structure and complexity: radon-exact Python metrics, tree-sitter for other languages"
    Options: ClassVar[type[BaseModel]] = AstOptions
    Result: ClassVar[type[BaseModel]] = AstResult
    # The summary is made from the per-file outputs, their paths and blob SHAs and the options only.
    pure_aggregate: ClassVar[bool] = True

    def file_limits(self, options: BaseModel) -> tuple[int, float]:
        """The size and time caps come from the options."""
        assert isinstance(options, AstOptions)
        return options.max_file_size, options.file_timeout

    def select(self, entry: "FileEntry", options: BaseModel) -> bool:
        """Files in a supported (and selected) language that no exclude pattern matches."""
        assert isinstance(options, AstOptions)
        language = language_of(entry.path)
        if language is None:
            return False
        if options.languages is not None and language not in options.languages:
            return False
        return not any(fnmatch.fnmatchcase(entry.path, pattern) for pattern in options.exclude)

    def analyze_file(self, path: str, data: bytes, options: BaseModel) -> dict[str, Any]:
        """Metrics for one file; a file that cannot be analyzed gets an ``error`` key."""
        assert isinstance(options, AstOptions)
        language = language_of(path)
        if language is None:
            return {"error": "not a supported language"}
        try:
            if language == "python":
                result = analyze_python(data, options.max_depth)
            else:
                result = analyze_treesitter(language, data, options.file_timeout, options.max_depth)
        except RecursionError:
            return {"language": language, "error": "nesting too deep to analyze", "loc": data.count(b"\n")}
        result["size"] = len(data)
        return bound_result(result, options.max_result_size)

    def aggregate(self, ctx: "AnalysisContext", files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Per-file results (with their blob SHA) plus the repository summary."""
        assert isinstance(ctx.options, AstOptions)
        shas = {entry.path: entry.sha for entry in ctx.regular_files()}
        for path, result in files.items():
            result.setdefault("language", language_of(path))
            if path in shas:
                result["blob_sha"] = shas[path]
        return {"files": files, **summarize(files, ctx.options.top_n)}

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """One ``code_files`` row per file and one ``ast_nodes`` row per symbol."""
        code_files: list[dict[str, Any]] = []
        ast_nodes: list[dict[str, Any]] = []
        for path, result in (data.get("files") or {}).items():
            row = {"path": path, "size": result.get("size"), "lines": result.get("loc"), "blob_sha": result.get("blob_sha")}
            row.update({key: result.get(key) for key in _FILE_ROW_KEYS})
            code_files.append(row)
            symbols = result.get("symbols") or []
            for symbol in symbols:
                ast_nodes.append({
                    "path": path,
                    "kind": symbol["kind"],
                    "name": symbol["name"][:_COLUMN],
                    "qualified_name": symbol["qualified_name"][:_COLUMN],
                    "line_start": symbol["line_start"],
                    "line_end": symbol["line_end"],
                    "parent": parent_name(symbols, symbol),
                    "complexity": symbol.get("complexity"),
                    "cognitive_complexity": symbol.get("cognitive_complexity"),
                })
        return {"code_files": code_files, "ast_nodes": ast_nodes}

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        """Headline figures: files, functions, mean and p90 complexity, errors."""
        totals = data.get("totals") or {}
        percentiles = data.get("complexity_percentiles") or {}
        return {
            "files": totals.get("files", 0),
            "functions": totals.get("functions", 0),
            "mean_cc": percentiles.get("mean", 0.0),
            "p90_cc": percentiles.get("p90", 0),
            "max_cc": percentiles.get("max", 0),
            "errors": totals.get("errors", 0),
        }
