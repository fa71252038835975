"""Analyzers for persistence tests: one that fills every normalized table, one that breaks the contract."""
from __future__ import annotations

from typing import Any

from coe_framework.plugin.contract import Analyzer, FileAnalyzer


class Inventory(FileAnalyzer):
    """Per-file line counts, turned into code_files, ast_nodes and tech_dependencies rows."""

    name = "inventory"
    version = "1"

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        return {"lines": data.count(b"\n"), "size": len(data)}

    def aggregate(self, ctx: Any, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"files": files}

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        files = data["files"]
        return {
            "code_files": [
                {"path": p, "language": "Python" if p.endswith(".py") else None, "lines": f.get("lines"), "size": f.get("size")}
                for p, f in files.items()
            ],
            "ast_nodes": [
                {"path": p, "kind": "module", "name": p.rsplit("/", 1)[-1], "line_start": 1, "line_end": f.get("lines")}
                for p, f in files.items() if p.endswith(".py")
            ],
            "tech_dependencies": [{"ecosystem": "pypi", "name": "requests", "constraint": ">=2", "scope": "runtime", "direct": True}],
        }


class BadRows(Analyzer):
    """Succeeds, but its table_rows uses a key the tables do not have."""

    name = "badrows"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"ok": True}

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"code_files": [{"path": "a.py", "colour": "red"}]}
