"""The ``coe`` command.

Every user error ends in one line on stderr and a non-zero exit code, never a
traceback (set ``COE_DEBUG=1`` to see one for an internal error). Exit codes:
0 success, 1 the analysis failed or was partial (or an internal error), and
for a :class:`~coe_framework.errors.CoeError` the code its kind maps to in
:data:`coe_framework.errors.KINDS`: 2 bad input, an unknown id or a conflict,
75 a service that is unavailable (retry later). A reader that closes the
output early (``coe correlate ... | head -1``) ends the command quietly with 0,
as Unix tools do.
"""
from __future__ import annotations

import importlib
import json
import logging
import os
import select
import sys
from typing import Any, NoReturn, Sequence

import click

from .. import __version__
from ..errors import CoeError, one_line
from ..plugin.contract import AnalyzerError
from ..plugin.lazy_command import LazyCommand
from ..plugin.manager import PluginLoadError, PluginManager
from ..repository.gitutil import scrub_process_environment
from .common import EXIT_FAILED, CommandError, UserError, parse_option_pairs, plugin_manager
from .logsetup import configure_cli_logging, debug_enabled
from .progress import StageProgress, is_quiet, note, progress_factory

#: Built-in commands that live in other modules, imported only when used, so
#: ``coe analyze`` never pays for Flask or Celery and the core never imports Flask.
#: The web app's commands (``serve``, ``session``, ``flows``) come from its own
#: plugin through ``coe_register_commands``, as a third party's would.
LAZY_COMMANDS: dict[str, str] = {
    "db": "coe_framework.cli.db:db_group",
    "results": "coe_framework.cli.db:results_group",
    "plugin": "coe_framework.testing.scaffold:plugin_group",
    "worker": "coe_framework.cli.jobs:worker_command",
    "cancel": "coe_framework.cli.jobs:cancel_command",
    "jobs": "coe_framework.cli.jobs:jobs_group",
    "rag": "coe_framework.cli.exports:rag_group",
    "report": "coe_framework.cli.exports:report_command",
    "sarif": "coe_framework.cli.exports:sarif_command",
    "correlate": "coe_framework.cli.exports:correlate_command",
    "export": "coe_framework.cli.exports:export_command",
    "vulns": "coe_framework.cli.vulns:vulns_group",
    "search": "coe_framework.cli.search:search_group",
    "analyses": "coe_framework.cli.browse:analyses_group",
    "repositories": "coe_framework.cli.browse:repositories_group",
    "config": "coe_framework.cli.config:config_group",
    "trend": "coe_framework.cli.measures:trend_command",
    "history": "coe_framework.cli.measures:history_command",
    "gate": "coe_framework.cli.gate:gate_command",
    "watch": "coe_framework.cli.watch:watch_group",
}


def _load_lazy(name: str) -> click.Command:
    module_name, _, attr = LAZY_COMMANDS[name].partition(":")
    command = getattr(importlib.import_module(module_name), attr)
    if not isinstance(command, click.Command):  # pragma: no cover - a wiring mistake
        raise TypeError(f"{LAZY_COMMANDS[name]} is not a click command")
    return command


class CoeGroup(click.Group):
    """The root group: loads built-in and plugin commands lazily and turns errors into one line."""

    def _plugin_commands(self, ctx: click.Context) -> dict[str, click.Command]:
        cache = ctx.meta.setdefault("coe.plugin_commands", None)
        if cache is None:
            cache = {}
            manager = plugin_manager(ctx)

            def record(plugin: str, command: Any) -> None:
                if not isinstance(command, click.Command) or not command.name:
                    raise TypeError("register() expects a named click.Command")
                if command.name in cache or command.name in self.commands:
                    raise ValueError(f"command '{command.name}' already exists")
                cache[command.name] = command
                manager.plugins[plugin].commands.append(command.name)

            manager.collect("coe_register_commands", record)
            ctx.meta["coe.plugin_commands"] = cache
        return cache

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(LAZY_COMMANDS) | set(self._plugin_commands(ctx)))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            command = _load_lazy(name)
            self.add_command(command, name)
        return command or self._plugin_commands(ctx).get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, LazyCommand):  # a plugin's command, imported now that it runs
            command = command.load()
        return name, command, rest

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except BrokenPipeError:  # while writing --help or --version
            end_on_broken_pipe()

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            end_on_broken_pipe()
        except (CoeError, AnalyzerError, PluginLoadError, ValueError, KeyError, OSError) as exc:
            # CoeErrors by their kind; the others are what modules raised for bad input before the kinds existed.
            if isinstance(exc, click.ClickException):
                raise
            if debug_enabled():
                raise
            raise CommandError.of(exc) from None


@click.group(cls=CoeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="coe")
@click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="No progress, notes or log warnings: only results, errors and deprecations.")
@click.pass_context
def cli(ctx: click.Context, verbose: int, quiet: bool) -> None:
    """CoE: analyze Git repositories with pluggable analyzers."""
    ctx.meta["coe.quiet"] = quiet
    configure_cli_logging(logging.ERROR if quiet else logging.WARNING - 10 * min(verbose, 2))


# --- coe plugins ---------------------------------------------------------------


