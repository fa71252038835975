"""CoE's stored results in the shape of the original ``AnalysisResult``.

Everything comes from what CoE measured: the ``ast`` analyzer's files and
symbols, the ``techspec`` analyzer's stack, the commit each repository was
pinned to, and the stored correlations. Where CoE has no equivalent
(``clone_path``, ``similar_patterns``), or an analyzer did not run, the
value is null or empty; nothing is estimated.
"""
from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..outputs import result_views as views
from ..db.models import AnalysisRequest
from ..db.store import iso
from .ids import STATUS_WORDS, keys_for, public_id

#: Package ecosystems and the language (techspec's name) and runtime they belong to.
ECOSYSTEM_LANGUAGES: dict[str, tuple[str, str]] = {
    "pypi": ("Python", "python"),
    "npm": ("JavaScript", "node"),
    "maven": ("Java", "java"),
    "gradle": ("Java", "java"),
    "gem": ("Ruby", "ruby"),
    "composer": ("PHP", "php"),
    "nuget": ("C#", "dotnet-sdk"),
    "cargo": ("Rust", "rust"),
    "go": ("Go", "go"),
    "golang": ("Go", "go"),
}
#: The analyzer name under which ``coe db import-legacy`` keeps what the original services recorded.
IMPORTED_ANALYZER = "original"
#: Symbol keys that have their own place in an original AST node.
_NODE_KEYS = frozenset({"kind", "name", "line_start", "line_end", "parent"})


def analysis_document(
    analysis: Mapping[str, Any],
    results: Sequence[Mapping[str, Any]],
    correlations: Sequence[Mapping[str, Any]],
    analysis_id: str,
    include_correlation: bool = True,
) -> dict[str, Any]:
    """One analysis as the original ``GET /api/v1/results/{analysis_id}`` answered it.

    ``analysis`` and ``results`` are the store's dictionaries
    (:meth:`Store.get_analysis`, :meth:`Store.get_results`), ``correlations``
    those of :func:`coe_framework.outputs.insights.correlations_for`.
    """
    payloads: dict[int, dict[str, Any]] = {}
    failures: list[str] = []
    for result in results:
        if result.get("status") == "succeeded" and isinstance(result.get("data"), Mapping):
            payloads.setdefault(result["repository_analysis_id"], {})[result["analyzer"]] = result["data"]
        elif result.get("error"):
            failures.append(f"{result['repository']['name']}/{result['analyzer']}: {result['error']}")
    submitted = {str(r.get("url")): r for r in analysis.get("repositories") or []}
    repositories = []
    imported_correlation = None
    for ra in analysis.get("repository_analyses") or []:
        found = payloads.get(ra["id"], {})
        imported = found.get(IMPORTED_ANALYZER)
        if isinstance(imported, Mapping):  # brought in from the original services: shown as they recorded it
            repositories.append(dict(imported.get("repository_analysis") or {}))
            imported_correlation = imported_correlation or imported.get("correlation_analysis")
        else:
            repositories.append(repository_document(ra, submitted.get(ra["repository"]["url"], {}), found))
    correlation = None
    if include_correlation and imported_correlation is not None:
        correlation = imported_correlation
    elif include_correlation and len(repositories) > 1:
        correlation = correlation_document(correlations, [payloads.get(ra["id"], {}) for ra in analysis["repository_analyses"]])
    return {
        "analysis_id": analysis_id,
        "status": STATUS_WORDS.get(analysis["status"], "failed"),
        "created_at": analysis.get("created_at"),
        "completed_at": analysis.get("finished_at"),
        "repositories": repositories,
        "correlation_analysis": correlation,
        "error_message": analysis.get("error") or ("; ".join(failures) if failures else None),
    }


def repository_document(ra: Mapping[str, Any], submitted: Mapping[str, Any], results: Mapping[str, Any]) -> dict[str, Any]:
    """One ``RepositoryAnalysis`` of the original shape from a repository analysis and its payloads."""
    files = views.ast_files(results)
    return {
        "repository": {"url": ra["repository"]["url"], "branch": ra.get("ref") or submitted.get("ref"), "name": ra["repository"]["name"]},
        # Mirrors are bare and private to the server: there is no checkout to point at.
        "clone_path": None,
        "files": [
            {"path": path, "size": _int(info.get("size")), "language": info.get("language"), "lines_of_code": _int(info.get("loc"))}
            for path, info in sorted(files.items())
        ],
        "ast_analysis": {path: symbol_tree(views.symbols(info)) for path, info in sorted(files.items()) if views.symbols(info)},
        "tech_specs": tech_specs(results),
        "code_metrics": code_metrics(results),
        "documentation_files": _paths(_techspec(results).get("docs")),
        "config_files": config_files(results),
        "commit_info": commit_info(ra),
    }


