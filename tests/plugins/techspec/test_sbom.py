"""CycloneDX 1.6 output: schema-valid, package URLs, scopes, licenses, graph."""
from __future__ import annotations

import json
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from coe_plugins.techspec.sbom import build_sbom, package_url

REPOSITORY = {"name": "polyglot", "url": "https://example.com/polyglot.git", "commit": "0" * 40, "analyzed_at": "2024-01-02T03:04:05+00:00"}


@pytest.fixture(scope="module")
def sbom(polyglot_data: dict[str, Any]) -> dict[str, Any]:
    return build_sbom(polyglot_data, REPOSITORY)


def schema_errors(document: dict[str, Any]) -> str | None:
    error = JsonStrictValidator(SchemaVersion.V1_6).validate_str(json.dumps(document))
    return None if error is None else str(error.data.message)


def test_validates_against_the_cyclonedx_1_6_schema(sbom: dict[str, Any]) -> None:
    assert schema_errors(sbom) is None
    assert (sbom["bomFormat"], sbom["specVersion"]) == ("CycloneDX", "1.6")


def test_the_validator_does_reject_a_broken_document(sbom: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(sbom))
    broken["components"][0]["scope"] = "sometimes"
    assert schema_errors(broken) is not None


def test_package_urls_for_every_ecosystem(sbom: dict[str, Any]) -> None:
    purls = {c["purl"] for c in sbom["components"]}
    assert {
        "pkg:pypi/requests@2.32.3", "pkg:npm/%40types/node@22.7.5", "pkg:maven/org.springframework/spring-webmvc@6.1.14",
        "pkg:golang/github.com/gin-gonic/gin@v1.10.0", "pkg:cargo/serde@1.0.210", "pkg:gem/rails@7.2.1",
        "pkg:composer/laravel/framework@v11.27.2", "pkg:nuget/Serilog@4.0.2", "pkg:pypi/editable-lib",
    } <= purls


def test_scopes_licenses_and_properties(sbom: dict[str, Any]) -> None:
    by_purl = {c["purl"]: c for c in sbom["components"]}
    assert by_purl["pkg:npm/react@18.3.1"]["scope"] == "required"
    assert by_purl["pkg:npm/typescript@5.6.3"]["scope"] == "excluded"
    assert by_purl["pkg:npm/fsevents@2.3.3"]["scope"] == "optional"
    assert by_purl["pkg:npm/react@18.3.1"]["licenses"] == [{"expression": "MIT"}]
    props = {(p["name"], p["value"]) for p in by_purl["pkg:npm/typescript@5.6.3"]["properties"]}
    assert props == {("coe:manifest", "web/package.json"), ("coe:scope", "dev"), ("coe:constraint", "~5.6.2")}


def test_root_depends_on_direct_dependencies_only(sbom: dict[str, Any]) -> None:
    root = sbom["metadata"]["component"]
    assert (root["name"], root["version"], root["licenses"]) == ("polyglot", "0" * 40, [{"expression": "MIT"}])
    (graph,) = [d for d in sbom["dependencies"] if d["ref"] == "repository"]
    assert "pkg:npm/react@18.3.1" in graph["dependsOn"]
    assert "pkg:pypi/anyio@4.6.0" not in graph["dependsOn"]
    assert "pkg:pypi/anyio@4.6.0" in {c["purl"] for c in sbom["components"]}


def test_same_result_same_document(polyglot_data: dict[str, Any], sbom: dict[str, Any]) -> None:
    assert build_sbom(polyglot_data, REPOSITORY) == sbom


def test_empty_result_is_still_valid() -> None:
    assert schema_errors(build_sbom({"dependencies": []}, {"name": "empty"})) is None


def test_package_url_of_a_scoped_npm_and_maven_name() -> None:
    assert package_url("npm", "@scope/pkg", "1.0.0").to_string() == "pkg:npm/%40scope/pkg@1.0.0"
    assert package_url("pypi", "Django_Rest", None).to_string() == "pkg:pypi/django-rest"


def test_container_images_are_components(sbom: dict[str, Any]) -> None:
    images = {c["purl"]: c for c in sbom["components"] if c["type"] == "container"}
    assert set(images) == {
        "pkg:docker/library/python@3.12-slim",  # FROM python:${PY}-slim with ARG PY=3.12
        "pkg:docker/distroless/python3-debian12@sha256:abc123?repository_url=gcr.io",
        "pkg:docker/library/postgres@16.4", "pkg:docker/library/redis@7",
        "pkg:docker/example/migrate@1.0", "pkg:docker/example/web@2.3.1",
    }
    props = {(p["name"], p["value"]) for p in images["pkg:docker/library/python@3.12-slim"]["properties"]}
    assert props == {("coe:image-source", "Dockerfile"), ("coe:image-use", "base-image"), ("coe:image-reference", "python:3.12-slim")}
    (graph,) = [d for d in sbom["dependencies"] if d["ref"] == "repository"]
    assert set(images) <= set(graph["dependsOn"])


@pytest.mark.parametrize(
    ("reference", "purl"),
    [
        ("ubuntu", "pkg:docker/library/ubuntu"),
        ("ghcr.io/org/app:v2", "pkg:docker/org/app@v2?repository_url=ghcr.io"),
        ("localhost:5000/team/tool:1", "pkg:docker/team/tool@1?repository_url=localhost:5000"),
        ("bitnami/redis:7.2@sha256:ff", "pkg:docker/bitnami/redis@sha256:ff"),
        ("scratch", None), ("${BASE_IMAGE}", None), ("python:${PY}", None),
    ],
)
def test_image_package_urls(reference: str, purl: str | None) -> None:
    from coe_plugins.techspec.sbom import image_url

    found = image_url(reference)
    assert (found.to_string() if found else None) == purl