@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Also show hooks each plugin implements.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, show_all: bool, as_json: bool) -> None:
    """List loaded plugins, their analyzers and load errors."""
    manager = plugin_manager(ctx)
    rows = manager.describe(include_hooks=True)
    if as_json:
        analyzers = {name: type(a).describe() for name, a in sorted(manager.analyzers.items())}
        click.echo(json.dumps({"plugins": rows, "analyzers": analyzers}, indent=2))
        return
    for row in rows:
        origin = row["distribution"] or row["module"]
        version = row["version"] or "-"
        flag = " (built-in)" if row["builtin"] else ""
        click.echo(f"{row['name']} {version}{flag}  [{origin}]")
        if row["analyzers"]:
            details = ", ".join(f"{n} {manager.analyzers[n].version}" for n in row["analyzers"])
            click.echo(f"  analyzers: {details}")
        if row["commands"]:
            click.echo(f"  commands: {', '.join(row['commands'])}")
        if show_all and row["hooks"]:
            click.echo(f"  hooks: {', '.join(row['hooks'])}")
        if row["error"]:
            click.echo(f"  ERROR: {row['error']}")


# --- coe analyze ---------------------------------------------------------------


#: Kept under its old name: other commands build their progress with it.
_Progress = StageProgress


def _print_table(outcomes: list[Any], manager: PluginManager, file: Any = None) -> None:
    for outcome in outcomes:
        click.echo(f"{outcome.repository.name}  {outcome.commit[:12]}  {outcome.status}  ({outcome.duration:.2f}s)", file=file)
        for name, result in outcome.outcomes.items():
            extra = ""
            if result.ok and result.data is not None:
                try:
                    headline = manager.analyzers[name].summary(result.data)
                except Exception:  # noqa: BLE001 - a summary must never break output
                    headline = {}
                extra = "  " + ", ".join(f"{k}={v}" for k, v in headline.items()) if headline else ""
            cached = " cached" if result.cached else ""
            line = f"  {name:<12} {result.status:<10} {result.duration:7.2f}s{cached}{extra}"
            if result.error:
                line += f"  error: {result.error}"
            click.echo(line, file=file)


@cli.command("analyze")
@click.argument("targets", nargs=-1, required=True)
@click.option("-a", "--analyzer", "analyzers", multiple=True, help="Analyzer to run (repeatable; default: all).")
@click.option("--ref", default=None, help="Branch, tag or commit to analyze (default: HEAD).")
@click.option("--set", "set_pairs", multiple=True, metavar="ANALYZER.KEY=VALUE", help="Analyzer option (repeatable).")
@click.option("--option", "option_pairs", multiple=True, hidden=True, metavar="ANALYZER.KEY=VALUE", help="Deprecated spelling of --set.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("-o", "--output", "outputs", multiple=True, metavar="FILE", help="Write the report (in --format) here instead of stdout.")
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="File analysis processes (default: all cores).")
@click.pass_context
def analyze_command(
    ctx: click.Context,
    targets: tuple[str, ...],
    analyzers: tuple[str, ...],
    ref: str | None,
    set_pairs: tuple[str, ...],
    option_pairs: tuple[str, ...],
    fmt: str,
    outputs: tuple[str, ...],
    workers: int | None,
) -> None:
    """Analyze one or more repositories (local paths or https URLs)."""
    from ..analysis.submission import Submission
    from .analyze_options import split_output_and_options
    from .common import open_output
    from ..outputs.documents import run_document
    from ..analysis.service import run_submission

    manager = plugin_manager(ctx)
    output, legacy_pairs = split_output_and_options(outputs, option_pairs)
    options = parse_option_pairs([*legacy_pairs, *set_pairs])
    # Validated once here (local paths allowed); the service runs it as it is.
    submission = Submission.create(manager, list(targets), analyzers=list(analyzers) or None, ref=ref, options=options)
    outcomes = run_submission(manager, submission, workers=workers, progress_factory=progress_factory(ctx))
    with open_output(output) as handle:
        if fmt == "json":
            document = run_document(outcomes.repositories, outcomes.extra, _stored_results(outcomes.extra.get("analysis_id")))
            text = json.dumps(document, indent=2, ensure_ascii=False)
            handle.write(text + "\n")
        else:
            _print_table(outcomes.repositories, manager, file=handle)
    for line in outcomes.notes:  # JSON carries analysis_id itself; a table on stdout ends with its notes
        if output:
            note(line, ctx)
        elif fmt == "table" and not is_quiet(ctx):
            click.echo(line)
    if output:
        note(f"wrote {output} ({fmt})", ctx)
    if any(o.status != "succeeded" for o in outcomes.repositories):
        ctx.exit(EXIT_FAILED)


def _stored_results(analysis_id: Any) -> list[dict[str, Any]]:
    """The stored results of the analysis ``coe analyze`` just stored (none when it stored nothing)."""
    if analysis_id is None:
        return []
    from ..analysis.process_store import open_store

    return open_store().get_results(int(analysis_id))


def stdout_reader_gone() -> bool:
    """True when the reading end of standard output is closed (``| head`` has exited)."""
    try:
        fd = sys.stdout.fileno()
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        return any(events & (select.POLLERR | select.POLLHUP) for _fd, events in poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no real descriptor, or no poll(): trust the error
        return True


def end_on_broken_pipe() -> NoReturn:
    """A command's output reader went away: end quietly with exit code 0.

    A broken pipe that is not standard output's (a child process's) is an
    error like any other and is reported as one.
    """
    if not stdout_reader_gone():
        raise UserError("broken pipe")
    silence_stdout()
    raise click.exceptions.Exit(0)


def silence_stdout() -> None:
    """Point standard output at the null device, so the interpreter's final
    flush of what could not be written raises nothing."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point."""
    scrub_process_environment()  # inherited GIT_DIR and friends must not steer analyses
    try:
        cli.main(args=list(argv) if argv is not None else None, prog_name="coe", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo("coe: interrupted", err=True)
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, no traceback
        if debug_enabled():
            raise
        click.echo(f"coe: internal error: {one_line(exc)} (set COE_DEBUG=1 for the details)", err=True)
        sys.exit(EXIT_FAILED)
