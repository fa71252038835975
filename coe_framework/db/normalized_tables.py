"""The normalized detail tables an analyzer may fill, with the keys a row may carry.

A leaf of the persistence layer (no SQLAlchemy): the plugin contract
re-exports it (``coe_framework.plugin.contract.NORMALIZED_TABLES``) and the models
map each name to its table (:data:`coe_framework.db.models.NORMALIZED_MODELS`).
"""
from __future__ import annotations

#: Per table, the keys a row returned by ``Analyzer.table_rows`` may carry, in column order.
NORMALIZED_TABLES: dict[str, tuple[str, ...]] = {
    "code_files": (
        "path", "language", "size", "lines", "sloc", "blob_sha",
        "complexity", "max_complexity", "maintainability", "functions", "error",
    ),
    "ast_nodes": (
        "path", "kind", "name", "qualified_name", "line_start", "line_end",
        "parent", "complexity", "cognitive_complexity",
    ),
    "tech_dependencies": (
        "ecosystem", "name", "constraint", "version", "scope", "manifest", "license", "direct",
    ),
}
