"""A third-party-style plugin that registers an export format: the git authors as CSV."""
from __future__ import annotations

import csv
import io
from typing import Any, Callable, Mapping

from coe_framework.plugin_api import ExportError, ExportFormat, ExportOption, ExportSource, hookimpl


def render_authors(source: ExportSource, options: Mapping[str, Any]) -> str:
    """``repository,name,email,commits`` rows, at most ``limit`` per repository."""
    if options["separator"] not in (",", ";"):
        raise ExportError("separator must be ',' or ';'")
    out = io.StringIO()
    writer = csv.writer(out, delimiter=options["separator"], lineterminator="\n")
    writer.writerow(["repository", "name", "email", "commits"])
    for repository in source.analysis.repositories:
        authors = (repository.results.get("git") or {}).get("authors") or []
        for author in authors[: options["limit"]]:
            writer.writerow([repository.name, author.get("name"), author.get("email"), author.get("commits")])
    return out.getvalue()


AUTHORS_CSV = ExportFormat(
    "authors-csv", "text/csv", ".csv", render_authors, analyzers=("git",), description="Authors of each repository as CSV.",
    options=(ExportOption("limit", "int", 100, "Authors per repository.", minimum=1), ExportOption("separator", "str", ",", "Field separator.")),
)


class AuthorsExportPlugin:
    """Registers ``authors-csv`` (and, when asked, a second format under a taken name)."""

    def __init__(self, duplicate: bool = False):
        self.duplicate = duplicate

    @hookimpl
    def coe_register_export_formats(self, register: Callable[[Any], None]) -> None:
        register(AUTHORS_CSV)
        if self.duplicate:
            register(ExportFormat("sarif", "application/json", ".json", render_authors))
