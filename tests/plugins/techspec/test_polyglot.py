"""End to end over a polyglot repository with hand-written expectations."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.plugin.contract import NORMALIZED_TABLES
from coe_plugins.techspec.analyzer import TechSpecAnalyzer

from . import polyglot


@pytest.fixture(scope="module")
def data(polyglot_data: dict[str, Any]) -> dict[str, Any]:
    return polyglot_data


def _key(row: dict[str, Any]) -> tuple[str, ...]:
    return tuple(str(row[k]) for k in ("manifest", "ecosystem", "name", "scope", "constraint", "version"))


def test_every_dependency_with_ecosystem_constraint_version_and_scope(data: dict[str, Any]) -> None:
    found = sorted(data["dependencies"], key=_key)
    expected = sorted(polyglot.EXPECTED_DEPENDENCIES, key=_key)
    missing = [d for d in expected if d not in found]
    unexpected = [d for d in found if d not in expected]
    assert not missing and not unexpected, f"missing={missing}\nunexpected={unexpected}"


def test_every_manifest_type_is_parsed(data: dict[str, Any]) -> None:
    parsers = {m["parser"] for m in data["manifests"]}
    assert parsers == {
        "requirements", "pyproject", "setup.cfg", "pipfile", "poetry.lock", "uv.lock", "pdm.lock", "pipfile.lock",
        "package.json", "package-lock.json", "yarn.lock", "pnpm-lock.yaml",
        "pom.xml", "gradle", "gradle-catalog", "go.mod", "Cargo.toml", "Cargo.lock",
        "Gemfile", "Gemfile.lock", "composer.json", "composer.lock", "csproj", "packages.lock.json",
    }
    assert data["findings"] == []


def test_languages_by_bytes_and_files(data: dict[str, Any]) -> None:
    files = polyglot.FILES
    expected = {lang: (sum(len(files[p].encode()) for p in paths), len(paths)) for lang, paths in polyglot.EXPECTED_LANGUAGE_FILES.items()}
    assert {lang: (v["bytes"], v["files"]) for lang, v in data["languages"].items()} == expected
    total = sum(b for b, _ in expected.values())
    python = data["languages"]["Python"]
    assert python["share_bytes"] == round(expected["Python"][0] / total, 4)
    assert python["share_files"] == round(2 / sum(f for _, f in expected.values()), 4)
    # ordered by bytes, largest first
    sizes = [v["bytes"] for v in data["languages"].values()]
    assert sizes == sorted(sizes, reverse=True)
    assert data["language_totals"]["excluded"]["vendored"] == 1  # vendor/lib.js
    assert data["language_totals"]["excluded"]["generated"] >= 1  # generated/models.py via .gitattributes


def test_frameworks_and_tools_from_rules(data: dict[str, Any]) -> None:
    assert {(f["name"], f["category"]) for f in data["frameworks"]} == polyglot.EXPECTED_FRAMEWORKS
    flask = next(f for f in data["frameworks"] if f["name"] == "Flask")
    assert flask["evidence"] == ["pypi dependency flask in requirements.txt"]
    pytest_rule = next(f for f in data["frameworks"] if f["name"] == "pytest")
    assert "pypi dependency pytest in requirements-dev.txt" in pytest_rule["evidence"]


def test_runtimes(data: dict[str, Any]) -> None:
    assert {(r["name"], r["version"], r["source"]) for r in data["runtimes"]} == polyglot.EXPECTED_RUNTIMES


def test_containers_with_tags_digests_and_stages(data: dict[str, Any]) -> None:
    (dockerfile,) = data["infrastructure"]["containers"]
    assert dockerfile["path"] == "Dockerfile"
    assert dockerfile["stages"] == [
        {"name": "build", "line": 2, "platform": None, "from_stage": None, "image": "python", "tag": "3.12-slim", "digest": None},
        {"name": "test", "line": 4, "platform": None, "from_stage": "build", "image": None, "tag": None, "digest": None},
        {"name": None, "line": 5, "platform": "linux/amd64", "from_stage": None,
         "image": "gcr.io/distroless/python3-debian12", "tag": None, "digest": "sha256:abc123"},
    ]
    assert data["infrastructure"]["compose"] == [{"path": "docker-compose.yml", "services": [
        {"name": "web", "image": None, "build": "./web"},
        {"name": "db", "image": "postgres:16.4", "build": None},
        {"name": "cache", "image": "redis:7", "build": "./cache"},
    ]}]


def test_ci_systems_and_jobs(data: dict[str, Any]) -> None:
    ci = {c["system"]: c for c in data["infrastructure"]["ci"]}
    assert set(ci) == {"github-actions", "gitlab-ci", "circleci", "jenkins", "azure-pipelines"}
    gha = ci["github-actions"]
    assert gha["path"] == ".github/workflows/ci.yml" and gha["name"] == "CI"
    assert gha["triggers"] == ["pull_request", "push"]
    assert [j["id"] for j in gha["jobs"]] == ["test", "release"]
    assert gha["actions"] == [
        {"uses": "actions/checkout", "version": "v4"},
        {"uses": "actions/setup-python", "version": "v5.2.0"},
        {"uses": "example/workflows/.github/workflows/release.yml", "version": "main"},
    ]
    assert ci["gitlab-ci"]["stages"] == ["test", "deploy"]
    assert ci["gitlab-ci"]["jobs"] == [{"id": "unit", "stage": "test"}, {"id": "deploy", "stage": "deploy"}]
    assert ci["gitlab-ci"]["images"] == ["alpine:3.20", "python:3.12"]
    assert ci["circleci"]["orbs"] == [{"name": "python", "uses": "circleci/python", "version": "2.1.1"}]
    assert ci["circleci"]["images"] == ["cimg/python:3.12"]
    assert ci["jenkins"]["jobs"] == [{"id": "Build"}, {"id": "Test"}]
    assert ci["jenkins"]["images"] == ["maven:3.9-eclipse-temurin-21"]
    assert ci["azure-pipelines"]["jobs"] == [{"id": "compile", "stage": "Build"}]
    assert ci["azure-pipelines"]["actions"] == [{"uses": "UseDotNet", "version": "2"}, {"uses": "DotNetCoreCLI", "version": "2"}]


def test_kubernetes_and_helm(data: dict[str, Any]) -> None:
    assert data["infrastructure"]["kubernetes"] == [{"path": "k8s/app.yaml", "objects": [
        {"kind": "Deployment", "api_version": "apps/v1", "name": "web", "images": ["example/migrate:1.0", "example/web:2.3.1"]},
        {"kind": "Service", "api_version": "v1", "name": "web", "images": []},
    ]}]
    (chart,) = data["infrastructure"]["helm"]
    assert chart["path"] == "charts/web/Chart.yaml"
    assert (chart["name"], chart["version"], chart["app_version"], chart["templates"]) == ("web", "0.3.0", "2.3.1", 1)
    assert chart["dependencies"] == [{"name": "postgresql", "version": "15.5.38", "repository": "https://charts.bitnami.com/bitnami"}]


def test_licenses(data: dict[str, Any]) -> None:
    licenses = data["licenses"]
    assert licenses["repository"] == "MIT"
    assert {(s["source"], s["spdx"]) for s in licenses["sources"]} == {("LICENSE", "MIT"), ("pyproject.toml", "MIT")}
    assert licenses["dependencies"]["MIT"] == 10
    assert licenses["dependencies"]["BSD-3-Clause"] == 1


def test_documentation_inventory(data: dict[str, Any]) -> None:
    docs = {d["path"]: d for d in data["docs"]}
    assert set(docs) == {"README.md", "CHANGELOG.md", "CONTRIBUTING.rst", "docs/guide.md"}
    readme = docs["README.md"]
    assert (readme["kind"], readme["title"]) == ("readme", "Polyglot")
    assert readme["headings"] == [{"level": 1, "text": "Polyglot"}, {"level": 2, "text": "Install"}, {"level": 2, "text": "Usage"}]
    assert docs["CONTRIBUTING.rst"]["headings"] == [{"level": 1, "text": "Contributing"}, {"level": 2, "text": "Setup"}]
    assert docs["CHANGELOG.md"]["kind"] == "changelog"
    assert docs["docs/guide.md"]["headings"] == [{"level": 1, "text": "Guide"}, {"level": 3, "text": "Deep"}]


def test_table_rows_and_summary(data: dict[str, Any]) -> None:
    analyzer = TechSpecAnalyzer()
    rows = analyzer.table_rows(data)["tech_dependencies"]
    assert len(rows) == len(polyglot.EXPECTED_DEPENDENCIES)
    assert all(tuple(row) == NORMALIZED_TABLES["tech_dependencies"] for row in rows)
    summary = analyzer.summary(data)
    assert summary["language"] == next(iter(data["languages"]))
    assert summary["dependencies"] == sum(1 for d in polyglot.EXPECTED_DEPENDENCIES if d["direct"])
    assert summary["ecosystems"] == "cargo,composer,gem,golang,maven,npm,nuget,pypi"
    assert summary["license"] == "MIT"
