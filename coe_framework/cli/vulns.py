"""``coe vulns``: import OSV advisories, show what is loaded, list affected repositories.

Nothing is downloaded: the operator fetches OSV's exports (docs/vulnerabilities.md
shows how) and imports the files.
"""
from __future__ import annotations

import json
from typing import Any

import click

from ..vulns.ecosystems import SUPPORTED
from ..vulns.severity import LEVELS


def _store() -> Any:
    from ..analysis.process_store import open_store

    return open_store()


@click.group("vulns")
def vulns_group() -> None:
    """Known vulnerabilities of analysed dependencies, from OSV advisories (offline)."""


@vulns_group.command("import")
@click.argument("path", type=click.Path(exists=True, file_okay=True, dir_okay=True))
@click.option("--no-match", is_flag=True, help="Only store the advisories; match later with `coe vulns match`.")
def import_command(path: str, no_match: bool) -> None:
    """Import OSV records from PATH: a directory, a zip export or a JSON file.

    Idempotent: a record is rewritten only when its modified time is newer.
    Malformed records and refused archive members are named and skipped.
    """
    from ..vulns.importer import import_path

    summary = import_path(_store(), path, match=not no_match)
    for line in summary.lines():
        click.echo(line)


@vulns_group.command("match")
def match_command() -> None:
    """Match every stored dependency against the stored advisories again."""
    from ..vulns.matching import rematch

    found = rematch(_store())
    click.echo(f"matched {found.dependencies} dependencies: {found.confirmed} affected, "
               f"{found.possible} may resolve to an affected version")


@vulns_group.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status_command(as_json: bool) -> None:
    """What is loaded, per ecosystem, and how old it is."""
    from ..db.engine import unit_of_work
    from ..vulns.queries import status

    store = _store()
    with unit_of_work(store.engine) as session:
        found = status(session)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found["advisories"]:
        click.echo("no advisories loaded; import OSV exports with `coe vulns import PATH`")
        return
    click.echo(f"{found['advisories']} advisories ({found['withdrawn']} withdrawn)")
    for row in found["ecosystems"]:
        click.echo(f"  {row['ecosystem']:<9} {row['advisories']:>7} advisories  {row['packages']:>6} packages  "
                   f"newest modified {row['newest_modified']}  imported {row['last_imported']}")
    if found["severities"]:
        click.echo("severity: " + ", ".join(f"{k} {v}" for k, v in found["severities"].items()))
    hits = found["hits"]
    click.echo(f"hits: {hits['affected']} affected dependencies, {hits['may_resolve_to_affected']} may resolve to an affected version")


@vulns_group.command("affected")
@click.argument("package", required=False)
@click.option("--ecosystem", type=click.Choice(sorted(SUPPORTED)), help="The package's ecosystem (default: every one).")
@click.option("--severity", type=click.Choice(LEVELS), help="Only advisories at or above this level.")
@click.option("--analysis", type=click.IntRange(min=1), help="One analysis instead of each repository's newest.")
@click.option("--confirmed", is_flag=True, help="Only locked versions that are affected.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def affected_command(package: str | None, ecosystem: str | None, severity: str | None, analysis: int | None,
                     confirmed: bool, as_json: bool) -> None:
    """Repositories whose dependencies (on PACKAGE, or any) are known to be vulnerable.

    Each repository's newest analysis with a techspec result counts, unless
    --analysis names one.
    """
    from ..db.engine import unit_of_work
    from ..vulns.queries import hits, hits_query

    query = hits_query(package=package, ecosystem=ecosystem, severity=severity, request_id=analysis, confirmed=True if confirmed else None)
    store = _store()
    with unit_of_work(store.engine) as session:
        found = hits(session, query)
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    if not found:
        click.echo("no known vulnerabilities found")
        return
    for hit in found:
        dep, vuln = hit["dependency"], hit["vulnerability"]
        used = dep["version"] or f"({dep['constraint']})"
        fixed = f", fixed in {hit['fixed_version']}" if hit["fixed_version"] else ""
        aliases = f" ({', '.join(vuln['aliases'][:3])})" if vuln["aliases"] else ""
        status = "" if hit["status"] == "affected" else " [may resolve to an affected version]"
        click.echo(f"{hit['repository']['name']}@{(hit['commit'] or '?')[:12]}  {dep['ecosystem']} {dep['name']} {used}  "
                   f"{dep['manifest']}  {vuln['id']}{aliases}  {vuln['severity'] or 'unknown'}{fixed}{status}")