def symbol_tree(symbols: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Symbols as nested original AST nodes: a method sits in its class's ``children``.

    A symbol's ``parent`` is the index of its enclosing symbol in the same file's list.
    """
    listed = list(symbols)
    nodes: list[dict[str, Any]] = [
        {
            "type": symbol.get("kind"),
            "name": symbol.get("name"),
            "line_start": symbol.get("line_start"),
            "line_end": symbol.get("line_end"),
            "children": [],
            "metadata": {key: value for key, value in symbol.items() if key not in _NODE_KEYS},
        }
        for symbol in listed
    ]
    roots: list[dict[str, Any]] = []
    for index, (symbol, node) in enumerate(zip(listed, nodes)):
        parent = symbol.get("parent")
        if isinstance(parent, int) and not isinstance(parent, bool) and 0 <= parent < len(nodes) and parent != index:
            nodes[parent]["children"].append(node)
        else:
            roots.append(node)
    return roots


def tech_specs(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per package ecosystem found, then one per other detected language."""
    techspec = _techspec(results)
    if not techspec:
        return []
    runtimes = {str(r.get("name")): r.get("version") for r in views.runtimes(results)}
    frameworks = [f for f in views.frameworks(results) if f.get("category") == "framework"]
    dependencies = views.direct_dependencies(results)
    ecosystems: list[str] = []
    for item in list(techspec.get("manifests") or []) + list(dependencies):
        ecosystem = item.get("ecosystem") if isinstance(item, Mapping) else None
        if isinstance(ecosystem, str) and ecosystem not in ecosystems:
            ecosystems.append(ecosystem)
    specs: list[dict[str, Any]] = []
    for ecosystem in ecosystems:
        language, runtime = ECOSYSTEM_LANGUAGES.get(ecosystem, (None, None))
        framework = next((f["name"] for f in frameworks if any(f"{ecosystem} dependency" in str(e) for e in f.get("evidence") or [])), None)
        specs.append({
            "language": language,
            "framework": framework,
            "dependencies": sorted({str(d["name"]) for d in dependencies if d.get("ecosystem") == ecosystem}),
            "version": runtimes.get(runtime) if runtime else None,
            "package_manager": ecosystem,
        })
    covered = {spec["language"] for spec in specs}
    for language in views.languages(results):
        if language not in covered:
            runtime = language.lower()
            specs.append({"language": language, "framework": None, "dependencies": [], "version": runtimes.get(runtime), "package_manager": None})
    return specs


def code_metrics(results: Mapping[str, Any]) -> dict[str, Any]:
    """Mean complexity per function, mean maintainability, lines, and comment lines per line (ast)."""
    files = views.ast_files(results)
    if not files:
        return {"cyclomatic_complexity": None, "maintainability_index": None, "lines_of_code": None, "comment_ratio": None}
    size = views.code_size(results)
    commented = [(views.number(info.get("comments")), views.number(info.get("loc"))) for info in files.values()]
    comment_lines = sum(c for c, n in commented if c is not None and n is not None)
    counted_lines = sum(n for c, n in commented if c is not None and n is not None)
    return {
        "cyclomatic_complexity": _round(size.get("mean_complexity")),
        "maintainability_index": _round(size.get("maintainability")),
        "lines_of_code": int(size["loc"]),
        # Only files whose parser counts comments (radon, for Python) take part.
        "comment_ratio": _round(comment_lines / counted_lines) if counted_lines else None,
    }


def config_files(results: Mapping[str, Any]) -> list[str]:
    """Manifests, lock files, CI, container, compose, Kubernetes and Helm files (techspec)."""
    techspec = _techspec(results)
    found = set(_paths(techspec.get("manifests")))
    infrastructure = techspec.get("infrastructure")
    if isinstance(infrastructure, Mapping):
        for items in infrastructure.values():
            found.update(_paths(items))
    return sorted(found)


def commit_info(ra: Mapping[str, Any]) -> dict[str, Any] | None:
    """The commit a repository was analysed at (None before it was pinned)."""
    if not ra.get("commit"):
        return None
    return {
        "commit_hash": ra["commit"],
        "commit_date": ra.get("commit_date"),
        "author": ra.get("commit_author"),
        "message": ra.get("commit_message"),
        "branch": ra.get("ref"),
    }


def correlation_document(correlations: Sequence[Mapping[str, Any]], payloads: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The original ``correlation_analysis`` from CoE's stored pairs and the repositories' stacks."""
    dependencies = sorted({str(d.get("name")) for pair in correlations for d in pair.get("shared_dependencies") or [] if d.get("name")})
    seen: dict[str, int] = {}
    for results in payloads:
        technologies = set(views.languages(results)) | {str(f.get("name")) for f in views.frameworks(results) if f.get("name")}
        for technology in technologies:
            seen[technology] = seen.get(technology, 0) + 1
    return {
        "common_dependencies": dependencies,
        "shared_technologies": sorted(t for t, count in seen.items() if count > 1),
        # CoE compares stacks, dependencies and contributors, not code patterns.
        "similar_patterns": [],
        "architecture_similarity": {
            f"{pair['repository_a']['name']} vs {pair['repository_b']['name']}": pair.get("similarity") for pair in correlations
        },
    }


def list_summaries(session: Session, limit: int, offset: int) -> list[dict[str, Any]]:
    """``GET /api/v1/results``: analyses newest first, ``limit`` from ``offset``."""
    rows = session.execute(
        select(AnalysisRequest.id, AnalysisRequest.status, AnalysisRequest.created_at, AnalysisRequest.finished_at,
               AnalysisRequest.repositories)
        .order_by(AnalysisRequest.id.desc()).limit(limit).offset(offset)
    ).all()
    keys = keys_for(session, [row[0] for row in rows])
    return [
        {
            "analysis_id": public_id(request_id, keys.get(request_id)),
            "status": STATUS_WORDS.get(status, "failed"),
            "created_at": iso(created),
            "completed_at": iso(finished),
            "repository_count": len(repositories or []),
            "source": "database",
        }
        for request_id, status, created, finished, repositories in rows
    ]


def _techspec(results: Mapping[str, Any]) -> Mapping[str, Any]:
    data = results.get(views.TECHSPEC)
    return data if isinstance(data, Mapping) else {}


def _paths(items: Any) -> list[str]:
    if not isinstance(items, list):
        return []
    return [str(item["path"]) for item in items if isinstance(item, Mapping) and isinstance(item.get("path"), str)]


def _int(value: Any) -> int | None:
    number = views.number(value)
    return int(number) if number is not None else None


def _round(value: float | None) -> float | None:
    return round(value, 4) if value is not None else None
