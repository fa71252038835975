"""``coe analyses list|show|delete`` and ``coe repositories list|show``: browse what is stored.

Listings are newest first and page like the API (``--limit``, ``--cursor``
from the previous page, printed on stderr). ``--format json`` prints the
API's documents. A missing id is one line and exit code 2.
"""
from __future__ import annotations

import json
import sys
from typing import Any

import click

from ..outputs.browse import (
    analysis_lines,
    analysis_or_fail,
    analysis_rows,
    repository_or_fail,
    results_document,
    short_time,
    table,
)
from .progress import note

format_option = click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
limit_option = click.option("--limit", type=click.IntRange(1, 500), default=50, show_default=True, help="Rows per page.")
cursor_option = click.option("--cursor", default=None, help="Continue after the page that printed this cursor.")


def _store() -> Any:
    from ..analysis.process_store import open_store

    return open_store()


def _echo_json(document: Any) -> None:
    click.echo(json.dumps(document, indent=2, ensure_ascii=False))


def _next_page(cursor: str | None) -> None:
    if cursor:
        note(f"more: --cursor {cursor}")


@click.group("analyses")
def analyses_group() -> None:
    """Stored analyses: list, show, delete."""


@analyses_group.command("list")
@click.option("--status", default=None, help="Only analyses in this status (queued, running, succeeded, partial, failed, cancelled).")
@click.option("--repository", default=None, help="Only analyses of this repository (id or URL).")
@limit_option
@cursor_option
@format_option
def analyses_list(status: str | None, repository: str | None, limit: int, cursor: str | None, fmt: str) -> None:
    """List stored analyses, newest first."""
    key: int | str | None = int(repository) if repository and repository.isdigit() else repository
    page = _store().list_analyses(limit=limit, cursor=cursor, status=status, repository=key)
    if fmt == "json":
        from ..outputs.documents import analysis_document

        _echo_json({"items": [analysis_document(a) for a in page.items], "next_cursor": page.next_cursor})
        return
    for line in table(analysis_rows(page.items), ["ID", "STATUS", "CREATED", "SOURCE", "ANALYZERS", "REPOSITORIES"]):
        click.echo(line)
    _next_page(page.next_cursor)


@analyses_group.command("show")
@click.argument("analysis", type=click.IntRange(min=1), metavar="ANALYSIS")
@click.option("--analyzer", default=None, help="Only this analyzer's results.")
@format_option
@click.pass_context
def analyses_show(ctx: click.Context, analysis: int, analyzer: str | None, fmt: str) -> None:
    """Show ANALYSIS: its repositories and results (JSON: the API's results document)."""
    store = _store()
    document = results_document(store, analysis, analyzer)
    if fmt == "json":
        _echo_json(document)
        return
    from .common import plugin_manager

    manager = plugin_manager(ctx)

    def summaries(name: str, data: Any) -> dict[str, Any]:
        found = manager.analyzers.get(name)
        try:
            return dict(found.summary(data)) if found is not None and data is not None else {}
        except Exception:  # noqa: BLE001 - a summary must never break output
            return {}

    for line in analysis_lines(analysis_or_fail(store, analysis), document["results"], summaries):
        click.echo(line)


@analyses_group.command("delete")
@click.argument("analysis", type=click.IntRange(min=1), metavar="ANALYSIS")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def analyses_delete(analysis: int, yes: bool) -> None:
    """Delete ANALYSIS and everything it owns (results, rows, documents, correlations)."""
    from .common import UserError
    from ..db.models import FINISHED_STATUSES

    store = _store()
    found = analysis_or_fail(store, analysis)
    if found["status"] not in FINISHED_STATUSES:
        raise UserError(f"analysis {analysis} is {found['status']}; cancel it first (coe cancel {analysis})")
    if not yes:
        if not sys.stdin.isatty():
            raise UserError(f"deleting analysis {analysis} needs confirmation: pass --yes")
        names = ", ".join(ra["repository"]["name"] for ra in found["repository_analyses"]) or "no repositories"
        click.confirm(f"delete analysis {analysis} ({found['status']}, {names}) and everything found in it?", abort=True, err=True)
    if not store.delete_analysis(analysis):
        raise UserError(f"analysis {analysis} does not exist")
    note(f"deleted analysis {analysis}")


@click.group("repositories")
def repositories_group() -> None:
    """Repositories that have been analyzed: list, show."""


@repositories_group.command("list")
@click.option("--name", default=None, help="Only repositories with exactly this name.")
@limit_option
@cursor_option
@format_option
def repositories_list(name: str | None, limit: int, cursor: str | None, fmt: str) -> None:
    """List repositories, most recently added first."""
    page = _store().list_repositories(limit=limit, cursor=cursor, name=name)
    if fmt == "json":
        _echo_json(page.to_dict())
        return
    rows = [[r["id"], r["name"], (r["last_commit_sha"] or "-")[:12], short_time(r["last_analyzed_at"]), r["url"]] for r in page.items]
    for line in table(rows, ["ID", "NAME", "LAST COMMIT", "LAST ANALYZED", "URL"]):
        click.echo(line)
    _next_page(page.next_cursor)


@repositories_group.command("show")
@click.argument("repository", metavar="REPOSITORY")
@click.option("--limit", type=click.IntRange(1, 500), default=20, show_default=True, help="Analyses to show.")
@format_option
def repositories_show(repository: str, limit: int, fmt: str) -> None:
    """Show REPOSITORY (id or URL) with its latest analyses and latest result per analyzer."""
    store = _store()
    found = repository_or_fail(store, repository)
    analyses = store.repository_analyses(found["id"], limit=limit)
    latest = store.latest_results(found["id"])
    if fmt == "json":
        from ..outputs.documents import result_document

        _echo_json({"repository": found, "analyses": analyses.to_dict(), "latest_results": [
            {k: v for k, v in result_document(r).items() if k != "data"} for r in latest]})
        return
    click.echo(f"repository {found['id']}  {found['name']}  {found['url']}")
    click.echo(f"  default branch {found['default_branch'] or '-'}, last commit {(found['last_commit_sha'] or '-')[:12]},"
               f" last analyzed {short_time(found['last_analyzed_at'])}")
    if latest:
        click.echo("  latest results: " + ", ".join(f"{r['analyzer']} (analysis {r.get('request_id', '?')})" for r in latest))
    rows = [[ra["request_id"], ra["status"], (ra["commit"] or "-")[:12], short_time(ra["commit_date"]), ra["file_count"],
             short_time(ra["finished_at"])] for ra in analyses.items]
    for line in table(rows, ["ANALYSIS", "STATUS", "COMMIT", "COMMIT DATE", "FILES", "FINISHED"]):
        click.echo("  " + line)
    _next_page(analyses.next_cursor)
