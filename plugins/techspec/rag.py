"""The techspec plugin's RAG documents: the technology stack and the docs.

* ``techspec``: one document with languages, frameworks, runtimes, direct
  dependencies with their constraints and versions, infrastructure and
  licenses.
* ``docs``: README, CHANGELOG, docs folders and the like (the paths of the
  techspec documentation inventory), read at the analysed commit and cut
  into sections on their headings (Markdown) or paragraphs (other text).
"""
from __future__ import annotations

from typing import Any, Callable, Mapping

from coe_framework.outputs import result_views as views
from coe_framework.plugin_api import DEFAULT_MAX_CHARS, RepositoryFiles, hookimpl, markdown_sections, text_sections

#: Direct dependencies listed one by one; beyond that only counted.
MAX_LISTED_DEPENDENCIES = 300
#: Documentation files turned into documents.
MAX_DOC_FILES = 200
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mdx")


def _infrastructure_lines(result: Mapping[str, Any]) -> list[str]:
    infra = result.get("infrastructure")
    if not isinstance(infra, Mapping):
        return []
    lines = []
    for section, items in sorted(infra.items()):
        if isinstance(items, list) and items:
            names = []
            for item in items:
                if isinstance(item, Mapping):
                    label = item.get("image") or item.get("name") or item.get("system") or item.get("path")
                    if label:
                        names.append(str(label))
            lines.append(f"- {section}: {len(items)}" + (f" ({', '.join(sorted(set(names))[:20])})" if names else ""))
    return ["Infrastructure:"] + lines if lines else []


def techspec_text(repository: Mapping[str, Any], results: Mapping[str, Any]) -> str:
    """The technology stack as plain text, one fact per line."""
    lines = [f"Technology stack of {repository.get('name')} at commit {repository.get('commit')}."]
    langs = views.languages(results)
    if langs:
        lines.append("Languages: " + ", ".join(
            f"{name} ({views.percent(info.get('share_bytes'))} of bytes, {info.get('files', '?')} files)" for name, info in langs.items()
        ) + ".")
    for framework in views.frameworks(results):
        evidence = ", ".join(str(e) for e in (framework.get("evidence") or [])[:3])
        lines.append(f"Uses {framework['name']} ({framework.get('category', '?')})" + (f", seen in {evidence}" if evidence else "") + ".")
    for runtime in views.runtimes(results):
        lines.append(f"Runtime {runtime.get('name')} {runtime.get('version')} (from {runtime.get('source')}).")
    deps = views.dependencies(results)
    direct = views.direct_dependencies(results)
    if deps:
        lines.append(f"Dependencies: {len(direct)} direct, {len(deps) - len(direct)} only locked (transitive).")
        for dep in sorted(direct, key=lambda d: (str(d["ecosystem"]), str(d["name"]).lower()))[:MAX_LISTED_DEPENDENCIES]:
            detail = " ".join(str(x) for x in (dep.get("constraint"), f"locked {dep['version']}" if dep.get("version") else None) if x)
            lines.append(f"- {dep['ecosystem']} {dep['name']} {detail} [{dep.get('scope', 'runtime')}, {dep.get('manifest', '?')}]".rstrip())
    lines.extend(_infrastructure_lines(results.get(views.TECHSPEC) or {}))
    license_ = views.repository_license(results)
    if license_:
        lines.append(f"Repository license: {license_}.")
    return "\n".join(lines) + "\n"


def contribute_docs(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None], max_chars: int = DEFAULT_MAX_CHARS) -> None:
    """Register one ``docs`` document per section of each inventoried documentation file."""
    inventory = (results.get(views.TECHSPEC) or {}).get("docs")
    if not isinstance(inventory, list) or not inventory:
        return
    with RepositoryFiles(repository) as tree:
        for doc in [d for d in inventory if isinstance(d, Mapping) and d.get("path")][:MAX_DOC_FILES]:
            path = str(doc["path"])
            text = tree.read_text(path)
            if text is None:
                continue
            title = str(doc.get("title") or path)
            markdown = path.lower().endswith(MARKDOWN_EXTENSIONS)
            sections = markdown_sections(text, max_chars, default_title=title) if markdown else text_sections(text, max_chars, title=title)
            for section in sections:
                metadata = {
                    "path": path,
                    "line_start": section.line_start,
                    "line_end": section.line_end,
                    "language": "Markdown" if markdown else None,
                    "analyzer": views.TECHSPEC,
                    "doc_kind": doc.get("kind"),
                    "title": section.title or title,
                }
                if section.truncated:
                    metadata["truncated"] = True
                heading = f"{path}: {section.title}" if section.title else path
                register(text=f"{heading}\n\n{section.text}", metadata=metadata, kind="docs", key=f"docs:{path}:{section.line_start}")


@hookimpl
def coe_rag_documents(repository: Mapping[str, Any], results: Mapping[str, Any], register: Callable[..., None]) -> None:
    """Contribute the ``techspec`` document and the documentation sections."""
    if not results.get(views.TECHSPEC):
        return
    register(
        text=techspec_text(repository, results),
        metadata={"analyzer": views.TECHSPEC, "title": f"Technology stack of {repository.get('name')}"},
        kind="techspec",
        key="techspec",
    )
    contribute_docs(repository, results, register)
