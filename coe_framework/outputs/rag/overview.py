"""The framework's own RAG document: one overview per repository.

It combines what the built-in analyzers found (stack from ``techspec``, size
from ``ast``, activity and hotspots from ``git``) into a short text that
answers "what is this repository?" for a retrieval pipeline. Parts whose
analyzer did not run are left out.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Mapping

from .. import result_views as views

#: Hotspots and languages named in the overview.
TOP_N = 5


def _stack_lines(results: Mapping[str, Any]) -> list[str]:
    lines = []
    langs = views.languages(results)
    if langs:
        named = ", ".join(f"{name} {views.percent(info.get('share_bytes'))}" for name, info in list(langs.items())[:TOP_N])
        lines.append(f"Languages (by bytes): {named}.")
    frameworks = views.frameworks(results)
    if frameworks:
        lines.append("Frameworks and tools: " + ", ".join(f"{f['name']} ({f.get('category', '?')})" for f in frameworks) + ".")
    runtimes = views.runtimes(results)
    if runtimes:
        lines.append("Runtimes: " + ", ".join(f"{r.get('name')} {r.get('version')}" for r in runtimes) + ".")
    deps = views.dependencies(results)
    if deps:
        by_ecosystem = Counter(str(d["ecosystem"]) for d in deps)
        spread = ", ".join(f"{eco} {count}" for eco, count in sorted(by_ecosystem.items()))
        lines.append(f"Dependencies: {len(deps)} declared or locked ({spread}).")
    license_ = views.repository_license(results)
    if license_:
        lines.append(f"License: {license_}.")
    return lines


def _size_lines(results: Mapping[str, Any]) -> list[str]:
    if not views.ast_files(results):
        return []
    size = views.code_size(results)
    line = f"Size: {size['files']:.0f} source files, {size['loc']:.0f} lines ({size['sloc']:.0f} source lines), {size['functions']:.0f} functions."
    extra = []
    if "mean_complexity" in size:
        extra.append(f"mean cyclomatic complexity {size['mean_complexity']:.1f}")
    if "maintainability" in size:
        extra.append(f"mean maintainability index {size['maintainability']:.1f}")
    return [line] + ([f"Quality: {', '.join(extra)}."] if extra else [])


def _activity_lines(results: Mapping[str, Any]) -> list[str]:
    git = views.git_summary(results)
    if not git:
        return []
    lines = [
        f"Activity: {git.get('commits', 0)} commits ({git.get('merges', 0)} merges) by {git.get('author_count', len(views.authors(results)))} authors"
        f" from {git.get('first_commit_at') or '?'} to {git.get('last_commit_at') or '?'}."
    ]
    truck = views.truck_factor(results)
    if truck.get("value") is not None:
        lines.append(f"Truck factor: {truck['value']}.")
    hotspots = views.hotspots(results)[:TOP_N]
    if hotspots:
        lines.append("Top hotspots: " + "; ".join(
            f"{h['path']} ({h.get('revisions', '?')} revisions, churn {h.get('churn', '?')}"
            + (f", complexity {h['complexity']}" if h.get("complexity") is not None else "") + ")"
            for h in hotspots
        ) + ".")
    return lines


def overview_text(repository: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """The overview as plain text (a heading line, then one fact per line)."""
    head = f"Repository {repository.get('name') or repository.get('url')} ({repository.get('url')}) at commit {repository.get('commit')}."
    body = _stack_lines(results) + _size_lines(results) + _activity_lines(results)
    return "\n".join([head, *body]) + "\n"


def contribute_overview(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None]) -> None:
    """Register the overview document (always, even with no results: it names the repository)."""
    used = sorted(name for name in (views.GIT, views.AST, views.TECHSPEC) if results.get(name))
    register(
        text=overview_text(repository, results),
        metadata={"analyzer": ",".join(used) or None, "title": f"Overview of {repository.get('name')}"},
        kind="overview",
        key="overview",
    )
