"""The ``coe sbom`` command: the CycloneDX 1.6 SBOM of a repository from its
stored techspec result.

TARGET is an analysis id, or a repository (local path or https URL) whose
newest stored techspec result at the commit of ``--ref`` (default HEAD) is
used. Nothing is analyzed unless ``--analyze`` is given; then the repository
is analyzed with techspec and that analysis is stored, as ``coe analyze``
would. The document is the one the API serves
(``GET /api/v1/analyses/{id}/sbom``), known vulnerabilities included.
"""
from __future__ import annotations

import json
import os
from typing import Any

import click

from coe_framework.cli.common import UserError

from .export import SBOM_ANALYZER, render_cyclonedx


def stored_sbom(store: Any, analysis_id: int, repository_id: int | None = None) -> dict[str, Any]:
    """The SBOM of one repository of a stored analysis; a ``CoeError`` (one line) when there is none."""
    from coe_framework.db.engine import unit_of_work
    from coe_framework.plugin_api import Conflict
    from coe_framework.outputs.source import ExportSource, SeveralRepositories

    from .export import CYCLONEDX

    with unit_of_work(store.engine) as session:
        source = ExportSource(session, analysis_id, CYCLONEDX.analyzers)
        try:
            return render_cyclonedx(source, {"repository": repository_id})
        except SeveralRepositories as exc:
            choices = ", ".join(f"{rid} ({name})" for rid, name in exc.choices)
            raise Conflict(f"analysis {analysis_id} has several repositories; pass --repository, one of {choices}") from None


def _latest_at_commit(store: Any, target: str, ref: str | None) -> tuple[int, int]:
    """(analysis id, repository id) of the newest stored techspec result of TARGET at its commit."""
    from coe_framework.repository.sources import open_repository

    prepared = open_repository(target, ref)
    found = store.results_for_commit(prepared.source.url, prepared.commit, SBOM_ANALYZER)
    if not found:
        raise ValueError(f"no stored techspec analysis of {prepared.source.name} at {prepared.commit[:12]};"
                         f" run `coe analyze {target} -a techspec` first, or pass --analyze")
    return int(found[0]["request_id"]), int(found[0]["repository"]["id"])


@click.command("sbom")
@click.argument("target")
@click.option("--ref", default=None, help="Branch, tag or commit of TARGET (default: HEAD).")
@click.option("--repository", "repository_id", type=click.IntRange(min=1), default=None, help="With an analysis id: which of its repositories.")
@click.option("--analyze", "analyze", is_flag=True, help="Analyze TARGET with techspec now (and store that analysis).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the SBOM here instead of stdout.")
@click.pass_context
def sbom_command(ctx: click.Context, target: str, ref: str | None, repository_id: int | None, analyze: bool, output: str | None) -> None:
    """Write a CycloneDX 1.6 SBOM (JSON) of TARGET: an analysis id, or a stored repository (path or https URL)."""
    from coe_framework.analysis.process_store import open_store
    from coe_framework.cli.common import open_output
    from coe_framework.plugin_api import note

    store = open_store()
    is_id = target.isdigit() and not os.path.exists(target)
    if is_id and (ref or analyze):
        raise UserError("--ref and --analyze name a repository, not an analysis id")
    if is_id:
        analysis_id = int(target)
    elif analyze:
        analysis_id, repository_id = _analyze(ctx, store, target, ref), None
    else:
        analysis_id, repository_id = _latest_at_commit(store, target, ref)
    document = stored_sbom(store, analysis_id, repository_id)
    with open_output(output) as handle:
        handle.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    if output:
        note(f"wrote {output} ({len(document.get('components', []))} components, analysis {analysis_id})")


def _analyze(ctx: click.Context, store: Any, target: str, ref: str | None) -> int:
    from coe_framework.plugin.manager import get_manager
    from coe_framework.plugin_api import note
    from coe_framework.analysis.service import analyze_repositories

    manager = ctx.find_root().meta.get("coe.manager") or get_manager()
    report = analyze_repositories(manager, [target], analyzers=[SBOM_ANALYZER], ref=ref, workers=1, store=store)
    outcome = report.repositories[0]
    result = outcome.outcomes.get(SBOM_ANALYZER)
    if result is None or not result.ok or result.data is None:
        reason = result.error if result is not None else "not run"
        raise UserError(f"techspec analysis of {target} failed: {reason}")
    for line in report.notes:
        note(line)
    return int(report.extra["analysis_id"])
