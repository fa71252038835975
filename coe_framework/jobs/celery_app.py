"""The Celery application: analysis requests on workers across machines.

The task carries only the request id; the worker claims the job's lease in
the database before running it, so a redelivered message (a worker died, a
visibility timeout passed) finds the job finished or held and does nothing.

Configuration follows the settings in :mod:`coe_framework.queue.settings`:

* late acknowledgement and ``reject_on_worker_lost``: a message is removed
  from the broker only once its job ended, and a killed worker's messages
  go back to the queue;
* prefetch 1: a worker process holds one message at a time, so a busy
  worker never sits on jobs an idle one could run;
* time limits below the broker's redelivery timeouts (Redis visibility
  timeout, RabbitMQ ``consumer_timeout``), checked at start-up: the job
  stops itself at the soft limit and fails with the reason; Celery's hard
  limit kills the process if it does not;
* priorities: interactive requests are published with a higher broker
  priority than bulk re-analysis (RabbitMQ: higher number first, on a queue
  declared with ``x-max-priority``; Redis: lower number first).

Each worker process also runs a reaper thread that returns jobs of dead
workers to the queue and publishes them again. When the broker's queue is
empty while requests have stayed queued for ``COE_JOB_RESEND_SECONDS`` since
their message was sent (or were never sent: the broker was down when they
were submitted), their messages were lost, and the reaper sends them again.

``coe worker`` starts a worker; ``celery -A coe_framework.jobs.celery_app
worker`` works too.
"""
from __future__ import annotations

import logging
import multiprocessing
import threading
from typing import Any
from urllib.parse import urlsplit

from celery import Celery
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from kombu import Queue

from ..db.models import PRIORITY_INTERACTIVE
from ..queue.settings import JobSettings

log = logging.getLogger(__name__)

TASK_NAME = "coe.run_analysis"
#: Broker priority levels used (RabbitMQ x-max-priority; Redis priority steps).
MAX_BROKER_PRIORITY = 9

_runtime: Any = None
_runtime_lock = threading.Lock()


def broker_priority(priority: int, broker_kind: str | None) -> int:
    """The message priority for a job priority (interactive 100 -> top level, bulk 0 -> bottom)."""
    level = max(0, min(MAX_BROKER_PRIORITY, round(priority * MAX_BROKER_PRIORITY / PRIORITY_INTERACTIVE)))
    # Redis (kombu) serves lower numbers first; AMQP serves higher numbers first.
    return MAX_BROKER_PRIORITY - level if broker_kind == "redis" else level


