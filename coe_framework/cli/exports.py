"""``coe rag``, ``coe report``, ``coe sarif``, ``coe export`` and ``coe correlate``: exports of a stored analysis.

Every export is a format of the registry (:mod:`coe_framework.outputs.registry`):
``coe sarif`` is the ``sarif`` format, ``coe report`` ``markdown``, ``coe rag
export`` ``rag``, and ``coe export --format NAME`` any of them, plugins' included.

ANALYSIS is the id ``coe analyze`` printed ("stored as analysis N").
"""
from __future__ import annotations

import json
from typing import Any, Mapping

import click

from .common import open_output, plugin_manager
from ..outputs.rag.collect import RECORD_LAYOUTS
from ..outputs.sarif import DEFAULT_THRESHOLD


def _store() -> Any:
    from ..analysis.process_store import open_store

    return open_store()


def _echo_notes(lines: list[str]) -> None:
    from .progress import note

    for line in lines:
        note(line)


threshold_option = click.option(
    "--threshold", type=click.FloatRange(min=0), default=DEFAULT_THRESHOLD, show_default=True,
    help="Cyclomatic complexity above which a function is a finding.",
)
output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="Write here instead of stdout.")
analysis_argument = click.argument("analysis", type=click.IntRange(min=1), metavar="ANALYSIS")


@click.group("rag")
def rag_group() -> None:
    """Retrieval (RAG) documents made from an analysis."""


@rag_group.command("build")
@analysis_argument
@click.option("--no-embed", is_flag=True, help="Do not call embedding plugins.")
@click.pass_context
def rag_build(ctx: click.Context, analysis: int, no_embed: bool) -> None:
    """Build (again) and store the documents and correlations of ANALYSIS."""
    from ..outputs.insights import store_insights

    summary = store_insights(_store(), analysis, plugin_manager(ctx), embed=not no_embed)
    for line in summary.notes():
        click.echo(line)


@rag_group.command("export")
@analysis_argument
@click.option("--format", "layout", type=click.Choice(RECORD_LAYOUTS), default="jsonl", show_default=True,
              help="jsonl: records LangChain's Document and LlamaIndex's TextNode both load; or one of them only.")
@click.option("--kind", default=None, help="Only documents of this kind (overview, techspec, git_summary, code, docs, ...).")
@click.option("--path", "path_filter", default=None, help="Only documents about this file.")
@output_option
@click.pass_context
def rag_export(ctx: click.Context, analysis: int, layout: str, kind: str | None, path_filter: str | None, output: str | None) -> None:
    """Write the documents of ANALYSIS as JSON Lines (built first if none are stored)."""
    from ..db.engine import unit_of_work
    from ..outputs.insights import load, store_documents
    from ..outputs.rag.storage import iter_documents

    store = _store()
    with unit_of_work(store.engine) as session:
        empty = next(iter_documents(session, analysis), None) is None
    if empty:
        _echo_notes(store_documents(store, load(store, analysis), plugin_manager(ctx)).notes())
    count = write_export(ctx, store, "rag", analysis, {"layout": layout, "kind": kind, "path": path_filter}, output)
    if output:
        _echo_notes([f"{count} documents written to {output}"])


@click.command("report")
@analysis_argument
@threshold_option
@output_option
@click.pass_context
def report_command(ctx: click.Context, analysis: int, threshold: float, output: str | None) -> None:
    """Print a Markdown report of ANALYSIS."""
    write_export(ctx, _store(), "markdown", analysis, {"threshold": threshold}, output)


@click.command("sarif")
@analysis_argument
@threshold_option
@click.option("--error-threshold", type=click.FloatRange(min=0), default=None, help="Complexity above which a finding is an error (default: twice the threshold).")
@output_option
@click.pass_context
def sarif_command(ctx: click.Context, analysis: int, threshold: float, error_threshold: float | None, output: str | None) -> None:
    """Write the complexity findings of ANALYSIS as SARIF 2.1.0."""
    write_export(ctx, _store(), "sarif", analysis, {"threshold": threshold, "error_threshold": error_threshold}, output)


