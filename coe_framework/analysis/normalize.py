"""A repository's outcome made ready to store: normalized rows, measures and chart aggregates.

The service calls :func:`save_outcome` when a repository's analyzers are
done. Everything that calls plugin code or computes from the results happens
here, before the store's unit of work: each succeeded result's
``table_rows`` (checked and coerced against the normalized tables, a bad
one failing that result alone), the measures the plugins declare, and the
dashboard's chart aggregates. The store then writes exactly the
:class:`~coe_framework.db.records.OutcomeRecord` it is given, in one
transaction (:meth:`coe_framework.db.store.Store.save_repository_outcome`).
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ..plugin.contract import Analyzer, AnalyzerOutcome
from ..db.models import NORMALIZED_MODELS
from ..db.normalized_tables import NORMALIZED_TABLES
from ..db.records import OutcomeRecord, ResultRecord
from ..db.store import StoreError
from ..errors import first_line
from .aggregates import aggregate

if TYPE_CHECKING:  # pragma: no cover
    from ..db.store import Store
    from ..plugin.manager import PluginManager
    from .runner import RepositoryOutcome

log = logging.getLogger(__name__)


class RowsError(StoreError):
    """An analyzer's ``table_rows`` returned something the normalized tables cannot hold."""


def _coercer(column: Any) -> Callable[[Any], Any]:
    kind = column.type.python_type
    length = getattr(column.type, "length", None)

    def coerce(value: Any) -> Any:
        if value is None:
            return None
        if kind is bool:
            if isinstance(value, bool):
                return value
            raise TypeError("expected true or false")
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
                raise TypeError("expected an integer")
            return int(value)
        if kind is float:
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError("expected a number")
            return float(value)
        if not isinstance(value, str):
            raise TypeError("expected a string")
        return value[:length] if length else value

    return coerce


_COERCERS: dict[str, dict[str, Callable[[Any], Any]]] = {
    table: {key: _coercer(NORMALIZED_MODELS[table].__table__.c[key]) for key in keys}
    for table, keys in NORMALIZED_TABLES.items()
}

#: Per table, the columns ``table_rows`` must fill (NOT NULL), in column order.
_REQUIRED: dict[str, list[str]] = {
    table: [c.key for c in NORMALIZED_MODELS[table].__table__.columns if c.key in coercers and not c.nullable]
    for table, coercers in _COERCERS.items()
}


def normalize_rows(analyzer: str, tables: Any) -> dict[str, list[dict[str, Any]]]:
    """Check and coerce ``table_rows`` output; :class:`RowsError` names the first problem."""
    if not isinstance(tables, dict):
        raise RowsError(f"analyzer '{analyzer}' table_rows returned {type(tables).__name__}, expected a dict")
    out: dict[str, list[dict[str, Any]]] = {}
    for table, rows in tables.items():
        coercers = _COERCERS.get(table)
        if coercers is None:
            raise RowsError(f"analyzer '{analyzer}' table_rows named unknown table '{table}' (known: {', '.join(NORMALIZED_TABLES)})")
        if not isinstance(rows, list):
            raise RowsError(f"analyzer '{analyzer}' table_rows['{table}'] must be a list of rows")
        clean: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise RowsError(f"analyzer '{analyzer}' {table} row {index} is not a dict")
            unknown = sorted(set(row) - set(coercers))
            if unknown:
                raise RowsError(f"analyzer '{analyzer}' {table} row {index} has unknown key '{unknown[0]}'")
            values: dict[str, Any] = {}
            for key, coerce in coercers.items():
                try:
                    values[key] = coerce(row.get(key))
                except TypeError as exc:
                    raise RowsError(f"analyzer '{analyzer}' {table} row {index} key '{key}': {exc}") from None
            missing = [k for k in _REQUIRED[table] if values[k] is None]
            if missing:
                raise RowsError(f"analyzer '{analyzer}' {table} row {index} lacks required key '{missing[0]}'")
            clean.append(values)
        out[table] = clean
    return out


def result_record(name: str, result: AnalyzerOutcome, analyzer: Analyzer | None) -> ResultRecord:
    """One analyzer's outcome as stored: a succeeded result carries its normalized rows.

    A succeeded result whose ``table_rows`` is invalid (or raises) is stored
    as failed with the reason; the other results are not affected.
    """
    status, error, rows = result.status, result.error, {}
    if result.ok and result.data is not None and analyzer is not None:
        try:
            rows = normalize_rows(name, analyzer.table_rows(result.data))
        except RowsError as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - a plugin's table_rows failing fails that result only
            status, error = "failed", f"analyzer '{name}' table_rows raised {type(exc).__name__}: {exc}"
    return ResultRecord(
        analyzer=name, version=result.version, options_hash=result.options_hash, status=status, data=result.data,
        error=error, duration=result.duration, cache_key=result.cache_key, cached=result.cached, stats=result.stats,
        rows=rows,
    )


def _chart_aggregates(results: Mapping[str, Any]) -> dict[str, Any] | None:
    """The dashboard's aggregates of the shown payloads; None (logged) when an aggregation raises."""
    try:
        return aggregate(results)
    except Exception as exc:  # noqa: BLE001 - derived data: the results are stored regardless
        log.warning("chart aggregates not computed: %s: %s", type(exc).__name__, first_line(exc)[:200])
        return None


def outcome_record(outcome: "RepositoryOutcome", manager: "PluginManager | None" = None,
                   earlier: Mapping[str, Any] | None = None) -> OutcomeRecord:
    """Everything to store for a repository's ``outcome``, computed before the store's unit of work.

    ``earlier`` holds the results an earlier delivery of the same job
    already stored (:meth:`~coe_framework.db.store.Store.stored_results`):
    they are kept, and the measures and aggregates cover the succeeded ones too. With a ``manager``, each succeeded result gets its
    analyzer's normalized rows and the measures its plugins declare are
    computed (:mod:`coe_framework.measures`).
    """
    analyzers = manager.analyzers if manager is not None else {}
    earlier = dict(earlier or {})
    results = [result_record(name, result, analyzers.get(name)) for name, result in outcome.outcomes.items() if name not in earlier]
    shown = {**{name: data for name, data in earlier.items() if data is not None},
             **{r.analyzer: r.data for r in results if r.status == "succeeded" and r.data is not None}}
    measures: dict[str, tuple[str, float]] = {}
    aggregates = None
    if outcome.status in ("succeeded", "partial"):
        aggregates = _chart_aggregates(shown)
        if manager is not None:
            from ..measures import catalogue

            measures = catalogue(manager).values(shown)
    return OutcomeRecord(status=outcome.status, file_count=outcome.file_count, duration=outcome.duration, results=results,
                         measures=measures, chart_aggregates=aggregates)


def save_outcome(store: "Store", repository_analysis_id: int, outcome: "RepositoryOutcome",
                 manager: "PluginManager | None" = None) -> int:
    """Normalize ``outcome`` and have the store write it in one unit of work; how many results were written.

    Results already stored for the repository analysis (a redelivered job)
    are left as they are. :class:`~coe_framework.db.store.NotFound` when the
    repository analysis does not exist.
    """
    earlier = store.stored_results(repository_analysis_id)
    return store.save_repository_outcome(repository_analysis_id, outcome_record(outcome, manager, earlier))
