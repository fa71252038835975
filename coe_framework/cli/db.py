"""``coe db ...`` and ``coe results ...``: migrations, backups and the legacy file layout.

Errors end in one line on stderr: exit code 1 when the database is in a bad
state (``validate`` failing, a failed migration), 2 for bad input.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Callable, TypeVar

import click

from ..errors import CoeError, first_line, kind_of

if TYPE_CHECKING:  # pragma: no cover
    from sqlalchemy import Engine

T = TypeVar("T")


class DatabaseCommandError(click.ClickException):
    """A one-line failure of a database command."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        # click declares exit_code a ClassVar but reads it from the instance; the code varies per error here.
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"coe: error: {self.format_message()}", err=True)


def _guard(action: Callable[[], T]) -> T:
    """Run ``action``, turning database and migration failures into one line."""
    from coe_migrate.migrate import MigrationError
    from sqlalchemy.exc import SQLAlchemyError

    try:
        return action()
    except MigrationError as exc:
        raise DatabaseCommandError(str(exc)) from None
    except CoeError as exc:  # a bad URL or setting, an unknown analysis...: the exit code of its kind
        kind = kind_of(exc)
        raise DatabaseCommandError(str(exc), exit_code=kind.exit_code if kind is not None else 1) from None
    except SQLAlchemyError as exc:
        raise DatabaseCommandError(f"database error: {type(exc).__name__}: {first_line(getattr(exc, 'orig', None) or exc)}") from None


def _engine(ctx: click.Context) -> "Engine":
    from ..db.engine import get_engine

    return _guard(lambda: get_engine(ctx.obj.get("url") if ctx.obj else None))


url_option = click.option(
    "--url", "url", envvar="COE_DATABASE_URL", default=None, show_envvar=True,
    help="Database URL (default: a SQLite file in the user's data directory).",
)


@click.group("db")
@url_option
@click.pass_context
def db_group(ctx: click.Context, url: str | None) -> None:
    """Database schema: migrations, the checksum ledger, backup and restore."""
    ctx.obj = {"url": url}


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True, help="Target revision.")
@click.pass_context
def upgrade_command(ctx: click.Context, revision: str) -> None:
    """Validate the ledger, then apply pending migrations."""
    from coe_migrate.migrate import upgrade

    engine = _engine(ctx)
    applied = _guard(lambda: upgrade(engine, revision))
    click.echo(f"applied {', '.join(applied)}" if applied else "the database is up to date")


@db_group.command("downgrade")
@click.argument("revision")
@click.pass_context
def downgrade_command(ctx: click.Context, revision: str) -> None:
    """Revert migrations down to REVISION (a revision id, -1, or base)."""
    from coe_migrate.migrate import downgrade

    engine = _engine(ctx)
    reverted = _guard(lambda: downgrade(engine, revision))
    click.echo(f"reverted {', '.join(reverted)}" if reverted else "nothing to revert")


@db_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def status_command(ctx: click.Context, as_json: bool) -> None:
    """Every revision: applied, pending, edited, failed or missing its file."""
    from dataclasses import asdict

    from coe_migrate.migrate import status

    engine = _engine(ctx)
    rows = _guard(lambda: status(engine))
    if as_json:
        click.echo(json.dumps([asdict(r) for r in rows], default=str, indent=2))
        return
    for row in rows:
        when = f"  {row.installed_on:%Y-%m-%d %H:%M:%S} by {row.installed_by} in {row.execution_time_ms} ms" if row.installed_on else ""
        click.echo(f"{row.revision:<8} {row.state:<12} {row.script}  {row.description}{when}")


@db_group.command("validate")
@click.pass_context
def validate_command(ctx: click.Context) -> None:
    """Check the ledger against the revision files (exit 1 with the reason when they disagree)."""
    from coe_migrate.migrate import validate

    engine = _engine(ctx)
    _guard(lambda: validate(engine))
    click.echo("migrations are valid")


@db_group.command("prune-logs")
@click.option("--older-than", "days", type=click.FloatRange(min=0, min_open=True), default=30.0, show_default=True,
              help="Delete API call logs older than this many days.")
@click.pass_context
def prune_logs_command(ctx: click.Context, days: float) -> None:
    """Delete old api_logs rows in small batches (the web app also does this hourly, see COE_API_LOG_RETENTION_DAYS)."""
    from datetime import timedelta

    from ..db.retention import prune_api_logs

    engine = _engine(ctx)
    deleted = _guard(lambda: prune_api_logs(engine, timedelta(days=days)))
    click.echo(f"deleted {deleted} api_logs rows older than {days:g} days")


