"""``coe worker``, ``coe cancel`` and ``coe jobs``: running and steering analysis jobs."""
from __future__ import annotations

import json
from typing import Any

import click

from .common import UserError
from ..queue.leases import JobNotFound
from ..queue.settings import JobSettings


def _runtime() -> Any:
    from ..jobs import get_runtime

    return get_runtime()


@click.command("worker")
@click.option("-c", "--concurrency", type=click.IntRange(1, 512), default=None,
              help="Jobs run at once (default: one per core).")
@click.option("--pool", type=click.Choice(["prefork", "threads", "solo"]), default="prefork", show_default=True,
              help="How the worker runs jobs: processes, threads or in its main process.")
@click.option("--loglevel", type=click.Choice(["debug", "info", "warning", "error"]), default="info", show_default=True)
@click.option("-n", "--hostname", default=None, help="Worker name (default: celery@HOST).")
def worker_command(concurrency: int | None, pool: str, loglevel: str, hostname: str | None) -> None:
    """Start a Celery worker that runs queued analyses (needs COE_BROKER_URL).

    Uses the same environment as the web app: COE_DATABASE_URL, COE_BROKER_URL
    and the COE_JOB_* settings. Start one per machine; scale with --concurrency.
    """
    from dataclasses import replace

    from ..jobs.celery_app import create_app

    settings = replace(JobSettings.from_env(), executor="celery")
    settings.validate()
    _runtime().store  # migrate and check the database before taking work  # noqa: B018
    app = create_app(settings)
    argv = ["worker", f"--pool={pool}", f"--loglevel={loglevel}", f"--queues={settings.queue}",
            "--without-gossip", "--without-mingle"]
    if concurrency:
        argv.append(f"--concurrency={concurrency}")
    if hostname:
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


@click.command("cancel")
@click.argument("analysis", type=int)
def cancel_command(analysis: int) -> None:
    """Cancel an analysis: a queued one at once, a running one within about a second."""
    from ..jobs import cancel

    try:
        status = cancel(analysis)
    except JobNotFound as exc:
        raise UserError(str(exc)) from None
    if status == "running":
        click.echo(f"analysis {analysis}: cancellation requested; it stops at its next check")
    else:
        click.echo(f"analysis {analysis}: {status}")


@click.group("jobs")
def jobs_group() -> None:
    """Inspect and steer the analysis job queue."""


@jobs_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def jobs_status(as_json: bool) -> None:
    """Jobs by status, the oldest queued one and the running leases."""
    overview = _runtime().queue.overview()
    if as_json:
        click.echo(json.dumps(overview, indent=2))
        return
    counts = overview["counts"]
    click.echo("  ".join(f"{status}={counts[status]}" for status in counts) or "no jobs")
    if overview["oldest_queued"]:
        click.echo(f"oldest queued: {overview['oldest_queued']}")
    for lease in overview["running"]:
        click.echo(f"running {lease['id']}: attempt {lease['attempts']}/{lease['max_attempts']} "
                   f"by {lease['lease_owner']} until {lease['lease_expires_at']}")


@jobs_group.command("reap")
def jobs_reap() -> None:
    """Return jobs whose worker died to the queue now (workers also do this on their own)."""
    runtime = _runtime()
    report = runtime.queue.reap()
    click.echo(f"requeued {len(report.requeued)}, failed {len(report.failed)}, cancelled {len(report.cancelled)}")
    if report.requeued and runtime.settings.executor == "celery":
        from ..jobs import submit

        for request_id in report.requeued:
            submit(request_id)


@jobs_group.command("run")
@click.argument("analysis", type=int, required=False)
@click.option("--drain", is_flag=True, help="Run queued jobs one after another until none is left.")
def jobs_run(analysis: int | None, drain: bool) -> None:
    """Run one queued analysis (or, with --drain, every queued one) in this process."""
    from ..queue.leases import new_owner

    if (analysis is None) == (not drain):
        raise UserError("give an ANALYSIS id or --drain (not both)")
    runtime = _runtime()
    if analysis is not None:
        try:
            result = runtime.run_request(analysis, "cli")
        except JobNotFound as exc:
            raise UserError(str(exc)) from None
        click.echo(f"analysis {analysis}: {result.status}" + (f" ({result.error})" if result.error else ""))
        return
    ran = 0
    while (lease := runtime.queue.claim_next(new_owner("cli"))) is not None:
        result = runtime.run_claimed(lease)
        ran += 1
        click.echo(f"analysis {result.request_id}: {result.status}")
    click.echo(f"ran {ran} job(s)")
