"""The dashboard's chart aggregates in the database: computed once per repository analysis, read as small rows.

A repository page draws about a dozen charts, each from a small table
aggregated from the analysis' results (computed outside the persistence
layer, :mod:`coe_framework.analysis.aggregates`), whose
ast document alone can be many megabytes of JSON. Decoding it on every cold
request (after a restart, in every worker process) costs most of a second,
so each aggregate is computed once and kept in ``chart_aggregates``, keyed
by repository analysis and chart name:

* when results are stored (:meth:`Store.save_repository_outcome` calls
  :func:`write_with_measures` with the aggregates the service computed, in
  the same unit of work as the results);
* for an analysis stored before (imported, restored, or older than the
  table), on its first view (:func:`chart`), computed by the caller's
  function and written idempotently, so concurrent first views agree.

Rows are deleted with their repository analysis (``ON DELETE CASCADE``). A
row whose ``version`` is not :data:`VERSION` is computed again: bump it when
an aggregation changes what it returns.

Besides the charts, two aggregates feed the page: ``figures`` (the headline
numbers) and ``measures`` (each portfolio measure of the analysis, read
inside the database by the portfolio's own expressions,
:func:`.headline.analysis_measures`), which the measure history reads
instead of every stored document.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterable, Mapping

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from .engine import chunks, read, unit_of_work
from .headline import analysis_measures
from .models import ChartAggregate, utcnow
from .upsert import upsert

log = logging.getLogger(__name__)

#: The aggregation's version; stored rows of another version are computed again.
VERSION = 1
#: The page's headline figures and the analysis' portfolio measures, stored like the charts.
FIGURES, MEASURES = "figures", "measures"


def _rows(repository_analysis_id: int, aggregates: Mapping[str, Any]) -> list[dict[str, Any]]:
    now = utcnow()
    return [{"repository_analysis_id": repository_analysis_id, "chart": name, "version": VERSION, "data": data, "created_at": now}
            for name, data in aggregates.items()]


def write(session: Session, repository_analysis_id: int, aggregates: Mapping[str, Any]) -> None:
    """Store aggregates of one repository analysis, replacing rows of the same charts (idempotent)."""
    upsert(session, ChartAggregate.__table__, _rows(repository_analysis_id, aggregates), update=("version", "data", "created_at"))


def write_with_measures(session: Session, repository_analysis_id: int, aggregates: Mapping[str, Any]) -> None:
    """Store ``aggregates`` of a repository analysis whose results ``session`` has just written, and its measures.

    Runs inside the unit of work that stores the results (after a flush), so
    the measures are read from the very rows being committed.
    """
    rows = dict(aggregates)
    rows[MEASURES] = analysis_measures(session, [repository_analysis_id]).get(repository_analysis_id, {})
    write(session, repository_analysis_id, rows)


def stored(engine: Engine, repository_analysis_id: int, charts: Iterable[str]) -> dict[str, Any]:
    """The stored aggregates of the current version among ``charts`` (absent ones are left out)."""
    names = list(charts)
    query = select(ChartAggregate.chart, ChartAggregate.data).where(
        ChartAggregate.repository_analysis_id == repository_analysis_id, ChartAggregate.chart.in_(names),
        ChartAggregate.version == VERSION)
    return read(engine, lambda s: dict(s.execute(query).all()))


#: One lock per repository analysis being computed in this process: a cold page's parallel
#: chart requests wait for the first one instead of each decoding the same documents.
_computing: dict[int, threading.Lock] = {}
_computing_guard = threading.Lock()


def chart(engine: Engine, repository_analysis_id: int, name: str, compute: Callable[[], Mapping[str, Any]]) -> Any:
    """One aggregate of a repository analysis: its stored row, or (first view) computed and stored.

    ``compute`` returns every computed aggregate of the analysis by name; it
    is called only when the row is absent or of another version, and then
    every aggregate it returns is stored at once. When the database refuses
    the write, the computed aggregate is still returned.
    """
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
            aggregates = compute()
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
    ids = sorted(set(repository_analysis_ids))

    def fetch(session: Session) -> dict[int, dict[str, Any]]:
        found: dict[int, dict[str, Any]] = {}
        for chunk in chunks(ids):
            found.update(session.execute(select(ChartAggregate.repository_analysis_id, ChartAggregate.data).where(
                ChartAggregate.repository_analysis_id.in_(chunk), ChartAggregate.chart == MEASURES,
                ChartAggregate.version == VERSION)).all())
        return found

    found = read(engine, fetch) if ids else {}
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
        computed = read(engine, compute)
    return {**found, **computed}
