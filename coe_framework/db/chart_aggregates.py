"""The dashboard's chart aggregates in the database: computed once per repository analysis, read as small rows.

A repository page draws about a dozen charts, each from a small table
(:mod:`coe_framework.outputs.charts`) aggregated from the analysis' results, whose
ast document alone can be many megabytes of JSON. Decoding it on every cold
request (after a restart, in every worker process) costs most of a second,
so each aggregate is computed once and kept in ``chart_aggregates``, keyed
by repository analysis and chart name:

* when results are stored (:meth:`Store.save_repository_outcome` calls
  :func:`store_for`, in the same unit of work as the results);
* for an analysis stored before (imported, restored, or older than the
  table), on its first view (:func:`chart`), computed from the results
  and written idempotently, so concurrent first views agree.

Rows are deleted with their repository analysis (``ON DELETE CASCADE``). A
row whose ``version`` is not :data:`VERSION` is computed again: bump it when
an aggregation changes what it returns.

Besides the charts, two aggregates feed the page: ``figures`` (the headline
numbers, :func:`coe_framework.outputs.charts.key_figures`) and ``measures`` (each
portfolio measure of the analysis, read inside the database by the
portfolio's own expressions, :func:`.portfolio.analysis_measures`), which
the measure history reads instead of every stored document.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..outputs.charts import REPOSITORY_CHARTS, key_figures
from .caches import upsert
from .engine import chunks, retry_read, unit_of_work
from .models import ChartAggregate, utcnow

log = logging.getLogger(__name__)

#: The aggregation's version; stored rows of another version are computed again.
VERSION = 1
#: The page's headline figures and the analysis' portfolio measures, stored like the charts.
FIGURES, MEASURES = "figures", "measures"
#: Every aggregate computed in Python from the results.
COMPUTED = (*REPOSITORY_CHARTS, FIGURES)
#: Every aggregate stored per repository analysis.
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


def _rows(repository_analysis_id: int, aggregates: Mapping[str, Any]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"repository_analysis_id": repository_analysis_id, "chart": name, "version": VERSION, "data": data, "created_at": now}
            for name, data in aggregates.items()]


def write(session: Session, repository_analysis_id: int, aggregates: Mapping[str, Any]) -> None:
    """Store aggregates of one repository analysis, replacing rows of the same charts (idempotent)."""
    upsert(session, ChartAggregate.__table__, _rows(repository_analysis_id, aggregates), update=("version", "data", "created_at"))


def store_for(session: Session, repository_analysis_id: int, results: Results) -> None:
    """Compute and store every aggregate of a repository analysis whose results ``session`` has just written.

    Runs inside the unit of work that stores the results (after a flush), so
    the measures are read from the very rows being committed.
    """
    from .portfolio import analysis_measures

    aggregates = aggregate(results)
    aggregates[MEASURES] = analysis_measures(session, [repository_analysis_id]).get(repository_analysis_id, {})
    write(session, repository_analysis_id, aggregates)


def _read(engine: Engine, fn: Callable[[Session], Any]) -> Any:
    def attempt() -> Any:
        with unit_of_work(engine) as session:
            return fn(session)

    return retry_read(attempt)


def stored(engine: Engine, repository_analysis_id: int, charts: Iterable[str]) -> dict[str, Any]:
    """The stored aggregates of the current version among ``charts`` (absent ones are left out)."""
    names = list(charts)
    query = select(ChartAggregate.chart, ChartAggregate.data).where(
        ChartAggregate.repository_analysis_id == repository_analysis_id, ChartAggregate.chart.in_(names),
        ChartAggregate.version == VERSION)
    return _read(engine, lambda s: dict(s.execute(query).all()))


#: One lock per repository analysis being computed in this process: a cold page's parallel
#: chart requests wait for the first one instead of each decoding the same documents.
_computing: dict[int, threading.Lock] = {}
_computing_guard = threading.Lock()


def chart(engine: Engine, repository_analysis_id: int, name: str, load_results: Callable[[], Results]) -> Any:
    """One aggregate of a repository analysis: its stored row, or (first view) computed and stored.

    ``load_results`` returns the analysis' succeeded payloads by analyzer; it
    is called only when the row is absent or of another version, and then
    every aggregate of the analysis is computed and stored at once. When the
    database refuses the write, the computed aggregate is still returned.
    """
    if name not in COMPUTED:
        raise KeyError(name)
    found = stored(engine, repository_analysis_id, [name])
    if name in found:
        return found[name]
    with _computing_guard:
        lock = _computing.setdefault(repository_analysis_id, threading.Lock())
    try:
        with lock:
            found = stored(engine, repository_analysis_id, [name])
            if name in found:
                return found[name]
            aggregates = aggregate(load_results())
            try:
                with unit_of_work(engine, write=True) as session:
                    write(session, repository_analysis_id, aggregates)
            except SQLAlchemyError as exc:
                log.warning("chart aggregates of repository analysis %s not stored: %s", repository_analysis_id, type(exc).__name__)
            return aggregates[name]
    finally:
        with _computing_guard:
            _computing.pop(repository_analysis_id, None)


def measures(engine: Engine, repository_analysis_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The portfolio measures of each repository analysis: stored rows, the missing ones computed and stored."""
    from .portfolio import analysis_measures

    ids = sorted(set(repository_analysis_ids))

    def read(session: Session) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for chunk in chunks(ids):
            found.update(session.execute(select(ChartAggregate.repository_analysis_id, ChartAggregate.data).where(
                ChartAggregate.repository_analysis_id.in_(chunk), ChartAggregate.chart == MEASURES,
                ChartAggregate.version == VERSION)).all())
        return found

    found = _read(engine, read) if ids else {}
    missing = [i for i in ids if i not in found]
    if not missing:
        return found

    def compute(session: Session) -> dict[int, dict[str, Any]]:
        computed: dict[int, dict[str, Any]] = {}
        for chunk in chunks(missing):
            computed.update(analysis_measures(session, chunk))
        return computed

    try:
        with unit_of_work(engine, write=True) as session:
            computed = compute(session)
            for ra_id, values in computed.items():
                write(session, ra_id, {MEASURES: values})
    except SQLAlchemyError as exc:
        log.warning("measures of %d repository analyses not stored: %s", len(missing), type(exc).__name__)
        computed = _read(engine, compute)
    return {**found, **computed}
