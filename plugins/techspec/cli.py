"""The ``coe sbom`` command: analyze one repository with techspec and write
its CycloneDX 1.6 SBOM."""
from __future__ import annotations

import json

import click

SBOM_ANALYZER = "techspec"


@click.command("sbom")
@click.argument("target")
@click.option("--ref", default=None, help="Branch, tag or commit to analyze (default: HEAD).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None, help="Write the SBOM here instead of stdout.")
@click.pass_context
def sbom_command(ctx: click.Context, target: str, ref: str | None, output: str | None) -> None:
    """Write a CycloneDX 1.6 SBOM (JSON) of TARGET, a local path or https URL."""
    from coe_framework.plugins import get_manager
    from coe_framework.service import analyze_repositories

    from .sbom import build_sbom

    manager = ctx.find_root().meta.get("coe.manager") or get_manager()
    report = analyze_repositories(manager, [target], analyzers=[SBOM_ANALYZER], ref=ref, workers=1)
    outcome = report.repositories[0]
    result = outcome.outcomes.get(SBOM_ANALYZER)
    if result is None or not result.ok or result.data is None:
        reason = result.error if result is not None else "not run"
        raise click.ClickException(f"techspec analysis of {target} failed: {reason}")
    document = build_sbom(result.data, {"name": outcome.repository.name, "url": outcome.repository.url, "commit": outcome.commit})
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if output:
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        click.echo(f"wrote {output} ({len(document.get('components', []))} components)", err=True)
    else:
        click.echo(text)
