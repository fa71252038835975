"""The techspec analyzer: what a repository is built with, and on which versions."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from coe_framework.plugin_api import NORMALIZED_TABLES, Analyzer

from .dependencies import scan_manifests, skipped
from .docs import describe_document, doc_kind
from .extensions import plugin_parsers, plugin_rules
from .gitattributes import LinguistAttributes
from .infrastructure import scan_infrastructure
from .languages import SHEBANG_READ, language_stats
from .licenses import dependency_license_counts, is_license_file, repository_licenses
from .manifests import builtin_parsers
from .models import Finding, first_of_each
from .repofiles import RepoView
from .result import TechSpecOptions, TechSpecResult
from .rules import RuleSet, builtin_rules

if TYPE_CHECKING:  # pragma: no cover
    from coe_framework.plugin_api import AnalysisContext, FileEntry

#: .gitattributes files larger than this are ignored (git itself caps them at 100 MB).
MAX_GITATTRIBUTES = 1024 * 1024


class TechSpecAnalyzer(Analyzer):
    """Languages, dependencies, frameworks, infrastructure, licenses and docs."""

    name = "techspec"
    version = "1.1"
    description = (
        "Technology stack: languages by bytes, dependencies from every manifest and lock file, "
        "frameworks and tools, infrastructure (containers, compose, CI, Kubernetes, Helm), "
        "runtimes, licenses and a documentation inventory; exportable as a CycloneDX SBOM."
    )
    Options = TechSpecOptions
    Result = TechSpecResult
    timeout = 900.0

    def analyze(self, ctx: "AnalysisContext") -> dict[str, Any]:
        options: TechSpecOptions = ctx.options  # type: ignore[assignment]
        findings: list[Finding] = []
        repo = RepoView(ctx, options.max_manifest_size)
        entries = list(repo.entries.values())
        ctx.progress(0, 6, "languages")

        attributes = LinguistAttributes(
            (e.path, text) for e in entries
            if e.name == ".gitattributes" and (text := ctx.read_text(e, MAX_GITATTRIBUTES)) is not None
        )
        stats = language_stats(entries, attributes, self._head_reader(ctx, options))
        ctx.check_cancelled()
        ctx.progress(1, 6, "manifests")

        parsers = builtin_parsers() + plugin_parsers(ctx.plugins, findings)
        manifests = scan_manifests(repo, parsers)
        dependencies = manifests.dependencies
        if not options.include_transitive:
            dependencies = [d for d in dependencies if d.direct]
        ctx.check_cancelled()
        ctx.progress(2, 6, "infrastructure")

        infra = scan_infrastructure(repo, options.max_yaml_scan, ctx.check_cancelled)
        ctx.progress(3, 6, "frameworks")

        rules = RuleSet(builtin_rules() + plugin_rules(ctx.plugins, findings))
        project_paths = [p for p in repo.paths() if not skipped(p)]
        frameworks = rules.detect(dependencies, project_paths)
        ctx.progress(4, 6, "licenses")

        license_files = [(p, t) for p in sorted(repo.paths()) if is_license_file(p) and (t := repo.read_text(p)) is not None]
        licenses = repository_licenses(license_files, manifests.licenses)
        ctx.progress(5, 6, "documentation")

        docs = self._docs(repo, project_paths, options, findings)
        ctx.progress(6, 6, "done")

        findings = repo.findings + manifests.findings + infra.findings + findings
        return {
            "languages": stats.languages,
            "language_totals": {"bytes": stats.bytes, "files": stats.files, "excluded": stats.excluded},
            "dependencies": [d.to_dict() for d in dependencies],
            "manifests": manifests.manifests,
            "frameworks": frameworks,
            "infrastructure": infra.to_dict(),
            "runtimes": [r.to_dict() for r in first_of_each(manifests.runtimes + infra.runtimes) if r.version],
            "licenses": {
                "repository": licenses["expression"],
                "sources": licenses["sources"],
                "dependencies": dependency_license_counts(d.license for d in dependencies),
            },
            "docs": docs,
            "findings": [f.to_dict() for f in first_of_each(findings)],
        }

    @staticmethod
    def _head_reader(ctx: "AnalysisContext", options: TechSpecOptions) -> Any:
        """First bytes of a file for shebang detection (disabled: never reads)."""

        def head(entry: "FileEntry") -> bytes | None:
            if not options.detect_shebangs or entry.size < 3:
                return None
            data = ctx.read(entry, 1024 * 1024)
            return data[:SHEBANG_READ] if data is not None else None

        return head

    @staticmethod
    def _docs(repo: RepoView, paths: list[str], options: TechSpecOptions, findings: list[Finding]) -> list[dict[str, Any]]:
        documents = []
        candidates = [(p, kind) for p in sorted(paths) if (kind := doc_kind(p))]
        for path, kind in candidates[: options.max_documents]:
            text = repo.read_text(path)
            if text is not None:
                documents.append(describe_document(path, kind, text, repo.entries[path].size))
        if len(candidates) > options.max_documents:
            findings.append(Finding("", "skipped", f"{len(candidates) - options.max_documents} documentation files beyond max_documents={options.max_documents} not described"))
        return documents

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        languages = data.get("languages") or {}
        dependencies = data.get("dependencies") or []
        ecosystems = Counter(d["ecosystem"] for d in dependencies)
        return {
            "language": next(iter(languages), None),
            "languages": len(languages),
            "dependencies": sum(1 for d in dependencies if d.get("direct")),
            "transitive": sum(1 for d in dependencies if not d.get("direct")),
            "ecosystems": ",".join(sorted(ecosystems)),
            "frameworks": len(data.get("frameworks") or []),
            "license": (data.get("licenses") or {}).get("repository"),
            "findings": len(data.get("findings") or []),
        }

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        keys = NORMALIZED_TABLES["tech_dependencies"]
        return {"tech_dependencies": [{key: dep.get(key) for key in keys} for dep in data.get("dependencies") or []]}
