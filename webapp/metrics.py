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
from typing import Any, Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select

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
        #: Scrape-time gauges (pool, cache hit ratios, API log buffer), also read by the dashboard's health page.
        self.gauges = gauges
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
        self.registry.register(StateCollector(engine, gauges))

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)


def pool_gauges(engine: Engine) -> list[tuple[str, str, dict[str, str], float]]:
    """Checked-out and idle connections of a QueuePool (nothing for other pools)."""
    pool = engine.pool
    out = []
    for attr, state in (("checkedout", "in_use"), ("checkedin", "idle"), ("overflow", "overflow")):
        getter = getattr(pool, attr, None)
        if callable(getter):
            out.append(("coe_db_pool_connections", "Database pool connections", {"state": state}, float(getter())))
    return out
