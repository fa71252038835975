"""What the repository page shows of third-party analyzers, and the chart tables it draws.

The chart aggregation itself lives in :mod:`coe_framework.outputs.charts` (the
store computes it when results are stored); its names are re-exported here
for the dashboard's routes and templates.
"""
from __future__ import annotations

from typing import Any, Mapping

from coe_framework.outputs import result_views as views
from coe_framework.outputs.charts import (  # noqa: F401  (re-exported for the dashboard)
    BINS,
    MAX_POINTS,
    MAX_ROWS,
    MAX_TREE_FILES,
    RANKS,
    REPOSITORY_CHARTS,
    Table,
    activity,
    code_age,
    complexity_histogram,
    coupling,
    dependencies,
    file_details,
    file_tree,
    hotspots,
    key_figures,
    languages,
    ownership,
    rank_of,
    ranks,
    table,
    worst_functions,
)

#: Analyzers the repository page draws charts for; every other analyzer gets the generic view.
BUILT_IN = frozenset({views.GIT, views.AST, views.TECHSPEC})
#: Rows of each normalized table a plugin's generic view shows.
PLUGIN_ROWS = 100


def plugin_views(results: Mapping[str, Any], analyzers: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Third-party analyzers' results as the analyzer declares them: its ``summary`` and its ``table_rows``.

    No UI code is needed from the plugin. An analyzer that is not installed
    in this process, or whose ``summary``/``table_rows`` raises, is shown
    with the reason instead of breaking the page.
    """
    shown = []
    for name in sorted(set(results) - BUILT_IN):
        analyzer = analyzers.get(name)
        entry: dict[str, Any] = {"name": name, "summary": [], "tables": [], "error": None}
        if analyzer is None:
            entry["error"] = f"the analyzer '{name}' is not installed in this server, so its result cannot be described"
            shown.append(entry)
            continue
        try:
            summary = analyzer.summary(results[name]) or {}
            tables = analyzer.table_rows(results[name]) or {}
        except Exception as exc:  # noqa: BLE001 - a plugin's failure shows as its own message only
            entry["error"] = f"{type(exc).__name__} while describing the result"
            shown.append(entry)
            continue
        entry["summary"] = [(str(k), v) for k, v in summary.items() if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        for table_name, rows in sorted(tables.items()):
            rows = [r for r in rows if isinstance(r, Mapping)] if isinstance(rows, list) else []
            keys = sorted({k for r in rows[:PLUGIN_ROWS] for k in r})
            entry["tables"].append({"table": table_name, "total": len(rows),
                                    **table(((k, k.replace("_", " ")) for k in keys), [dict(r) for r in rows[:PLUGIN_ROWS]])})
        shown.append(entry)
    return shown


#: Rows of a plugin panel shown at most.
PANEL_ROWS = 500


def _panel(plugin: str, panel: Any) -> dict[str, Any]:
    """A ``coe_dashboard_panels`` contribution checked and reduced to text and numbers (ValueError when malformed)."""
    if not isinstance(panel, Mapping) or not isinstance(panel.get("title"), str) or not panel["title"].strip():
        raise ValueError("a panel needs a 'title' string")
    figures = panel.get("figures") or {}
    columns = panel.get("columns") or []
    rows = panel.get("rows") or []
    if not isinstance(figures, Mapping) or not isinstance(columns, list) or not isinstance(rows, list):
        raise ValueError("'figures' must be a mapping, 'columns' and 'rows' lists")
    scalar = (str, int, float)
    columns = [str(c) for c in columns]
    return {
        "plugin": plugin,
        "title": panel["title"].strip()[:200],
        "figures": [(str(k)[:100], v) for k, v in figures.items() if isinstance(v, scalar) and not isinstance(v, bool)],
        **table(((c, c) for c in columns), [{c: r.get(c) if isinstance(r.get(c), scalar) else None for c in columns}
                                           for r in rows[:PANEL_ROWS] if isinstance(r, Mapping)]),
    }


def plugin_panels(manager: Any, repository: Mapping[str, Any], results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The panels plugins contribute through ``coe_dashboard_panels``, each attributed to its plugin."""
    panels: list[dict[str, Any]] = []
    manager.collect("coe_dashboard_panels", lambda plugin, panel: panels.append(_panel(plugin, panel)),
                    repository={k: repository.get(k) for k in ("id", "url", "name")}, results=dict(results))
    return panels
