"""Job settings from the environment, checked once with one-line errors.

``COE_EXECUTOR``                 inline | threads (default) | celery
``COE_BROKER_URL``               Celery broker: redis://, rediss://, amqp://, amqps://
``COE_JOB_THREADS``              jobs run at once by the embedded executor (default 2)
``COE_JOB_LEASE_SECONDS``        lease length; a worker silent this long is presumed dead (60)
``COE_JOB_HEARTBEAT_SECONDS``    lease renewal interval (a third of the lease)
``COE_JOB_REAP_SECONDS``         how often expired leases are looked for (15)
``COE_JOB_POLL_SECONDS``         how often an idle embedded worker looks for work (2)
``COE_JOB_FILE_WORKERS``         processes per job for file analyzers (1: none)
``COE_JOB_TIME_LIMIT``           hard limit on one Celery task, seconds (1500)
``COE_JOB_SOFT_TIME_LIMIT``      soft limit: the job stops at its next check and fails
                                 (time limit - 60, or - a fifth when shorter)
``COE_JOB_QUEUE``                Celery queue name (coe.analysis)
``COE_BROKER_VISIBILITY_TIMEOUT`` Redis: seconds before an unacknowledged task is redelivered
                                 (default: twice the time limit)
``COE_BROKER_CONSUMER_TIMEOUT``  RabbitMQ: the server's consumer_timeout, seconds (1800, the
                                 RabbitMQ default); the time limit must stay below it
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping
from urllib.parse import urlsplit

from ..errors import BadInput
from ..settings import read_number

EXECUTORS = ("inline", "threads", "celery")
REDIS_SCHEMES = ("redis", "rediss")
AMQP_SCHEMES = ("amqp", "amqps", "pyamqp")


class JobConfigError(BadInput, ValueError):
    """A job setting is missing or unusable (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    return read_number(env, name, default, minimum=minimum, error=JobConfigError)


@dataclass(frozen=True)
class JobSettings:
    """How jobs are leased and executed; :meth:`from_env` reads ``COE_*``."""

    executor: str = "threads"
    broker_url: str | None = None
    threads: int = 2
    lease_seconds: float = 60.0
    heartbeat_seconds: float = 20.0
    reap_seconds: float = 15.0
    poll_seconds: float = 2.0
    #: Celery: a request still queued this long after its message was sent, while the broker's queue
    #: is empty, lost its message and is sent again.
    resend_seconds: float = 60.0
    file_workers: int = 1
    time_limit: int = 1500
    soft_time_limit: int = 1440
    queue: str = "coe.analysis"
    visibility_timeout: int = 3000
    consumer_timeout: int = 1800
    #: Cancellation is looked up at most this often; progress written at most this often.
    cancel_check_seconds: float = 1.0
    progress_seconds: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "JobSettings":
        """Settings from ``env`` (default: the environment and the settings file, :func:`coe_framework.settings.environ`), validated."""
        if env is None:
            from ..settings import environ

            env = environ()
        executor = env.get("COE_EXECUTOR", "").strip().lower() or "threads"
        lease = _number(env, "COE_JOB_LEASE_SECONDS", 60.0, minimum=1.0)
        time_limit = int(_number(env, "COE_JOB_TIME_LIMIT", 1500, minimum=5))
        settings = cls(
            executor=executor,
            broker_url=env.get("COE_BROKER_URL", "").strip() or None,
            threads=int(_number(env, "COE_JOB_THREADS", 2, minimum=1)),
            lease_seconds=lease,
            heartbeat_seconds=_number(env, "COE_JOB_HEARTBEAT_SECONDS", lease / 3, minimum=0.1),
            reap_seconds=_number(env, "COE_JOB_REAP_SECONDS", min(15.0, lease / 2), minimum=0.1),
            poll_seconds=_number(env, "COE_JOB_POLL_SECONDS", 2.0, minimum=0.05),
            resend_seconds=_number(env, "COE_JOB_RESEND_SECONDS", 60.0, minimum=1.0),
            file_workers=int(_number(env, "COE_JOB_FILE_WORKERS", 1, minimum=1)),
            time_limit=time_limit,
            soft_time_limit=int(_number(env, "COE_JOB_SOFT_TIME_LIMIT", time_limit - min(60, time_limit // 5), minimum=1)),
            queue=env.get("COE_JOB_QUEUE", "").strip() or "coe.analysis",
            visibility_timeout=int(_number(env, "COE_BROKER_VISIBILITY_TIMEOUT", 2 * time_limit, minimum=1)),
            consumer_timeout=int(_number(env, "COE_BROKER_CONSUMER_TIMEOUT", 1800, minimum=1)),
        )
        settings.validate()
        return settings

    @property
    def broker_kind(self) -> str | None:
        """``redis``, ``amqp`` or None when no broker is configured."""
        if not self.broker_url:
            return None
        scheme = urlsplit(self.broker_url).scheme.lower()
        if scheme in REDIS_SCHEMES:
            return "redis"
        if scheme in AMQP_SCHEMES:
            return "amqp"
        return scheme or None

    def validate(self) -> None:
        """Raise :class:`JobConfigError` for a setting that cannot work."""
        if self.executor not in EXECUTORS:
            raise JobConfigError(f"COE_EXECUTOR must be one of {', '.join(EXECUTORS)}, got {self.executor!r}")
        if self.heartbeat_seconds * 2 > self.lease_seconds:
            raise JobConfigError("COE_JOB_HEARTBEAT_SECONDS must be at most half of COE_JOB_LEASE_SECONDS")
        if self.executor != "celery":
            return
        if not self.broker_url:
            raise JobConfigError("COE_EXECUTOR=celery needs COE_BROKER_URL (redis://... or amqp://...)")
        if self.broker_kind not in ("redis", "amqp"):
            raise JobConfigError("COE_BROKER_URL must be a redis://, rediss://, amqp:// or amqps:// URL")
        if self.soft_time_limit >= self.time_limit:
            raise JobConfigError("COE_JOB_SOFT_TIME_LIMIT must be below COE_JOB_TIME_LIMIT")
        # A task still running when the broker gives up on it would be delivered
        # twice (Redis) or have its channel closed (RabbitMQ): keep limits below.
        if self.broker_kind == "redis" and self.time_limit >= self.visibility_timeout:
            raise JobConfigError("COE_JOB_TIME_LIMIT must be below COE_BROKER_VISIBILITY_TIMEOUT")
        if self.broker_kind == "amqp" and self.time_limit >= self.consumer_timeout:
            raise JobConfigError("COE_JOB_TIME_LIMIT must be below COE_BROKER_CONSUMER_TIMEOUT (RabbitMQ consumer_timeout)")
