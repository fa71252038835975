"""The watch scheduler's and webhooks' settings, read from ``COE_WATCH_*`` / ``COE_WEBHOOK_*``."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from ..errors import BadInput
from ..settings import read_number


class WatchConfigError(BadInput, ValueError):
    """A watch setting is unusable (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def _number(env: Mapping[str, str], name: str, default: float, minimum: float) -> float:
    return read_number(env, name, default, minimum=minimum, error=WatchConfigError)


@dataclass(frozen=True)
class WatchSettings:
    """What shapes the scheduler and the webhook endpoints."""

    #: Run the scheduler in ``coe serve`` and ``coe worker`` (``COE_WATCH_SCHEDULER``).
    enabled: bool = True
    #: Seconds between scheduler passes (``COE_WATCH_TICK_SECONDS``).
    tick_seconds: float = 30.0
    #: ``git ls-remote`` processes at once (``COE_WATCH_CONCURRENCY``).
    concurrency: int = 8
    #: Seconds one ``ls-remote`` may take before it is killed (``COE_WATCH_CHECK_TIMEOUT``).
    check_timeout: float = 30.0
    #: Longest wait after repeated failures (``COE_WATCH_MAX_BACKOFF_SECONDS``).
    max_backoff_seconds: float = 86_400.0
    #: Watches checked per batch; the leader lease is renewed between batches (``COE_WATCH_BATCH``).
    batch_size: int = 200
    #: Fernet key for webhook secrets (``COE_WEBHOOK_SECRET_KEY``); unset: HMAC webhooks are off.
    secret_key: str | None = None
    #: Largest webhook body accepted (``COE_WEBHOOK_MAX_BYTES``; GitHub caps its payloads at 25 MB).
    webhook_max_bytes: int = 25 * 1024 * 1024
    #: Days accepted delivery ids are kept for replay protection (``COE_WEBHOOK_DELIVERY_RETENTION_DAYS``).
    delivery_retention_days: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "WatchSettings":
        """Settings from ``env`` (default: the environment and ``coe.toml``); :class:`WatchConfigError` for a bad value."""
        if env is None:
            from .. import settings

            env = settings.environ()
        flag = env.get("COE_WATCH_SCHEDULER", "on").strip().lower()
        if flag not in {"1", "true", "yes", "on", "0", "false", "no", "off", ""}:
            raise WatchConfigError(f"COE_WATCH_SCHEDULER must be on or off, got {flag!r}")
        return cls(
            enabled=flag in {"1", "true", "yes", "on", ""},
            tick_seconds=_number(env, "COE_WATCH_TICK_SECONDS", 30.0, 0.05),
            concurrency=int(_number(env, "COE_WATCH_CONCURRENCY", 8, 1)),
            check_timeout=_number(env, "COE_WATCH_CHECK_TIMEOUT", 30.0, 1),
            max_backoff_seconds=_number(env, "COE_WATCH_MAX_BACKOFF_SECONDS", 86_400.0, 60),
            batch_size=int(_number(env, "COE_WATCH_BATCH", 200, 1)),
            secret_key=env.get("COE_WEBHOOK_SECRET_KEY", "").strip() or None,
            webhook_max_bytes=int(_number(env, "COE_WEBHOOK_MAX_BYTES", 25 * 1024 * 1024, 1024)),
            delivery_retention_days=_number(env, "COE_WEBHOOK_DELIVERY_RETENTION_DAYS", 30.0, 0),
        )
