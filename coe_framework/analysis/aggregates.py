"""The dashboard's chart aggregates of one repository analysis, computed from its results.

The aggregates are computed here, outside the persistence layer: by the
service before it stores an analysis (so the store writes them with the
results, :func:`coe_framework.db.chart_aggregates.write_with_measures`),
and on the first view of an analysis stored without them (:func:`chart`).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from sqlalchemy import Engine

from ..outputs.charts import REPOSITORY_CHARTS, key_figures
from ..db import chart_aggregates as stored
from ..db.chart_aggregates import FIGURES, MEASURES, VERSION

__all__ = ["COMPUTED", "FIGURES", "MEASURES", "STORED", "VERSION", "aggregate", "chart"]

#: Every aggregate computed in Python from the results.
COMPUTED = (*REPOSITORY_CHARTS, FIGURES)
#: Every aggregate stored per repository analysis (the measures are read inside the database).
STORED = (*COMPUTED, MEASURES)

Results = Mapping[str, Any]


def aggregate(results: Results) -> dict[str, Any]:
    """Every Python-computed aggregate of one repository analysis, by name, from its succeeded payloads.

    ``results`` maps an analyzer to its payload, as the dashboard reads
    them; the values are exactly what the chart functions return (the
    figures as ``[label, value]`` lists, their JSON form).
    """
    found: dict[str, Any] = {name: build(results) for name, build in REPOSITORY_CHARTS.items()}
    found[FIGURES] = [[label, value] for label, value in key_figures(results)]
    return found


def chart(engine: Engine, repository_analysis_id: int, name: str, load_results: Callable[[], Results]) -> Any:
    """One aggregate of a repository analysis: its stored row, or (first view) computed and stored.

    ``load_results`` returns the analysis' succeeded payloads by analyzer; it
    is called only when the row is absent or of another version, and then
    every aggregate of the analysis is computed and stored at once.
    :class:`KeyError` for a name that is not an aggregate.
    """
    if name not in COMPUTED:
        raise KeyError(name)
    return stored.chart(engine, repository_analysis_id, name, lambda: aggregate(load_results()))