@db_group.command("repair")
@click.pass_context
def repair_command(ctx: click.Context) -> None:
    """Realign the ledger with the revision files and record an audit row."""
    from coe_migrate.migrate import repair

    engine = _engine(ctx)
    changes = _guard(lambda: repair(engine))
    click.echo("\n".join(f"repaired: {c}" for c in changes) if changes else "nothing to repair")


@db_group.command("baseline")
@click.option("--revision", default="heads", show_default=True, help="Revision the existing schema corresponds to.")
@click.pass_context
def baseline_command(ctx: click.Context, revision: str) -> None:
    """Record an existing, unmigrated schema as being at REVISION without running anything."""
    from coe_migrate.migrate import baseline

    engine = _engine(ctx)
    recorded = _guard(lambda: baseline(engine, revision))
    click.echo(f"baselined at {recorded[-1]}" if recorded else "nothing to baseline")


@db_group.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.pass_context
def backup_command(ctx: click.Context, file: str) -> None:
    """Dump every table to FILE in a database-neutral format."""
    from coe_migrate.migrate import validate

    from ..db.transfer import backup

    engine = _engine(ctx)
    _guard(lambda: validate(engine, require_current=True))
    counts = _guard(lambda: backup(engine, file))
    click.echo(f"backed up {sum(counts.values())} rows from {len(counts)} tables to {file}")


@db_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False))
@click.pass_context
def restore_command(ctx: click.Context, file: str) -> None:
    """Load FILE (from `coe db backup`) into this empty database, migrating it first."""
    from coe_migrate.migrate import ensure_current

    from ..db.transfer import restore

    engine = _engine(ctx)
    _guard(lambda: ensure_current(engine))
    counts = _guard(lambda: restore(engine, file))
    click.echo(f"restored {sum(counts.values())} rows into {len(counts)} tables")


@db_group.command("import-legacy")
@click.argument("source")
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.pass_context
def import_legacy_command(ctx: click.Context, source: str, dry_run: bool) -> None:
    """Import the original services' flows and analyses from SOURCE.

    SOURCE is a directory of their files (flows/<name>.json, and one
    AnalysisResult JSON per analysis anywhere else below it) or the URL of
    their database (tables langflows and rag_analysis_results). Items already
    present are left alone; malformed ones are named and skipped.
    """
    from pathlib import Path

    from ..legacy.importer import LegacySourceError, import_database, import_directory

    store = _store(ctx)
    looks_like_url = "://" in source
    if not looks_like_url and not Path(source).is_dir():
        raise DatabaseCommandError(f"{source} is neither a directory nor a database URL", exit_code=2)
    try:
        report = _guard(lambda: import_database(store, source, dry_run=dry_run) if looks_like_url else import_directory(store, Path(source), dry_run=dry_run))
    except LegacySourceError as exc:
        raise DatabaseCommandError(str(exc), exit_code=2) from None
    for item in report.imported:
        click.echo(f"{'would import' if dry_run else 'imported'} {item}")
    for item in report.present:
        click.echo(f"already present: {item}")
    for label, reason in report.skipped.items():
        click.echo(f"skipped {label}: {reason}", err=True)
    click.echo(report.summary())


@click.group("results")
@url_option
@click.pass_context
def results_group(ctx: click.Context, url: str | None) -> None:
    """Stored results as files: one JSON file per analysis (the legacy layout)."""
    ctx.obj = {"url": url}


def _store(ctx: click.Context) -> Any:
    from ..analysis.process_store import open_store

    return _guard(lambda: open_store(ctx.obj.get("url") if ctx.obj else None))


@results_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_context
def export_command(ctx: click.Context, directory: str) -> None:
    """Write one JSON file per stored analysis into DIRECTORY."""
    from ..db.transfer import export_analyses

    store = _store(ctx)
    count = _guard(lambda: export_analyses(store, directory))
    click.echo(f"exported {count} analyses to {directory}")


@results_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False))
@click.pass_context
def import_command(ctx: click.Context, directory: str) -> None:
    """Load analysis files from DIRECTORY; files already imported are skipped."""
    from ..db.transfer import import_analyses

    store = _store(ctx)
    imported, skipped = _guard(lambda: import_analyses(store, directory))
    click.echo(f"imported {imported} analyses, {skipped} already present")
