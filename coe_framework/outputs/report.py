"""The Markdown report of a stored analysis: stack, known vulnerabilities, code,
history and correlations, one section per repository."""
from __future__ import annotations

from typing import Any, Mapping, Sequence

from sqlalchemy.orm import Session

from . import result_views as views
from .sarif import DEFAULT_THRESHOLD
from .source import ExportSource
from .stored_analysis import StoredAnalysis

#: Rows in the report's tables.
REPORT_TOP_N = 10

def _cell(value: Any) -> str:
    """A value made safe for a Markdown table cell."""
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return lines + [""]


def _stack_section(results: Mapping[str, Any]) -> list[str]:
    langs = views.languages(results)
    if not langs and not views.dependencies(results):
        return []
    lines = ["### Technology stack", ""]
    if langs:
        lines += _table(["Language", "Share of bytes", "Files"], [(n, views.percent(i.get("share_bytes")), i.get("files")) for n, i in langs.items()])
    frameworks = views.frameworks(results)
    if frameworks:
        lines += ["Frameworks and tools: " + ", ".join(f"{f['name']} ({f.get('category', '?')})" for f in frameworks), ""]
    deps = views.dependencies(results)
    if deps:
        direct = len(views.direct_dependencies(results))
        lines += [f"Dependencies: {direct} direct, {len(deps) - direct} transitive.", ""]
    license_ = views.repository_license(results)
    if license_:
        lines += [f"License: {license_}", ""]
    return lines


def _code_section(results: Mapping[str, Any], threshold: float) -> list[str]:
    if not views.ast_files(results):
        return []
    size = views.code_size(results)
    lines = ["### Code", "", f"{size['files']:.0f} files, {size['loc']:.0f} lines, {size['functions']:.0f} functions."]
    if "mean_complexity" in size:
        lines[-1] += f" Mean cyclomatic complexity {size['mean_complexity']:.2f}."
    if "maintainability" in size:
        lines[-1] += f" Mean maintainability index {size['maintainability']:.1f}."
    lines.append("")
    complex_ = sorted(views.complex_symbols(results, threshold), key=lambda item: (-item[2], item[0]))
    lines += [f"Functions above complexity {threshold:g}: {len(complex_)}.", ""]
    if complex_:
        lines += _table(["Function", "File", "Lines", "Complexity"], [
            (s.get("qualified_name") or s.get("name"), path, f"{s.get('line_start')}-{s.get('line_end')}", f"{value:g}")
            for path, s, value in complex_[:REPORT_TOP_N]
        ])
    return lines


def _history_section(results: Mapping[str, Any]) -> list[str]:
    git = views.git_summary(results)
    if not git:
        return []
    lines = ["### History", "", f"{git.get('commits', 0)} commits by {git.get('author_count', 0)} authors, "
             f"{git.get('first_commit_at') or '?'} to {git.get('last_commit_at') or '?'}."]
    truck = views.truck_factor(results)
    if truck.get("value") is not None:
        lines[-1] += f" Truck factor {truck['value']}."
    lines.append("")
    authors = views.authors(results)[:REPORT_TOP_N]
    if authors:
        lines += _table(["Author", "Commits", "Lines added", "Lines removed"],
                        [(f"{a.get('name')} <{a.get('email')}>", a.get("commits"), a.get("lines_added"), a.get("lines_removed")) for a in authors])
    hotspots = views.hotspots(results)[:REPORT_TOP_N]
    if hotspots:
        lines += _table(["Hotspot", "Revisions", "Churn", "Complexity"],
                        [(h["path"], h.get("revisions"), h.get("churn"), h.get("complexity")) for h in hotspots])
    return lines


def _correlation_section(correlations: Sequence[Mapping[str, Any]]) -> list[str]:
    if not correlations:
        return []
    lines = ["## Correlation", ""]
    lines += _table(
        ["Repositories", "Overall", "Stack", "Languages", "Frameworks", "Dependencies", "Contributors", "Shared dependencies", "Shared contributors"],
        [
            (f"{c['repository_a']['name']} / {c['repository_b']['name']}", *(_score(c["scores"].get(k)) for k in ("overall", "stack", "languages", "frameworks", "dependencies", "contributors")),
             len(c["shared_dependencies"]), len(c["shared_contributors"]))
            for c in correlations
        ],
    )
    for c in correlations:
        drifting = [d for d in c["shared_dependencies"] if d.get("drift")]
        if drifting:
            lines += [f"Version drift between {c['repository_a']['name']} and {c['repository_b']['name']}:", ""]
            lines += [f"- {d['ecosystem']} {d['name']}: {', '.join(d['versions']['a'])} vs {', '.join(d['versions']['b'])}" for d in drifting] + [""]
    return lines


def _score(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def markdown_report(analysis: StoredAnalysis, correlations: Sequence[Mapping[str, Any]] = (), threshold: float = DEFAULT_THRESHOLD,
                    vulnerabilities: Mapping[int, Sequence[Mapping[str, Any]]] | None = None) -> str:
    """The analysis as a Markdown document (``vulnerabilities`` as for :func:`~coe_framework.outputs.sarif.sarif_log`)."""
    from ..vulns.reporting import markdown_lines

    lines = [f"# CoE analysis {analysis.id}", "",
             f"Status: {analysis.status}. Created {analysis.created_at or '?'}, finished {analysis.finished_at or '?'}. "
             f"{len(analysis.repositories)} repositories.", ""]
    for repo in analysis.repositories:
        lines += [f"## {_cell(repo.name)}", "", f"`{_cell(repo.url)}` at commit `{repo.commit or '?'}`: {repo.status}.", ""]
        if repo.errors:
            lines += [f"- {name}: {_cell(error)}" for name, error in sorted(repo.errors.items())] + [""]
        lines += _stack_section(repo.results)
        lines += markdown_lines((vulnerabilities or {}).get(repo.repository_analysis_id, ()), _cell, _table)
        lines += _code_section(repo.results, threshold) + _history_section(repo.results)
    lines += _correlation_section(correlations)
    return "\n".join(lines).rstrip() + "\n"


def render_report(source: ExportSource, options: Mapping[str, Any]) -> str:
    """The ``markdown`` export format: :func:`markdown_report` of a stored analysis."""
    return markdown_report(source.analysis, source.correlations, options["threshold"], source.vulnerabilities)


def report_for(session: Session, analysis_id: int, threshold: float = DEFAULT_THRESHOLD) -> str:
    """The Markdown report of a stored analysis (``NotFound`` for an unknown one)."""
    return render_report(ExportSource(session, analysis_id), {"threshold": threshold})
