"""``coe watch``: keep repositories analyzed (add, list, remove, check)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from .common import UserError, plugin_manager, parse_option_pairs


def _registry() -> Any:
    from ..analysis.process_store import open_store
    from ..watch.registry import WatchRegistry

    return WatchRegistry(open_store().engine)  # a StoreError (bad input) ends the command in one line


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str, ensure_ascii=False)


def _read_secret(path: str) -> str:
    if path == "-":
        return sys.stdin.readline().strip()
    file = Path(path)
    if not file.is_file():
        raise UserError(f"secret file '{path}' is not a regular file")
    if file.stat().st_size > 4096:
        raise UserError(f"secret file '{path}' is larger than 4 KiB")
    lines = file.read_text(encoding="utf-8", errors="replace").splitlines()
    return lines[0].strip() if lines else ""


@click.group("watch")
def watch_group() -> None:
    """Repositories kept analyzed: checked on a schedule and on webhook pushes."""


@watch_group.command("add")
@click.argument("url")
@click.option("--ref", default="HEAD", show_default=True, help="Branch or tag to follow (HEAD: the default branch).")
@click.option("--every", "every", default="1h", show_default=True, help="How often to check: 90s, 30m, 1h, 1d, 1h30m.")
@click.option("-a", "--analyzer", "analyzers", multiple=True, help="Analyzer to run (repeatable; default: all).")
@click.option("--set", "option_pairs", multiple=True, metavar="ANALYZER.KEY=VALUE", help="Analyzer option (repeatable).")
@click.option("--secret-file", default=None, metavar="FILE", help="Webhook secret from FILE's first line ('-': stdin).")
@click.option("--generate-secret", is_flag=True, help="Make a webhook secret and print it once.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def watch_add(ctx: click.Context, url: str, ref: str, every: str, analyzers: tuple[str, ...], option_pairs: tuple[str, ...],
              secret_file: str | None, generate_secret: bool, as_json: bool) -> None:
    """Watch URL (an https URL or, here, a local path); it is checked at once by the next scheduler pass."""
    from ..watch.intervals import parse_interval
    from ..watch.registry import WatchSpec
    from ..watch.secrets import generate_secret as new_secret
    from ..watch.settings import WatchConfigError, WatchSettings

    if secret_file and generate_secret:
        raise UserError("give --secret-file or --generate-secret, not both")
    try:
        interval = parse_interval(every)
        settings = WatchSettings.from_env()
    except (ValueError, WatchConfigError) as exc:
        raise UserError(str(exc)) from None
    secret = new_secret() if generate_secret else _read_secret(secret_file) if secret_file else None
    spec = WatchSpec(url, ref, interval, list(analyzers) or None, parse_option_pairs(option_pairs), secret)
    watch = _registry().add(spec, origin="cli", analyzers_known=plugin_manager(ctx).analyzers, secret_key=settings.secret_key)
    if as_json:
        click.echo(_json({**watch, **({"secret": secret} if generate_secret else {})}))
    else:
        click.echo(f"watch {watch['id']}: {watch['url']} ref {watch['ref']} every {watch['interval']}")
        if generate_secret:
            click.echo(secret)
            click.echo("coe: the webhook secret above is shown only once", err=True)


@watch_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def watch_list(as_json: bool) -> None:
    """Every watch with what its last check found."""
    watches = _registry().list()
    if as_json:
        click.echo(_json({"items": watches}))
        return
    if not watches:
        click.echo("no watched repositories")
        return
    for w in watches:
        commit = (w["last_commit"] or "-")[:12]
        state = w["last_outcome"] or "new"
        if w["failure_count"]:
            state += f" x{w['failure_count']} (next in {w['backoff_seconds']}s)"
        click.echo(f"{w['id']:>4}  {w['url']}  {w['ref']}  every {w['interval']}  {commit}  {state}")
        if w["last_error"]:
            click.echo(f"      {w['last_error']}")


@watch_group.command("remove")
@click.argument("watch")
def watch_remove(watch: str) -> None:
    """Stop watching WATCH (an id or the URL); its analyses stay."""
    registry = _registry()
    found = registry.find(watch)
    if found is None or not registry.remove(int(found["id"])):
        raise UserError(f"no watch '{watch[:200]}'")
    click.echo(f"watch {found['id']}: removed ({found['url']})")


@watch_group.command("check")
@click.option("--run", "run_now", is_flag=True, help="Run the analyses it queues in this process.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def watch_check(run_now: bool, as_json: bool) -> None:
    """One scheduler pass now: check due watches and queue analyses of moved refs.

    Without --run, queued analyses go to the configured executor when it is
    Celery, and otherwise wait for `coe serve` or `coe jobs run --drain`.
    """
    from dataclasses import asdict

    from .. import jobs
    from ..watch.scheduler import WatchScheduler

    registry = _registry()
    runtime = jobs.get_runtime()
    submit = None
    if run_now:
        submit = lambda request_id: runtime.run_request(request_id, "cli")  # noqa: E731
    elif runtime.settings.executor == "celery":
        submit = jobs.submit
    scheduler = WatchScheduler(registry.engine, submit=submit)
    try:
        report = scheduler.run_once()
    finally:
        if scheduler.lease.owner:  # hand the role back at once: this process ends here
            scheduler.stop()
    if report is None:
        raise UserError("another process leads the watch scheduler now; its passes check the watches")
    if as_json:
        click.echo(_json(asdict(report)))
        return
    click.echo(f"checked {report.checked}: {len(report.queued)} queued, {len(report.unchanged)} unchanged, "
               f"{len(report.busy)} busy, {len(report.failed)} failed")
    for watch_id, request_id in report.queued.items():
        click.echo(f"  watch {watch_id}: analysis {request_id}")
    for watch_id, error in report.failed.items():
        click.echo(f"  watch {watch_id}: {error}")
