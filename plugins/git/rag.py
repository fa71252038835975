"""The git plugin's RAG document: who owns the code and what changes together.

One ``git_summary`` document per repository: authors (as mapped by
.mailmap), the truck factor, the files with the most concentrated ownership
among the hotspots, and the strongest change-coupling pairs.
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from coe_framework.outputs import result_views as views
from coe_framework.plugin_api import hookimpl

#: Authors, hotspots and coupling pairs named in the summary.
TOP_AUTHORS = 15
TOP_FILES = 10
TOP_PAIRS = 10


def summary_text(repository: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """The summary as plain text, one fact per line."""
    git = views.git_summary(results)
    lines = [
        f"Git history of {repository.get('name')} at commit {repository.get('commit')}: "
        f"{git.get('commits', 0)} commits, {git.get('author_count', 0)} authors, "
        f"{git.get('lines_added', 0)} lines added and {git.get('lines_removed', 0)} removed."
    ]
    authors = views.authors(results)
    if authors:
        lines.append("Main authors (commits, lines added/removed, active from-to):")
        for author in authors[:TOP_AUTHORS]:
            lines.append(
                f"- {author.get('name')} <{author.get('email')}>: {author.get('commits', 0)} commits, "
                f"+{author.get('lines_added', 0)}/-{author.get('lines_removed', 0)}, "
                f"{author.get('first_commit_at', '?')} to {author.get('last_commit_at', '?')}"
            )
    truck = views.truck_factor(results)
    if truck.get("value") is not None:
        named = ", ".join(str(a) for a in truck.get("authors", []) or []) or "nobody"
        lines.append(f"Truck factor: {truck['value']} (authors whose loss would orphan most files: {named}).")
    files = git.get("files") if isinstance(git.get("files"), Mapping) else {}
    hot = [h for h in views.hotspots(results) if isinstance(files.get(h["path"]), Mapping)][:TOP_FILES]
    if hot:
        lines.append("Ownership of the hotspots:")
        for spot in hot:
            info = files[spot["path"]]
            lines.append(
                f"- {spot['path']}: main author {info.get('main_author')} ({views.percent(info.get('ownership'))} of lines), "
                f"{info.get('author_count', '?')} authors, {info.get('revisions', '?')} revisions"
            )
    pairs = sorted(views.coupling(results), key=lambda c: (-(views.number(c.get("degree")) or 0.0), c["file_a"], c["file_b"]))
    if pairs:
        lines.append("Files that change together (change coupling):")
        for pair in pairs[:TOP_PAIRS]:
            lines.append(f"- {pair['file_a']} and {pair['file_b']}: {pair.get('shared_commits', '?')} shared commits, degree {views.percent(pair.get('degree'))}")
    return "\n".join(lines) + "\n"


@hookimpl
def coe_rag_documents(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None]) -> None:
    """Contribute the ``git_summary`` document when the git analyzer ran."""
    if not views.git_summary(results):
        return
    register(
        text=summary_text(repository, results),
        metadata={"analyzer": views.GIT, "title": f"Git history of {repository.get('name')}"},
        kind="git_summary",
        key="git_summary",
    )
