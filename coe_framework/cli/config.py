"""``coe config show``: every setting's effective value and where it came from.

Sources: ``env`` (the environment), ``file:PATH:LINE`` (the settings file,
``COE_CONFIG`` or ``./coe.toml``) or ``default`` (the documented default,
applied by the code that reads the setting). Secrets (passwords in URLs,
keys, tokens) are masked.
"""
from __future__ import annotations

import json

import click


@click.group("config")
def config_group() -> None:
    """Settings: the environment, coe.toml, defaults."""


@config_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--changed", is_flag=True, help="Only settings that are not at their default.")
def config_show(fmt: str, changed: bool) -> None:
    """Print each setting's effective value and its source, secrets masked."""
    from ..outputs.browse import table
    from ..settings import explain

    rows = [row for row in explain() if not changed or row["source"] != "default"]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    lines = [[row["name"], row["value"] if row["value"] is not None else f"({row['default']})", row["source"]] for row in rows]
    for line in table(lines, ["SETTING", "VALUE", "SOURCE"]):
        click.echo(line)
