"""The ast plugin's RAG documents: source code chunks on symbol boundaries.

Each file the ast analyzer described is read at the analysed commit and cut
with :func:`coe_framework.plugin.rag_helpers.chunk_symbols`: one chunk per top-level
symbol, containers over the size cap split on their members, functions
never split (truncated with a marker when over the cap), and the code
between symbols as module chunks. Each chunk carries the symbol's metrics.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from coe_framework.outputs import result_views as views
from coe_framework.plugin_api import Chunk, DEFAULT_MAX_CHARS, RepositoryFiles, chunk_symbols, hookimpl


def chunk_metadata(path: str, info: Mapping[str, Any], chunk: Chunk) -> dict[str, Any]:
    """Flat metadata of one chunk: location, symbol and its metrics."""
    symbol = chunk.symbol or {}
    metadata: dict[str, Any] = {
        "path": path,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "language": info.get("language"),
        "analyzer": views.AST,
        "chunk_role": chunk.role,
        "symbol": symbol.get("qualified_name") or symbol.get("name"),
        "symbol_kind": symbol.get("kind"),
        "complexity": views.number(symbol.get("complexity")),
        "cognitive_complexity": views.number(symbol.get("cognitive_complexity")),
        "file_maintainability": views.number(info.get("maintainability")),
    }
    if chunk.truncated:
        metadata["truncated"] = True
    return metadata


def chunk_text(path: str, info: Mapping[str, Any], chunk: Chunk) -> str:
    """A short header naming the file, lines, symbol and metrics, then the code."""
    header = f"File {path} lines {chunk.line_start}-{chunk.line_end}"
    if info.get("language"):
        header += f" ({info['language']})"
    symbol = chunk.symbol
    if symbol:
        name = symbol.get("qualified_name") or symbol.get("name")
        header += f"\n{'Part of ' if chunk.role == 'part' else ''}{symbol.get('kind', 'symbol')} {name}"
        if chunk.role == "symbol" and views.number(symbol.get("complexity")) is not None:
            header += f", cyclomatic complexity {symbol['complexity']}"
    return f"{header}\n\n{chunk.text}"


def contribute_chunks(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None], max_chars: int = DEFAULT_MAX_CHARS) -> None:
    """Register one ``code`` document per chunk of every file the ast analyzer saw."""
    files = views.ast_files(results)
    if not files:
        return
    with RepositoryFiles(repository) as tree:
        for path in sorted(files):
            source = tree.read_text(path)
            if source is None:
                continue
            info = files[path]
            for chunk in chunk_symbols(source, views.symbols(info), max_chars):
                symbol = chunk.symbol or {}
                label = symbol.get("qualified_name") or symbol.get("name") or chunk.role
                register(
                    text=chunk_text(path, info, chunk),
                    metadata=chunk_metadata(path, info, chunk),
                    kind="code",
                    key=f"code:{path}:{chunk.line_start}-{chunk.line_end}:{chunk.role}:{label}",
                )


@hookimpl
def coe_rag_documents(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None]) -> None:
    """Contribute code chunks split on the ast analyzer's symbol line ranges."""
    contribute_chunks(repository, results, register)
