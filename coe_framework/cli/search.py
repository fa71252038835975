"""``coe search QUERY`` and ``coe search reindex``.

``coe search "retry with backoff" --repository flask -k 5`` prints the best
documents; ``--format json`` prints the page (``items``, ``next_cursor``)
and ``--explain`` says which lexical engine and vector path ranked them.
Bad input (an empty or over-long query, a ``-k`` out of range, a bad
filter) is one line on stderr and exit code 2.
"""
from __future__ import annotations

import json
from typing import Any, Sequence

import click

from ..search.service import DEFAULT_K, MAX_K

#: The subcommands; any other first word starts a query.
SUBCOMMANDS = ("reindex",)


class SearchGroup(click.Group):
    """A group whose first argument is a query unless it names a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] in self.commands or args[0] in ("-h", "--help"):
            return super().parse_args(ctx, args)
        return super().parse_args(ctx, ["query", *args])

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage("coe search", "QUERY [OPTIONS]  |  coe search reindex [--analysis ID]")


def _user_error(message: str) -> click.ClickException:
    from .common import UserError

    return UserError(message)


def _store() -> Any:
    from ..analysis.process_store import open_store

    return open_store()


@click.group("search", cls=SearchGroup)
def search_group() -> None:
    """Search the RAG documents of stored analyses (QUERY), or rebuild the index (reindex).

    `coe search QUERY --help` lists the filters and output options.
    """


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _print_table(items: Sequence[dict[str, Any]], offset: int = 0) -> None:
    if not items:
        click.echo("no documents match")
        return
    click.echo(f"{'#':>3}  {'score':>8}  {'kind':<11}  {'where':<48}  {'repository':<16}  first line")
    for rank, item in enumerate(items, start=offset + 1):
        meta = item["metadata"]
        where = meta.get("path") or meta.get("title") or ""
        if meta.get("line_start"):
            where = f"{where}:{meta['line_start']}-{meta.get('line_end') or meta['line_start']}"
        if meta.get("symbol"):
            where = f"{where} {meta['symbol']}"
        first = next((line for line in item["text"].splitlines() if line.strip()), "")
        click.echo(
            f"{rank:>3}  {item['score']:>8.4f}  {_cell(item['metadata'].get('kind'), 11):<11}  {_cell(where, 48):<48}  "
            f"{_cell(meta.get('repository_name'), 16):<16}  {_cell(first, 60)}"
        )


def _print_explain(explain: dict[str, Any]) -> None:
    lexical, vector = explain["lexical"], explain["vector"]
    click.echo(f"terms: {' '.join(explain['terms'])}", err=True)
    click.echo(f"lexical: {lexical['path']} ({lexical['candidates']} candidates)", err=True)
    if vector.get("path"):
        click.echo(f"vector: {vector['path']}, model {vector['model']} ({vector['dimension']}-d, {vector['candidates']} candidates)", err=True)
    else:
        click.echo(f"vector: not used ({vector.get('reason')})", err=True)
    click.echo(f"ranking: {explain['fusion']}", err=True)


@search_group.command("query", hidden=True)
@click.argument("query", nargs=-1, required=True)
@click.option("--analysis", type=click.IntRange(min=1), default=None, help="Only this analysis's documents.")
@click.option("--repository", "-r", default=None, help="Only this repository (id, URL or name).")
@click.option("--commit", default=None, help="Only documents of this commit (SHA or prefix).")
@click.option("--type", "-t", "types", multiple=True, metavar="KIND", help="Only this document kind: code, docs, overview, git_summary, techspec... (repeatable).")
@click.option("--language", default=None, help="Only documents in this language.")
@click.option("--path-prefix", default=None, help="Only files whose path starts with this.")
@click.option("-k", "k", type=int, default=DEFAULT_K, show_default=True, help=f"Documents per page (1 to {MAX_K}).")
@click.option("--cursor", default=None, help="The next_cursor of the previous page.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--explain", is_flag=True, help="Say how the documents were found (on stderr; in the JSON with --format json).")
@click.pass_context
def query_command(
    ctx: click.Context, query: tuple[str, ...], analysis: int | None, repository: str | None, commit: str | None,
    types: tuple[str, ...], language: str | None, path_prefix: str | None, k: int, cursor: str | None, fmt: str, explain: bool,
) -> None:
    """Search for QUERY (words, identifiers, paths: "retry policy", retryPolicy, src/app)."""
    from .common import plugin_manager
    from ..db.engine import unit_of_work
    from ..search.service import search

    filters = {"analysis": analysis, "repository": repository, "commit": commit, "type": list(types) or None,
               "language": language, "path_prefix": path_prefix}
    store = _store()
    with unit_of_work(store.engine) as session:  # a SearchError (bad input) ends the command in one line
        page = search(session, " ".join(query), k=k, filters=filters, cursor=cursor, manager=plugin_manager(ctx))
    if fmt == "json":
        body: dict[str, Any] = page.to_dict()
        if explain:
            body["explain"] = page.explain
        click.echo(json.dumps(body, indent=2, ensure_ascii=False))
        return
    if explain:
        _print_explain(page.explain)
    _print_table(page.items)
    if page.next_cursor:
        click.echo(f"more: --cursor {page.next_cursor}", err=True)


@search_group.command("reindex")
@click.option("--analysis", type=click.IntRange(min=1), default=None, help="Only this analysis (default: every analysis).")
@click.option("--no-embed", is_flag=True, help="Do not compute missing embeddings.")
@click.pass_context
def reindex_command(ctx: click.Context, analysis: int | None, no_embed: bool) -> None:
    """Rebuild the search index from the stored documents (and embed those without a vector)."""
    from sqlalchemy import select

    from .common import plugin_manager
    from ..db.models import AnalysisRequest
    from ..outputs.insights import index_for_search
    from ..search.indexing import index_everything

    store = _store()
    if analysis is not None:
        with store.session() as session:
            if session.get(AnalysisRequest, analysis) is None:
                raise _user_error(f"analysis {analysis} does not exist")
        lines = index_for_search(store, analysis, plugin_manager(ctx), embed=not no_embed)
    else:
        with store.session() as session:
            count = index_everything(session)
            ids = list(session.scalars(select(AnalysisRequest.id).order_by(AnalysisRequest.id)))
        lines = [f"search index: {count} documents"]
        if not no_embed:
            from ..search.embedding import embed_analysis

            for analysis_id in ids:
                lines += [f"analysis {analysis_id}: {line}" for line in embed_analysis(store, analysis_id, plugin_manager(ctx)).notes()]
    for line in lines:
        click.echo(line)
