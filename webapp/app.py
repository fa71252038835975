"""The application factory: ``flask --app coe_webapp:create_app run`` or ``coe serve``."""
from __future__ import annotations

import atexit
import itertools
import os
import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Callable

from apiflask import APIFlask
from flask import Response, current_app, g, request
from sqlalchemy import Engine
from werkzeug.routing import IntegerConverter

from coe_framework.analysis.cache import MemoryCache
from coe_framework.db.engine import redacted
from coe_framework.analysis.process_store import store_for
from coe_framework.db.store import Store
from coe_framework.db.models import utcnow
from coe_framework.plugin.manager import PluginManager, get_manager

from . import compression, openapi, problems, ratelimit
from .apilog import ApiLogBuffer
from .auth import TokenVerifier, rate_limit_key
from .config import WebSettings
from .database import db
from .metrics import Metrics, pool_gauges
from .result_documents import ResultDocuments

log = logging.getLogger(__name__)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
#: Request ids: a random per-process prefix and a counter (no system call per request).
_ID_PREFIX = uuid.uuid4().hex[:16]
_id_counter = itertools.count(1)


def _new_id_prefix() -> None:
    global _ID_PREFIX
    _ID_PREFIX = uuid.uuid4().hex[:16]


os.register_at_fork(after_in_child=_new_id_prefix)  # a forked worker never repeats its parent's ids
#: Media types a JSON body may carry.
_JSON_TYPES = ("application/json", "application/merge-patch+json")


