"""One pass over the tree for infrastructure files and runtime pins.

Finds containers (Dockerfiles), compose files, CI configurations, Helm
charts, Kubernetes manifests and runtime version files; each unreadable file
becomes a finding.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any, Callable

from . import containers
from .ci import CI_SYSTEMS
from .dependencies import skipped
from .models import Finding, Runtime
from .patterns import PatternIndex
from .repofiles import RepoView
from .runtimes import RUNTIME_FILES
from .safeload import ManifestError

_YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class InfrastructureScan:
    containers: list[dict[str, Any]] = field(default_factory=list)
    compose: list[dict[str, Any]] = field(default_factory=list)
    ci: list[dict[str, Any]] = field(default_factory=list)
    kubernetes: list[dict[str, Any]] = field(default_factory=list)
    helm: list[dict[str, Any]] = field(default_factory=list)
    runtimes: list[Runtime] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "containers": self.containers, "compose": self.compose, "ci": self.ci,
            "kubernetes": self.kubernetes, "helm": self.helm,
        }


def _index() -> PatternIndex[tuple[str, Any]]:
    index: PatternIndex[tuple[str, Any]] = PatternIndex()
    index.add(containers.DOCKERFILE_PATTERNS, ("dockerfile", None))
    index.add(containers.COMPOSE_PATTERNS, ("compose", None))
    index.add((containers.HELM_CHART,), ("helm", None))
    for system, patterns, reader in CI_SYSTEMS:
        index.add(patterns, ("ci", (system, reader)))
    for name, reader in RUNTIME_FILES.items():
        index.add((name,), ("runtime", reader))
    return index


def scan_infrastructure(repo: RepoView, max_yaml_scan: int, check: Callable[[], None] = lambda: None) -> InfrastructureScan:
    """Everything infrastructure-related in ``repo``'s regular files."""
    scan = InfrastructureScan()
    index = _index()
    paths = sorted(p for p in repo.paths() if not skipped(p))
    yaml_candidates: list[str] = []
    chart_dirs: list[str] = []
    for number, path in enumerate(paths):
        if number % 512 == 0:
            check()
        owners = index.match(path)
        if not owners:
            if path.endswith(_YAML_SUFFIXES):
                yaml_candidates.append(path)
            continue
        text = repo.read_text(path)
        if text is None:
            continue
        for kind, extra in owners:
            try:
                _read(scan, kind, extra, path, text, chart_dirs)
            except ManifestError as exc:
                scan.findings.append(Finding(path, "malformed", f"{kind}: {exc}"))
    for chart in scan.helm:
        prefix = posixpath.join(chart["directory"], "templates/") if chart["directory"] else "templates/"
        chart["templates"] = sum(1 for p in paths if p.startswith(prefix))
    _scan_kubernetes(repo, scan, yaml_candidates, chart_dirs, max_yaml_scan)
    return scan


def _read(scan: InfrastructureScan, kind: str, extra: Any, path: str, text: str, chart_dirs: list[str]) -> None:
    if kind == "dockerfile":
        scan.containers.append({"path": path, "stages": containers.parse_dockerfile(text)})
    elif kind == "compose":
        scan.compose.append({"path": path, "services": containers.parse_compose(text)})
    elif kind == "helm":
        directory = posixpath.dirname(path)
        chart_dirs.append(directory)
        scan.helm.append({"path": path, "directory": directory, **containers.parse_helm_chart(text)})
    elif kind == "ci":
        system, reader = extra
        scan.ci.append({"system": system, "path": path, **reader(text)})
    elif kind == "runtime":
        scan.runtimes += extra(path, text)


def _scan_kubernetes(repo: RepoView, scan: InfrastructureScan, candidates: list[str], chart_dirs: list[str], limit: int) -> None:
    """YAML files holding Kubernetes objects; chart templates (not YAML until
    rendered) are left to the Helm entries."""
    examined = 0
    for path in candidates:
        if any(path.startswith(d + "/" if d else "") for d in chart_dirs):
            continue
        if examined >= limit:
            scan.findings.append(Finding(path, "skipped", f"more than {limit} YAML files; the rest were not examined for Kubernetes objects"))
            return
        examined += 1
        if repo.entries[path].size > repo.max_size:
            continue  # an oversized YAML file is most likely data; not worth a finding
        text = repo.read_text(path)
        if text is None or not containers.looks_like_kubernetes(text):
            continue
        try:
            objects = containers.parse_kubernetes(text)
        except ManifestError as exc:
            scan.findings.append(Finding(path, "malformed", f"kubernetes: {exc}"))
            continue
        if objects:
            scan.kubernetes.append({"path": path, "objects": objects})