def celery_config(settings: JobSettings) -> dict[str, Any]:
    """The Celery settings for ``settings`` (broker, queue, acknowledgement, limits)."""
    queue_arguments = {"x-max-priority": MAX_BROKER_PRIORITY} if settings.broker_kind == "amqp" else None
    config: dict[str, Any] = {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": settings.queue,
        "task_queues": [Queue(settings.queue, routing_key=settings.queue, queue_arguments=queue_arguments)],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_time_limit": settings.time_limit,
        # Results and status live in the database; no result backend.
        "task_ignore_result": True,
        "task_serializer": "json",
        "accept_content": ["json"],
        # A job still running when the connection drops is redelivered elsewhere;
        # the lease keeps the second delivery from running it again.
        "worker_cancel_long_running_tasks_on_connection_loss": False,
        "worker_hijack_root_logger": False,
    }
    if settings.broker_kind == "redis":
        config["broker_transport_options"] = {
            "visibility_timeout": settings.visibility_timeout,
            "priority_steps": list(range(MAX_BROKER_PRIORITY + 1)),
            "sep": ":",
            "queue_order_strategy": "priority",
            # Messages of a dead worker come back after the visibility timeout;
            # sweep often enough that they do not wait much longer than that.
            "unacked_restore_interval": max(1, min(60, settings.visibility_timeout // 10)),
            "unacked_restore_throttle": 1,
            # A sweep holds a Redis lock for milliseconds; a worker killed while
            # holding it must not block every other worker's sweeps for long.
            "unacked_mutex_expire": max(2, min(300, settings.visibility_timeout // 5)),
        }
    return config


def worker_runtime(settings: JobSettings) -> Any:
    """The job runtime of this worker process (created on first use, after the fork)."""
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from .runtime import JobRuntime

            # The soft limit is enforced by the job itself: it stops at its next
            # cancellation check and fails with the reason. (Celery's own soft limit
            # raises wherever the code happens to be, which the runner would record
            # as one analyzer's failure and carry on.)
            _runtime = JobRuntime(settings, time_limit=settings.soft_time_limit)
        return _runtime


def publish(app: Celery, settings: JobSettings, request_id: int, priority: int) -> None:
    """Send the job's id to the queue, retrying a briefly unreachable broker."""
    app.send_task(
        TASK_NAME,
        args=[int(request_id)],
        queue=settings.queue,
        routing_key=settings.queue,
        priority=broker_priority(priority, settings.broker_kind),
        retry=True,
        retry_policy={"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2.0},
    )


def queue_depth(app: Celery, settings: JobSettings) -> int | None:
    """Messages waiting in the job queue (not those workers hold), or None when the broker cannot say."""
    try:
        with app.connection_for_read() as conn:
            # RabbitMQ: passive, so the queue's declared arguments are not contradicted.
            # Redis: an empty queue has no list at all, and declaring it is a no-op.
            declared = conn.default_channel.queue_declare(queue=settings.queue, passive=settings.broker_kind == "amqp")
            return int(declared.message_count)
    except Exception as exc:  # noqa: BLE001 - unknown means: do not resend this time
        log.debug("queue depth of %s unavailable: %s", settings.queue, type(exc).__name__)
        return None


def delete_queue(broker_url: str, queue: str) -> None:
    """Remove a queue and any messages in it (a retired queue, a test's private queue).

    On Redis, a queue is one list per priority level plus kombu's binding
    records; on RabbitMQ, the queue and its exchange.
    """
    from kombu import Connection

    with Connection(broker_url, connect_timeout=5) as conn:
        channel = conn.channel()
        if urlsplit(broker_url).scheme.lower().startswith("redis"):
            # The lists of every priority level, and kombu's binding records of the
            # queue's exchange (Celery names the exchange after the queue).
            levels = [f"{queue}:{level}" for level in range(1, MAX_BROKER_PRIORITY + 1)]
            bindings = [f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"]
            channel.client.delete(queue, *levels, *bindings)
        else:
            channel.queue_delete(queue)
            channel.exchange_delete(queue)


def create_app(settings: JobSettings | None = None) -> Celery:
    """A Celery app configured from ``settings`` (default: the environment, executor celery)."""
    if settings is None:
        settings = JobSettings.from_env()
    if settings.executor != "celery":
        from dataclasses import replace

        settings = replace(settings, executor="celery")
    settings.validate()
    app = Celery("coe", set_as_current=False)
    app.conf.update(celery_config(settings))

    @app.task(name=TASK_NAME, bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
    def run_analysis(self: Any, request_id: Any) -> str:
        """Claim the job's lease and run it; a job not free to run is acknowledged and skipped."""
        from ..queue.leases import JobNotFound

        try:
            job_id = int(request_id)
        except (TypeError, ValueError):
            log.error("ignoring a task with a malformed request id: %r", request_id)
            return "rejected"
        try:
            result = worker_runtime(settings).run_request(job_id, "celery")
        except JobNotFound:
            log.warning("ignoring a task for request %s, which does not exist", job_id)
            return "missing"
        except Exception as exc:  # noqa: BLE001 - the job was not claimed: it is still queued
            # This worker cannot reach the database (or open it): deliver the task
            # again later rather than dropping it, backing off up to a minute.
            log.warning("request %s: cannot claim it here (%s); retrying the task", job_id, exc)
            raise self.retry(exc=exc, countdown=min(60, 2 ** min(self.request.retries, 6)), max_retries=None) from None
        return result.status

    _install_reaper(app, settings)
    worker_process_init.connect(_allow_analyzer_processes, weak=False, dispatch_uid="coe-allow-analyzer-processes")
    return app


def _allow_analyzer_processes(**_: Any) -> None:
    """Let a prefork pool process start the runner's analyzer processes.

    Pool processes are daemonic and multiprocessing refuses children to a
    daemonic process. The runner forks each analyzer for isolation and kills
    and joins its children itself, so the flag's protection is not needed.
    """
    multiprocessing.current_process()._config["daemon"] = False  # type: ignore[attr-defined]


def _install_reaper(app: Celery, settings: JobSettings) -> None:
    """Run a reaper in the worker's main process; it republishes the jobs it requeues."""
    from .reaper import Reaper

    state: dict[str, Reaper] = {}

    def started(sender: Any = None, **_: Any) -> None:
        if getattr(sender, "app", None) is not app or "reaper" in state:
            return
        runtime = worker_runtime(settings)

        def send(ids: list[int]) -> list[int]:
            sent = []
            for request_id in ids:
                try:
                    publish(app, settings, request_id, runtime.queue.priority(request_id))
                    sent.append(request_id)
                except Exception:  # noqa: BLE001 - resend_lost() sends it once the queue is empty
                    log.exception("could not send job %s to the broker", request_id)
            return sent

        def republish(ids: list[int]) -> None:
            runtime.queue.mark_published(send(ids))

        def resend_lost() -> None:
            # Only with an empty broker queue: during a backlog every queued request
            # still has its message waiting, and sending again would only duplicate it.
            if queue_depth(app, settings) != 0:
                return
            lost = runtime.queue.take_unsent(settings.resend_seconds)
            if lost:
                log.warning("sending %d queued job(s) again: the broker's queue is empty, so their messages were lost (%s)",
                            len(lost), ", ".join(map(str, lost[:20])))
                send(lost)

        reaper = state["reaper"] = Reaper(lambda: runtime.queue, settings.reap_seconds, republish, resend_lost)
        reaper.start()
        _start_watch_scheduler(runtime, republish)

    def stopped(sender: Any = None, **_: Any) -> None:
        reaper = state.pop("reaper", None)
        if reaper is not None:
            reaper.stop()
            from ..watch.runtime import stop_scheduler

            stop_scheduler()

    worker_ready.connect(started, weak=False)
    worker_shutdown.connect(stopped, weak=False)


def _start_watch_scheduler(runtime: Any, republish: Any) -> None:
    """The watch scheduler in the worker's main process; what it queues is published like a requeued job."""
    try:
        from ..watch.runtime import start_scheduler

        start_scheduler(submit=lambda request_id: republish([request_id]), engine=runtime.store.engine)
    except Exception:  # noqa: BLE001 - jobs still run; another process may lead the scheduler
        log.exception("the watch scheduler did not start in this worker")


def __getattr__(name: str) -> Any:
    # ``celery -A coe_framework.jobs.celery_app`` looks up ``app``: build it on demand,
    # so importing this module never needs a broker.
    if name == "app":
        return create_app()
    raise AttributeError(name)
