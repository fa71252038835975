"""Serving the app: gunicorn with gthread workers, or the built-in server for local use."""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Any

from gunicorn.app.base import BaseApplication


def _worker_exit(server: Any, worker: Any) -> None:
    """Flush this worker's API log buffer and stop its job threads on the way out."""
    app = getattr(worker, "wsgi", None)
    coe = getattr(app, "extensions", {}).get("coe") if app is not None else None
    if coe is not None:
        coe.shutdown()
    try:
        from coe_framework import jobs
        from coe_framework.watch.runtime import stop_scheduler

        stop_scheduler()
        jobs.shutdown(wait=False)
    except Exception:  # noqa: BLE001 - leases of unfinished jobs expire and are reaped
        pass


def _start_jobs() -> None:
    """Start the embedded job executor in this process (after any fork), so queued
    and reaped requests run without waiting for the next submission, and the
    watch scheduler (one process leads at a time, through the database)."""
    import logging

    from coe_framework import jobs

    try:
        jobs.start()
    except Exception as exc:  # noqa: BLE001 - the API still serves reads; the log says why jobs do not run
        logging.getLogger(__name__).error("job executor did not start: %s", exc)
    try:
        from coe_framework.watch.runtime import start_scheduler

        start_scheduler(submit=jobs.submit)
    except Exception as exc:  # noqa: BLE001 - the API still serves; watches wait for another process to lead
        logging.getLogger(__name__).error("watch scheduler did not start: %s", exc)


def _post_worker_init(worker: Any) -> None:
    _start_jobs()


def _child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


class GunicornServer(BaseApplication):
    """Gunicorn embedded: each worker builds its own app (own pool, threads and log buffer)."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        self.cfg.set("worker_exit", _worker_exit)
        self.cfg.set("child_exit", _child_exit)
        self.cfg.set("post_worker_init", _post_worker_init)

    def load(self) -> Any:
        from .app import create_app

        return create_app()


def serve_gunicorn(host: str, port: int, *, workers: int, threads: int, timeout: int = 120, access_log: bool = False) -> None:
    """Run gunicorn until it is stopped; metrics are aggregated across workers."""
    own_dir = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        own_dir = tempfile.mkdtemp(prefix="coe-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = own_dir
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    options = {
        "bind": bind,
        "workers": workers,
        "worker_class": "coe_webapp.server_errors.ProblemThreadWorker",  # gthread; its own errors in problem+json
        "threads": threads,
        "timeout": timeout,
        "graceful_timeout": 30,
        "keepalive": 5,
        "accesslog": "-" if access_log else None,
        "proc_name": "coe",
    }
    try:
        GunicornServer(options).run()
    finally:
        if own_dir:
            shutil.rmtree(own_dir, ignore_errors=True)


def serve_dev(host: str, port: int) -> None:
    """The built-in threaded server, for one local user."""
    from werkzeug.serving import run_simple

    from .app import create_app

    app = create_app()
    _start_jobs()
    try:
        run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        from coe_framework.watch.runtime import stop_scheduler

        stop_scheduler()
        app.extensions["coe"].shutdown()
