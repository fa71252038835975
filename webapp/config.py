"""Web app settings, read once from the environment.

Every setting has a default that works on a fresh machine; ``create_app``
accepts overrides (tests, embedding). Invalid values raise
:class:`ConfigError` with a one-line reason.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Mapping

from coe_framework.errors import BadInput

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class ConfigError(BadInput, ValueError):
    """A web setting is unusable (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def is_loopback_host(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split_bind(bind: str) -> tuple[str, int]:
    """``HOST:PORT`` (IPv6 in brackets) to its parts."""
    host, sep, port = bind.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"COE_BIND must look like HOST:PORT, got {bind!r}")
    return host.strip("[]"), int(port)


def _default_flows_dir() -> str:
    from platformdirs import user_data_dir

    return str(Path(user_data_dir("coe", appauthor=False)) / "flows")


@dataclass(frozen=True)
class WebSettings:
    """What shapes the web app; :meth:`from_env` reads ``COE_*`` variables."""

    database_url: str | None = None
    bind: str = "127.0.0.1:8000"
    #: ``on`` (bearer tokens) or ``off`` (loopback only, single local user).
    auth: str = "on"
    #: Seconds a verified token stays trusted in this process (revocation elsewhere is seen after this).
    auth_cache_ttl: float = 5.0
    #: Seconds past ``auth_cache_ttl`` a verified token stays trusted while the database is unreachable.
    auth_outage_grace: float = 300.0
    max_body_bytes: int = 1024 * 1024
    #: The request budget of each token (or client address) across the whole API (a `limits` string).
    rate_limit: str = "6000 per minute"
    rate_limit_enabled: bool = True
    redis_url: str | None = None
    #: Browser origins allowed to call the API (comma-separated, ``*`` for any); empty: no CORS.
    cors_origins: str = ""
    flows_dir: str = ""
    api_log_enabled: bool = True
    api_log_buffer: int = 10_000
    api_log_batch: int = 500
    api_log_interval: float = 1.0
    #: Days API call logs are kept (0: forever); older rows are deleted hourly by each worker.
    api_log_retention_days: float = 30.0
    #: Finished result documents kept serialized in memory (entries).
    result_cache_entries: int = 512
    #: How often a cached result document re-checks that its analysis still exists (seconds).
    result_recheck_seconds: float = 10.0
    #: Analysis listings are answered from a per-process micro-cache this long (seconds; 0: off).
    list_cache_seconds: float = 1.0
    page_default: int = 50
    page_max: int = 200
    #: Longest an event stream stays open, and how often it polls.
    events_max_seconds: float = 3600.0
    events_poll_seconds: float = 0.5
    check_migrations: bool = True
    retry_after_seconds: int = 5
    #: Mount the original services' routes (/flows/*, /api/v1/analyze, /api/v1/results, ...).
    legacy_routes: bool = True
    #: Serve those routes without a token to loopback clients (a local migration aid; never behind a proxy).
    legacy_loopback_without_token: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "WebSettings":
        """Settings from ``env`` (default: the environment and the settings file, :func:`coe_framework.settings.environ`); keyword overrides win."""
        if env is None:
            from coe_framework.settings import environ

            env = environ()
        names = {
            "database_url": "COE_DATABASE_URL",
            "bind": "COE_BIND",
            "auth": "COE_AUTH",
            "auth_cache_ttl": "COE_AUTH_CACHE_TTL",
            "auth_outage_grace": "COE_AUTH_OUTAGE_GRACE",
            "max_body_bytes": "COE_MAX_BODY_BYTES",
            "rate_limit": "COE_RATE_LIMIT",
            "rate_limit_enabled": "COE_RATE_LIMIT_ENABLED",
            "redis_url": "COE_REDIS_URL",
            "cors_origins": "COE_CORS_ORIGINS",
            "flows_dir": "COE_FLOWS_DIR",
            "api_log_enabled": "COE_API_LOG",
            "api_log_buffer": "COE_API_LOG_BUFFER",
            "api_log_batch": "COE_API_LOG_BATCH",
            "api_log_interval": "COE_API_LOG_INTERVAL",
            "api_log_retention_days": "COE_API_LOG_RETENTION_DAYS",
            "result_cache_entries": "COE_RESULT_CACHE_ENTRIES",
            "result_recheck_seconds": "COE_RESULT_RECHECK_SECONDS",
            "list_cache_seconds": "COE_LIST_CACHE_SECONDS",
            "check_migrations": "COE_CHECK_MIGRATIONS",
            "legacy_routes": "COE_LEGACY_ROUTES",
            "legacy_loopback_without_token": "COE_LEGACY_LOOPBACK_WITHOUT_TOKEN",
        }
        kinds = {f.name: f.type for f in fields(cls)}
        values: dict[str, Any] = {}
        for field, var in names.items():
            raw = env.get(var, "").strip()
            if not raw:
                continue
            values[field] = _convert(var, raw, kinds[field])
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        if not settings.flows_dir:
            settings = replace(settings, flows_dir=_default_flows_dir())
        settings.check()
        return settings

    def check(self) -> None:
        """Refuse combinations that would be unsafe or cannot work."""
        if self.auth not in ("on", "off"):
            raise ConfigError(f"COE_AUTH must be 'on' or 'off', got {self.auth!r}")
        host, _port = split_bind(self.bind)
        if self.auth == "off" and not is_loopback_host(host):
            raise ConfigError(f"COE_AUTH=off is only allowed when bound to loopback, not {host!r}")
        if self.max_body_bytes < 1024:
            raise ConfigError("COE_MAX_BODY_BYTES must be at least 1024")
        if self.auth_outage_grace < 0:
            raise ConfigError("COE_AUTH_OUTAGE_GRACE must be 0 or more seconds")
        if self.api_log_buffer < 1 or self.api_log_batch < 1:
            raise ConfigError("COE_API_LOG_BUFFER and COE_API_LOG_BATCH must be positive")
        if self.api_log_retention_days < 0:
            raise ConfigError("COE_API_LOG_RETENTION_DAYS must be 0 (keep forever) or a number of days")

    @property
    def auth_enabled(self) -> bool:
        return self.auth == "on"


def _convert(var: str, raw: str, kind: Any) -> Any:
    text = str(kind)
    if "bool" in text:
        lowered = raw.lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise ConfigError(f"{var} must be on or off, got {raw!r}")
    try:
        if "int" in text:
            return int(raw)
        if "float" in text:
            return float(raw)
    except ValueError:
        raise ConfigError(f"{var} must be a number, got {raw!r}") from None
    return raw