def write_export(ctx: click.Context, store: Any, name: str, analysis: int, options: Mapping[str, Any], output: str | None) -> int:
    """Render format ``name`` of ANALYSIS into ``output`` (stdout without one); returns the pieces written.

    The content is rendered in full before a file is touched, except streamed
    text, which goes into a temporary file that replaces ``output`` only when complete.
    """
    from ..db.engine import unit_of_work
    from ..outputs.formats import file_chunks
    from ..outputs.registry import get_format
    from ..outputs.source import ExportSource

    fmt = get_format(plugin_manager(ctx), name)
    parsed = fmt.parse_options(options)
    count = 0
    with unit_of_work(store.engine) as session:
        content = fmt.render(ExportSource(session, analysis, fmt.analyzers), parsed)
        with open_output(output) as handle:
            for chunk in file_chunks(content):
                if isinstance(chunk, bytes):
                    handle.flush()
                    handle.buffer.write(chunk)  # type: ignore[attr-defined]
                else:
                    handle.write(chunk)
                count += 1
    return count


def _format_lines(formats: Mapping[str, Any]) -> list[str]:
    lines = []
    for name, fmt in sorted(formats.items()):
        lines.append(f"{name}  {fmt.media_type}  {fmt.suffix}  [{fmt.plugin}]  {fmt.description}".rstrip())
        for option in fmt.options:
            default = "" if option.default is None else f" (default {option.default})"
            lines.append(f"  {option.name}={option.type}{default}  {option.help}".rstrip())
    return lines


@click.command("export")
@click.argument("analysis", type=click.IntRange(min=1), metavar="ANALYSIS", required=False)
@click.option("--format", "-f", "format_name", default=None, metavar="NAME", help="Export format (see --list).")
@click.option("--option", "-O", "option_pairs", multiple=True, metavar="NAME=VALUE", help="Option of the format (repeatable).")
@click.option("--list", "list_formats", is_flag=True, help="List the export formats and their options.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON.")
@output_option
@click.pass_context
def export_command(ctx: click.Context, analysis: int | None, format_name: str | None, option_pairs: tuple[str, ...],
                   list_formats: bool, as_json: bool, output: str | None) -> None:
    """Write ANALYSIS in an export format: built-in or registered by a plugin (`coe export --list`)."""
    from ..outputs.formats import parse_pairs
    from ..outputs.registry import export_formats

    if list_formats:
        formats = export_formats(plugin_manager(ctx))
        if as_json:
            click.echo(json.dumps([f.describe() for _n, f in sorted(formats.items())], indent=2, ensure_ascii=False))
        else:
            for line in _format_lines(formats):
                click.echo(line)
        return
    if analysis is None or not format_name:
        raise click.UsageError("name ANALYSIS and --format NAME (or pass --list)")
    write_export(ctx, _store(), format_name, analysis, parse_pairs(option_pairs), output)
    if output:
        _echo_notes([f"wrote {output} ({format_name})"])


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


@click.command("correlate")
@analysis_argument
@click.option("--recompute", is_flag=True, help="Compute the correlations again from the stored results.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def correlate_command(analysis: int, recompute: bool, as_json: bool) -> None:
    """Show what the repositories of ANALYSIS share: dependencies, contributors, stack."""
    from ..db.engine import unit_of_work
    from ..outputs.insights import correlations_for, load, store_correlations

    store = _store()
    with unit_of_work(store.engine) as session:
        found = correlations_for(session, analysis)
    if recompute or not found:
        store_correlations(store, load(store, analysis))
        with unit_of_work(store.engine) as session:
            found = correlations_for(session, analysis)
    if as_json:
        click.echo(json.dumps(found, indent=2, ensure_ascii=False))
        return
    if not found:
        click.echo("nothing to correlate: the analysis has fewer than two repositories with results")
        return
    for pair in found:
        scores = pair["scores"]
        click.echo(f"{pair['repository_a']['name']} ~ {pair['repository_b']['name']}: overall {_pct(scores.get('overall'))}, "
                   f"stack {_pct(scores.get('stack'))} (languages {_pct(scores.get('languages'))}, frameworks {_pct(scores.get('frameworks'))}, "
                   f"dependencies {_pct(scores.get('dependencies'))}), contributors {_pct(scores.get('contributors'))}")
        for dep in pair["shared_dependencies"]:
            drift = {True: "  (drift)", False: "", None: "  (versions unknown)"}[dep.get("drift")]
            click.echo(f"  dependency {dep['ecosystem']} {dep['name']}: {', '.join(dep['versions']['a']) or '?'} / {', '.join(dep['versions']['b']) or '?'}{drift}")
        for person in pair["shared_contributors"]:
            click.echo(f"  contributor {person['name']} <{person['email']}>: {person['commits']['a']} / {person['commits']['b']} commits")
