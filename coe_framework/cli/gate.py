"""``coe gate PATH``: analyze (or reuse the stored analysis of) a commit and judge it.

Exit codes: 0 every condition holds (or was skipped for want of a
baseline), 1 a condition failed or its measure has no value, 2 bad input
(a condition, a gate file, a source). The verdict per condition goes to
standard output, one line each; ``--junit`` and ``--sarif`` write the same for
CI systems.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Sequence

import click

from .common import EXIT_FAILED, UserError, plugin_manager
from ..measures.registry import Catalogue, catalogue
from ..gate.config import DEFAULT_CONFIG, GateConfigError, GateSpec, from_file, from_options, from_repository, parse_gate_document


def _write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    target = Path(path)
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent if str(target.parent) else ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def gate_spec(conditions: Sequence[str], config: str | None, measures: Catalogue) -> GateSpec | None:
    """Conditions from the options or the configuration file; None to look in the repository."""
    if conditions:
        return from_options(conditions, measures)
    if config:
        return from_file(Path(config), measures, shown=config)
    default = Path(DEFAULT_CONFIG)
    if default.is_file():  # a coe.toml without [gate] is someone else's settings: look further
        from ..jsonfiles import read_regular_file

        try:
            raw = read_regular_file(default, 1024 * 1024)
        except (OSError, ValueError) as exc:
            raise GateConfigError(f"{DEFAULT_CONFIG}: cannot read it: {exc}") from None
        return parse_gate_document(raw, DEFAULT_CONFIG, ("gate",), measures, required=False)
    return None


def analyzers_for(spec: GateSpec, measures: Catalogue, installed: Any) -> tuple[list[str], list[str]]:
    """``(needed, to_run)``: the analyzers the conditions read, and those plus what they use."""
    needed = sorted({measures.measures[c.measure].analyzer for c in spec.conditions})
    missing = [name for name in needed if name not in installed]
    if missing:
        owner = next(c for c in spec.conditions if measures.measures[c.measure].analyzer == missing[0])
        raise UserError(f"{owner.source}: measure '{owner.measure}' needs the '{missing[0]}' analyzer, which is not installed")
    run = set(needed)
    for name in needed:
        run.update(u for u in installed[name].uses if u in installed)
    return needed, sorted(run)


@click.command("gate")
@click.argument("target")
@click.option("--condition", "conditions", multiple=True, metavar="'MEASURE OP VALUE'",
              help="A condition (repeatable), e.g. 'mean_complexity <= 4' or 'delta(mean_complexity) <= 0'.")
@click.option("--config", default=None, metavar="FILE", help=f"A TOML file with a [gate] table (default: ./{DEFAULT_CONFIG} if it has one).")
@click.option("--ref", default=None, help="Branch, tag or commit to judge (default: HEAD).")
@click.option("--baseline", default=None, help="Ref to compare with (default: the repository's previous stored analysis).")
@click.option("--junit", type=click.Path(dir_okay=False, writable=True), default=None, help="Write a JUnit XML report here.")
@click.option("--sarif", type=click.Path(dir_okay=False, writable=True), default=None, help="Write a SARIF 2.1.0 log here.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--workers", type=click.IntRange(1, 256), default=None, help="File analysis processes (default: all cores).")
@click.pass_context
def gate_command(ctx: click.Context, target: str, conditions: tuple[str, ...], config: str | None, ref: str | None,
                 baseline: str | None, junit: str | None, sarif: str | None, fmt: str, workers: int | None) -> None:
    """Judge TARGET (a local path or https URL) by quality gate conditions; exit 1 when one fails."""
    from ..analysis.process_store import open_store
    from ..repository.sources import open_repository
    from ..gate.evaluate import evaluate
    from ..gate.judging import judge

    manager = plugin_manager(ctx)
    measures = catalogue(manager)
    spec = gate_spec(conditions, config, measures)  # a GateConfigError (bad input) ends the command in one line
    prepared = open_repository(target, ref)
    if spec is None:
        spec = from_repository(prepared.git_dir, prepared.commit, measures)
    if spec is None:
        raise UserError(f"no gate conditions: give --condition, a [gate] table in {DEFAULT_CONFIG} (or --config FILE), "
                        "or [tool.coe.gate] in the repository's pyproject.toml")
    needed, to_run = analyzers_for(spec, measures, manager.analyzers)
    store = open_store()
    wants_baseline = any(c.delta or measures.measures[c.measure].needs_baseline for c in spec.conditions)
    judged = judge(manager, store, prepared, needed, to_run, wants_baseline=wants_baseline,
                   baseline_ref=baseline or spec.baseline, workers=workers)
    outcome = evaluate(spec.conditions, measures, judged.results, judged.baseline, spec.source)
    judged.save(store, outcome)
    repository = judged.repository
    if junit:
        from ..gate.reports import junit_xml

        _write_atomically(junit, junit_xml(outcome, repository, prepared.commit))
    if sarif:
        from ..gate.reports import sarif_log

        _write_atomically(sarif, (json.dumps(sarif_log(outcome, repository, prepared.commit), indent=2) + "\n").encode())
    for note in judged.notes:
        click.echo(note, err=True)
    if fmt == "json":
        click.echo(json.dumps({"analysis_id": judged.analysis_id, "gate_id": judged.gate_id, "commit": prepared.commit,
                               "repository": repository, **outcome.to_dict()}, indent=2))
    else:
        base = f"baseline {outcome.baseline.commit[:12]}" if outcome.baseline else "no baseline"
        click.echo(f"gate: {repository['name']} at {prepared.commit[:12]} (analysis {judged.analysis_id}{', stored' if judged.reused else ''}), {base}")
        for verdict in outcome.verdicts:
            click.echo(verdict.line())
        failing = [v for v in outcome.verdicts if not v.ok]
        click.echo("gate passed" if outcome.passed else f"gate failed: {len(failing)} of {len(outcome.verdicts)} conditions")
    if not outcome.passed:
        ctx.exit(EXIT_FAILED)