#: What an id too large for a 64-bit column becomes: ids start at 1, so it is never found.
ID_NEVER_FOUND = 0


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` ids that fit a 64-bit column; a larger number is simply not found (404).

    The number is not refused while matching: Werkzeug would then report the
    path's other methods as 405 (a DELETE on a too-large id). It becomes
    :data:`ID_NEVER_FOUND` instead, and every view answers 404 for it.
    """

    LIMIT = 2**63 - 1

    def __init__(self, url_map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None, signed: bool = False):  # noqa: A002
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        return number if number <= self.LIMIT else ID_NEVER_FOUND


class StartupError(RuntimeError):
    """The app cannot start (bad settings, database not migrated); one line."""


@dataclass
class CoeWeb:
    """Everything the views share, in ``app.extensions["coe"]``."""

    settings: WebSettings
    engine: Engine
    store: Store
    verifier: TokenVerifier
    api_log: ApiLogBuffer | None
    results: ResultDocuments
    metrics: Metrics
    #: The API's request budget (None when COE_RATE_LIMIT_ENABLED is off).
    limiter: ratelimit.RateLimiter | None
    manager_factory: Callable[[], PluginManager] = get_manager
    submit: Callable[[int], Any] | None = None
    cancel: Callable[[int], Any] | None = None
    #: The analyses listing micro-cache (query string -> (time, body, headers)).
    listings: MemoryCache = field(default_factory=lambda: MemoryCache(max_entries=256))

    @property
    def manager(self) -> PluginManager:
        return self.manager_factory()

    def shutdown(self) -> None:
        """Flush the API log buffer (graceful shutdown)."""
        if self.api_log is not None:
            self.api_log.close()


def _check_migrations(engine: Engine) -> None:
    from coe_migrate.migrate import MigrationError, check_startup

    try:
        check_startup(engine)
    except MigrationError as exc:
        raise StartupError(f"database {redacted(engine.url)} is not ready: {exc}") from None


def create_app(settings: WebSettings | None = None, **overrides: Any) -> APIFlask:
    """Build the app from the environment; ``overrides`` replace settings fields.

    Refuses to start (:class:`StartupError`) when the database's migrations do
    not validate or are not applied.
    """
    settings = settings or WebSettings.from_env(**overrides)
    app = APIFlask("coe_webapp", title="CoE API", version=_version(), docs_path="/docs", spec_path="/openapi.json")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=settings.database_url or _default_url(),
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        SECURITY_SCHEMES={"BearerAuth": {"type": "http", "scheme": "bearer", "description": "A CoE token (coe_...)"}},
        DESCRIPTION=openapi.DESCRIPTION,
        AUTO_404_RESPONSE=True,
        VALIDATION_ERROR_STATUS_CODE=422,
    )
    app.request_class = problems.JsonRequest
    app.url_map.converters["int"] = BoundedIntConverter
    db.init_app(app)
    with app.app_context():
        engine = db.engine
    if settings.check_migrations:
        _check_migrations(engine)
    limiter = _rate_limiter(settings)
    _install_cors(app, settings)
    problems.install(app, settings.retry_after_seconds)
    _install_request_hooks(app, limiter)
    api_log = (
        ApiLogBuffer(
            engine,
            capacity=settings.api_log_buffer,
            batch_size=settings.api_log_batch,
            interval=settings.api_log_interval,
            retention=timedelta(days=settings.api_log_retention_days) if settings.api_log_retention_days > 0 else None,
        )
        if settings.api_log_enabled
        else None
    )
    verifier = TokenVerifier(settings.auth_cache_ttl, settings.auth_outage_grace)

    store = store_for(engine)  # the process's cache of this database, shared with the job runtime
    results = ResultDocuments(store, settings.result_cache_entries, settings.result_recheck_seconds)

    def gauges() -> list[tuple[str, str, dict[str, str], float]]:
        out = pool_gauges(engine)
        ratios = {"web_results": results.cache.hit_ratio, "store": float(store.cache_stats().get("hit_ratio") or 0.0)}
        if verifier.cache is not None:
            ratios["tokens"] = verifier.cache.hit_ratio
        for name, ratio in ratios.items():
            out.append(("coe_cache_hit_ratio", "Hit ratio of a cache in this process", {"cache": name}, ratio))
        if api_log is not None:
            for key, value in api_log.stats().items():
                out.append(("coe_api_log_rows", "API log buffer counters", {"state": key}, float(value)))
        return out

    coe = CoeWeb(settings, engine, store, verifier, api_log, results, Metrics(engine, gauges), limiter)
    _default_executor(coe)
    app.extensions["coe"] = coe
    openapi.install(app)
    # Compressed bodies are smaller than the documents; two algorithms' worth per cached document.
    compression.install(app, kept_bodies=2 * settings.result_cache_entries)
    from .api import register_blueprints

    register_blueprints(app)
    if api_log is not None:
        atexit.register(api_log.close)
    return app


def _default_executor(coe: CoeWeb) -> None:
    """Hand queued requests to the job executor configured for this process."""
    try:
        from coe_framework import jobs
    except ImportError:  # the jobs module ships with the same distribution; guard for partial installs
        log.warning("coe_framework.jobs is not available: analyses stay queued until a worker claims them")
        return
    coe.submit = getattr(jobs, "submit", None)
    coe.cancel = getattr(jobs, "cancel", None)


def _version() -> str:
    from coe_framework import __version__

    return __version__


def _default_url() -> str:
    from coe_framework.db.engine import EngineSettings

    return EngineSettings.from_env().url


#: Headers a browser client may send, and read, across origins.
_CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-None-Match", "X-Request-ID"]
_CORS_RESPONSE_HEADERS = ["ETag", "Link", "Location", "Retry-After", "X-Request-ID", "Idempotent-Replayed"]


def _install_cors(app: APIFlask, settings: WebSettings) -> None:
    """Let the browser dashboards of ``COE_CORS_ORIGINS`` call ``/api/`` (tokens, never cookies)."""
    origins = [origin.strip() for origin in settings.cors_origins.split(",") if origin.strip()]
    if not origins:
        return
    from flask_cors import CORS

    CORS(app, resources={r"/api/*": {"origins": "*" if "*" in origins else origins}}, allow_headers=_CORS_REQUEST_HEADERS,
         expose_headers=_CORS_RESPONSE_HEADERS, supports_credentials=False, max_age=600)


def _rate_limiter(settings: WebSettings) -> ratelimit.RateLimiter | None:
    if not settings.rate_limit_enabled:
        return None
    try:
        return ratelimit.RateLimiter(settings.rate_limit, settings.redis_url)
    except ratelimit.RateLimitError as exc:
        raise StartupError(str(exc)) from None


def _install_request_hooks(app: APIFlask, limiter: ratelimit.RateLimiter | None) -> None:
    @app.before_request
    def _start() -> Response | None:
        g.started = time.perf_counter()
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else f"{_ID_PREFIX}{next(_id_counter):016x}"
        # Only the API is budgeted: probes, scrapes, docs and the dashboard work while a client is throttled.
        if request.path.startswith("/api/"):
            if limiter is not None:
                wait = limiter.retry_after(rate_limit_key())
                if wait is not None:
                    raise problems.Problem(429, "rate limit exceeded; retry later", kind="rate-limited", headers={"Retry-After": str(wait)})
            current_app.extensions["coe"].results.sweep_if_due()
        return _check_content_type()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        coe: CoeWeb = current_app.extensions["coe"]
        elapsed = time.perf_counter() - g.get("started", time.perf_counter())
        route = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
        coe.metrics.observe(route, request.method, response.status_code, elapsed)
        if coe.api_log is not None and route not in ("/metrics", "/health", "/ready"):
            principal = g.get("principal")
            coe.api_log.add(
                {
                    "request_id": g.get("request_id", "-"),
                    "session_id": principal.session_id if principal is not None else None,
                    "method": request.method[:10],
                    "route": route[:255],
                    "path": request.path[:2048],
                    "status_code": response.status_code,
                    "duration_ms": round(elapsed * 1000, 3),
                    "client_ip": (request.remote_addr or "")[:64] or None,
                    "user_agent": (request.user_agent.string or "")[:512] or None,
                    "error": (g.get("problem_detail") or "")[:500] or None,
                    "created_at": utcnow(),
                }
            )
        return response


def _check_content_type() -> Response | None:
    """415 for a request body that is not JSON on an endpoint that takes JSON."""
    if request.method not in ("POST", "PUT", "PATCH") or request.endpoint is None:
        return None
    view = current_app.view_functions.get(request.endpoint)
    spec = getattr(view, "_spec", {}) if view is not None else {}
    if not spec.get("body"):
        return None
    if spec.get("body_optional") and not request.get_data(cache=True):
        return None  # the original search takes its fields from the query string as well
    if request.mimetype in _JSON_TYPES or request.mimetype.endswith("+json"):
        return None
    return problems.problem_response(415, "the request body must be JSON (Content-Type: application/json)")
