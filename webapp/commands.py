"""CLI commands of the web layer: ``coe serve``, ``coe session create``, ``coe flows import``."""
from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import click

from coe_framework.cli.common import UserError
from coe_framework.cli.progress import note
from coe_framework.settings import environ


def _ready_database() -> object:
    """The configured engine, after checking its migrations (one-line error otherwise)."""
    from coe_framework.db.engine import DatabaseConfigError, get_engine, redacted
    from coe_migrate.migrate import MigrationError, check_startup
    from sqlalchemy.exc import SQLAlchemyError

    try:
        engine = get_engine()
        check_startup(engine)
    except (MigrationError, DatabaseConfigError) as exc:
        raise UserError(f"database: {exc}") from None
    except SQLAlchemyError as exc:
        url = environ().get("COE_DATABASE_URL", "")
        raise UserError(f"cannot reach the database {redacted(url) if url else ''}: {type(exc.orig or exc).__name__}".replace("  ", " ")) from None
    return engine


@click.command("serve")
@click.option("--host", default=None, help="Address to bind (default from COE_BIND, else 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port (default from COE_BIND, else 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Gunicorn worker processes (default: cores).")
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True, help="Threads per worker.")
@click.option("--dev", is_flag=True, help="Use the built-in server (one process; local use).")
@click.option("--access-log", is_flag=True, help="Print gunicorn's access log to stderr.")
def serve_command(host: str | None, port: int | None, workers: int | None, threads: int, dev: bool, access_log: bool) -> None:
    """Serve the REST API and dashboard (gunicorn gthread workers, or --dev)."""
    from .config import ConfigError, WebSettings, split_bind

    try:
        default_host, default_port = split_bind(environ().get("COE_BIND", "").strip() or "127.0.0.1:8000")
        host = host or default_host
        port = port or default_port
        bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        os.environ["COE_BIND"] = bind  # workers build their app from the environment
        WebSettings.from_env()
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    _ready_database()
    if dev:
        from .server import serve_dev

        click.echo(f"coe: serving on http://{bind} (built-in server)", err=True)
        serve_dev(host, port)
        return
    from .server import serve_gunicorn

    serve_gunicorn(host, port, workers=workers or (os.cpu_count() or 1), threads=threads, access_log=access_log)


@click.group("session")
def session_group() -> None:
    """API tokens (sessions)."""


@session_group.command("create")
@click.option("--label", required=True, help="What the token is for.")
@click.option("--scope", "scopes", multiple=True, type=click.Choice(["read", "write", "admin"]), required=True, help="Repeatable.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None, help="Default: never.")
def session_create_command(label: str, scopes: tuple[str, ...], expires_in_days: int | None) -> None:
    """Issue a token (for example the first admin token); it is printed once."""
    from coe_framework.db.engine import unit_of_work

    from .tokens import issue_token

    engine = _ready_database()
    with unit_of_work(engine) as session:  # type: ignore[arg-type]
        issued = issue_token(
            session, label=label, scopes=list(scopes),
            expires_in=timedelta(days=expires_in_days) if expires_in_days else None,
        )
        session_id = issued.session.id
    click.echo(issued.token)
    note(f"coe: session {session_id} '{label}' ({', '.join(scopes)}); the token above is shown only once")


@click.group("flows")
def flows_group() -> None:
    """LangFlow flows."""


@flows_group.command("import")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
def flows_import_command(directory: Path) -> None:
    """Load every <name>.json flow in DIRECTORY (new names are created, existing ones updated)."""
    from sqlalchemy import select

    from coe_framework.db.engine import unit_of_work
    from coe_framework.db.models import LangFlow

    from .config import WebSettings
    from .flowfiles import import_directory, write_flow

    engine = _ready_database()
    flows_dir = Path(WebSettings.from_env().flows_dir)
    with unit_of_work(engine) as session:  # type: ignore[arg-type]
        report = import_directory(session, directory)
        names = report.created + report.updated
        flows = session.scalars(select(LangFlow).where(LangFlow.name.in_(names), LangFlow.deleted_at.is_(None))).all()
    for flow in flows:
        write_flow(flows_dir, flow)
    click.echo(f"created {len(report.created)}, updated {len(report.updated)}, skipped {len(report.skipped)}")
    for name, reason in sorted(report.skipped.items()):
        click.echo(f"  skipped {name}: {reason}", err=True)
