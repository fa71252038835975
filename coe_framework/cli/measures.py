"""``coe trend REPO MEASURE`` and ``coe history REPO --samples N``."""
from __future__ import annotations

import json
from typing import Any

import click

from .common import EXIT_FAILED, UserError, plugin_manager, parse_option_pairs
from ..measures.registry import Catalogue, catalogue


def _store() -> Any:
    from ..analysis.process_store import open_store

    return open_store()


def known_measure(found: Catalogue, key: str) -> None:
    """A :class:`UserError` naming the closest known measures when ``key`` is not one."""
    import difflib

    if key in found and not found.measures[key].needs_baseline:
        return
    if key in found:
        raise UserError(f"measure '{key}' compares with a baseline and is computed by quality gates only, never stored")
    close = difflib.get_close_matches(key, found.keys(), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else f" (known: {', '.join(m.key for m in found.stored())})"
    raise UserError(f"unknown measure '{key}'{hint}")


def trend_points(store: Any, repository_id: int, key: str) -> list[dict[str, Any]]:
    """Every stored point of one measure, oldest commit first."""
    from ..measures.queries import trend_page

    points: list[dict[str, Any]] = []
    cursor = None
    while True:
        with store.session() as session:
            page = trend_page(session, repository_id, key=key, limit=1000, cursor=cursor, newest_first=False)
        points += page.items
        cursor = page.next_cursor
        if cursor is None:
            return points


def _number(value: float) -> str:
    return f"{value:g}" if float(value) != int(value) else str(int(value))


@click.command("trend")
@click.argument("repository")
@click.argument("measure")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def trend_command(ctx: click.Context, repository: str, measure: str, fmt: str) -> None:
    """Show one measure of a stored repository over its analyses, oldest commit first.

    REPOSITORY is the id, URL or local path of a stored repository; MEASURE a
    measure key (an unknown one is answered with the known keys).
    """
    from ..measures.queries import stored_repository

    known_measure(catalogue(plugin_manager(ctx)), measure)
    store = _store()
    repo = stored_repository(store, repository)
    points = trend_points(store, int(repo["id"]), measure)
    if fmt == "json":
        click.echo(json.dumps({"repository": {k: repo[k] for k in ("id", "url", "name")}, "measure": measure, "points": points}, indent=2))
        return
    if not points:
        click.echo(f"no stored values of {measure} for {repo['name']} ({repo['url']})", err=True)
        return
    click.echo(f"{measure} of {repo['name']} ({repo['url']})")
    click.echo(f"{'commit date':<26}{'commit':<14}{'analysis':>9}  {'value':>12}  change")
    previous = None
    for point in points:
        change = "" if previous is None else f"{point['value'] - previous:+g}"
        click.echo(f"{point['commit_date']:<26}{point['commit'][:12]:<14}{point['analysis_id']:>9}  {_number(point['value']):>12}  {change}")
        previous = point["value"]


@click.command("history")
@click.argument("target")
@click.option("--samples", type=click.IntRange(1, 1000), default=50, show_default=True, help="Commits to analyze, spread evenly over the history.")
@click.option("--ref", default=None, help="Branch or tag whose first-parent history is sampled (default: HEAD).")
@click.option("-a", "--analyzer", "analyzers", multiple=True, help="Analyzer to run (repeatable; default: all).")
@click.option("--set", "option_pairs", multiple=True, metavar="ANALYZER.KEY=VALUE", help="Analyzer option (repeatable).")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="File analysis processes (default: all cores).")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.pass_context
def history_command(ctx: click.Context, target: str, samples: int, ref: str | None, analyzers: tuple[str, ...],
                    option_pairs: tuple[str, ...], workers: int | None, fmt: str) -> None:
    """Backfill measures at commits sampled evenly over a repository's history.

    TARGET is a local path or https URL (or the id of a stored repository).
    Commits that already have stored measures are skipped, so running it
    again only fills gaps.
    """
    from ..analysis.history import backfill

    manager = plugin_manager(ctx)
    store = _store()
    if target.strip().isdigit():
        found = store.get_repository(int(target))
        if found is None:
            raise UserError(f"repository {target} is not stored")
        target = found["url"]

    def show(done: int, total: int, sample: Any) -> None:
        if fmt == "table":
            timing = f" in {sample.seconds:.2f}s" if sample.status != "skipped" else " (already measured)"
            click.echo(f"history: {done}/{total} {sample.commit[:12]} {sample.commit_date[:10]} {sample.status}{timing}", err=True)

    report = backfill(manager, target, samples=samples, ref=ref, analyzers=list(analyzers) or None,
                      options=parse_option_pairs(option_pairs), workers=workers, store=store, on_sample=show)
    analyzed = report.analyzed
    if fmt == "json":
        click.echo(json.dumps({"repository": report.repository, "samples": [vars(s) for s in report.samples]}, indent=2))
    else:
        seconds = sum(s.seconds for s in analyzed)
        click.echo(f"{report.repository}: {len(report.samples)} samples, {len(analyzed)} analyzed in {seconds:.1f}s, "
                   f"{len(report.samples) - len(analyzed)} already measured, {len(report.failed)} not succeeded")
    if report.failed:
        ctx.exit(EXIT_FAILED)


__all__ = ["history_command", "known_measure", "trend_command", "trend_points"]
