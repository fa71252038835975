"""Prometheus metrics for ``/metrics``.

Request counts and latency histograms by route template, method and status
are recorded per request. Jobs by state, cache hit ratios, the API log buffer
and database pool usage are read when Prometheus scrapes, so they cost
nothing between scrapes. Each app has its own registry (tests build many
apps); when ``PROMETHEUS_MULTIPROC_DIR`` is set (``coe serve`` with several
workers), request metrics are aggregated across worker processes.
"""
from __future__ import annotations

import logging
import os
import time
from collections import deque
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func, select

from coe_framework.db.models import AnalysisRequest

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class StateCollector(Collector):
    """Gauges computed at scrape time from the database and in-process objects."""

    def __init__(self, engine: Engine, gauges: Callable[[], Iterable[tuple[str, str, dict[str, str], float]]]):
        self.engine = engine
        self.gauges = gauges

    def collect(self) -> Iterable[GaugeMetricFamily]:
        jobs = GaugeMetricFamily("coe_jobs", "Analysis requests by status", labels=["status"])
        try:
            with self.engine.connect() as conn:
                for status, count in conn.execute(select(AnalysisRequest.status, func.count()).group_by(AnalysisRequest.status)):
                    jobs.add_metric([status], count)
        except Exception as exc:  # noqa: BLE001 - a scrape must not fail with the database
            log.debug("jobs gauge unavailable: %s", type(exc).__name__)
        yield jobs
        families: dict[str, GaugeMetricFamily] = {}
        for name, doc, labels, value in self.gauges():
            family = families.get(name)
            if family is None:
                family = families[name] = GaugeMetricFamily(name, doc, labels=sorted(labels))
            family.add_metric([labels[k] for k in sorted(labels)], value)
        yield from families.values()


class Metrics:
    """The app's registry and its request metrics."""

    def __init__(self, engine: Engine, gauges: Callable[[], Iterable[tuple[str, str, dict[str, str], float]]]):
        self.registry = CollectorRegistry(auto_describe=True)
        #: Durations of this process's recent database statements.
        self.queries = QueryTimer(engine)

        def every_gauge() -> list[tuple[str, str, dict[str, str], float]]:
            return [*gauges(), *self.queries.gauges()]

        #: Scrape-time gauges (pool, cache hit ratios, API log buffer, query p95), also read by the dashboard's health page.
        self.gauges = every_gauge
        self.multiprocess = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
        target = None if self.multiprocess else self.registry
        kwargs: dict[str, Any] = {"registry": target}
        self.requests = Counter("coe_http_requests", "HTTP requests", ["route", "method", "status"], **kwargs)
        self.latency = Histogram(
            "coe_http_request_duration_seconds", "HTTP request latency", ["route", "method"], buckets=LATENCY_BUCKETS, **kwargs
        )
        if self.multiprocess:
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(self.registry)
        self.registry.register(StateCollector(engine, every_gauge))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


class QueryTimer:
    """How long this process's database statements take: the last ``window`` durations, for a p95.

    Listens to the engine's cursor events; a statement that raises records
    nothing (its start is overwritten by the connection's next statement).
    """

    def __init__(self, engine: Engine, window: int = 4096):
        self.durations: deque[float] = deque(maxlen=window)
        self._key = f"coe_query_started_{id(self)}"
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, *_args: Any) -> None:
        conn.info[self._key] = time.perf_counter()

    def _after(self, conn: Any, *_args: Any) -> None:
        started = conn.info.pop(self._key, None)
        if started is not None:
            self.durations.append((time.perf_counter() - started) * 1000.0)

    def p95(self) -> float | None:
        """The 95th percentile (nearest rank) of the recorded durations in milliseconds; None before any statement."""
        values = sorted(self.durations)
        if not values:
            return None
        return values[max(0, min(len(values) - 1, int(0.95 * len(values) + 0.999999) - 1))]

    def gauges(self) -> list[tuple[str, str, dict[str, str], float]]:
        p95 = self.p95()
        out = [("coe_db_queries_recorded", "Recent database statements of this process the query p95 covers", {}, float(len(self.durations)))]
        if p95 is not None:
            out.append(("coe_db_query_p95_ms", "p95 duration of this process's recent database statements (ms)", {}, round(p95, 3)))
        return out


def pool_gauges(engine: Engine) -> list[tuple[str, str, dict[str, str], float]]:
    """Checked-out and idle connections of a QueuePool (nothing for other pools)."""
    pool = engine.pool
    out = []
    for attr, state in (("checkedout", "in_use"), ("checkedin", "idle"), ("overflow", "overflow")):
        getter = getattr(pool, attr, None)
        if callable(getter):
            out.append(("coe_db_pool_connections", "Database pool connections", {"state": state}, float(getter())))
    return out
