"""CycloneDX 1.6 SBOMs from a stored techspec result.

Built with cyclonedx-python-lib, components identified by package URLs
(packageurl-python): every dependency, and every container image the
repository builds on or deploys (Dockerfile base images, compose services,
Kubernetes workloads). The web API and ``coe sbom`` both call
:func:`build_sbom`.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from cyclonedx.model import Property
from cyclonedx.model.bom import Bom
from cyclonedx.model.component import Component, ComponentScope, ComponentType
from cyclonedx.model.license import LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from .containers import split_image
from .licenses import normalize
from .models import normalize_name
from .sbom_vulnerabilities import sbom_vulnerabilities

_SCOPES = {
    "runtime": ComponentScope.REQUIRED,
    "provided": ComponentScope.REQUIRED,
    "optional": ComponentScope.OPTIONAL,
    "peer": ComponentScope.OPTIONAL,
}
_NAMESPACED = ("npm", "composer", "golang")


def package_url(ecosystem: str, name: str, version: str | None) -> PackageURL:
    """The package URL of a dependency (``pkg:pypi/requests@2.31.0``)."""
    namespace = None
    if ecosystem == "maven" and ":" in name:
        namespace, name = name.split(":", 1)
    elif ecosystem in _NAMESPACED and "/" in name:
        namespace, name = name.rsplit("/", 1)
    elif ecosystem == "pypi":
        name = normalize_name("pypi", name)
    return PackageURL(type=ecosystem, namespace=namespace, name=name, version=version or None)


#: The registry an image reference without a host names.
DOCKER_HUB = "docker.io"


def image_url(reference: str) -> PackageURL | None:
    """The package URL of a container image reference; None for ``scratch`` or an unresolved ``${ARG}``.

    ``python:3.12-slim`` -> ``pkg:docker/library/python@3.12-slim``;
    ``gcr.io/distroless/base@sha256:...`` -> ``pkg:docker/distroless/base@sha256:...?repository_url=gcr.io``.
    A digest, when given, is the version: it names the exact image.
    """
    parts = split_image(reference.strip())
    image = parts["image"] or ""
    if not image or image == "scratch" or "$" in image or any(c.isspace() for c in image):
        return None
    segments = image.split("/")
    registry = DOCKER_HUB
    if len(segments) > 1 and ("." in segments[0] or ":" in segments[0] or segments[0] == "localhost"):
        registry, segments = segments[0], segments[1:]
    if registry == DOCKER_HUB and len(segments) == 1:
        segments = ["library", *segments]
    version = parts["digest"] or parts["tag"] or None
    if version is not None and "$" in version:
        return None
    qualifiers = {"repository_url": registry} if registry != DOCKER_HUB else None
    return PackageURL(type="docker", namespace="/".join(segments[:-1]) or None, name=segments[-1].lower(), version=version,
                      qualifiers=qualifiers)


def _image_uses(infrastructure: Mapping[str, Any]) -> Iterable[tuple[str, str, str]]:
    """(reference, file, how it is used) for every image the repository builds on or runs."""
    for dockerfile in infrastructure.get("containers") or []:
        for stage in dockerfile.get("stages") or []:
            if stage.get("image") and not stage.get("from_stage"):
                tag, digest = stage.get("tag"), stage.get("digest")
                reference = stage["image"] + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
                yield reference, dockerfile.get("path") or "", "base-image"
    for compose in infrastructure.get("compose") or []:
        for service in compose.get("services") or []:
            if service.get("image"):
                yield service["image"], compose.get("path") or "", "compose-service"
    for manifest in infrastructure.get("kubernetes") or []:
        for obj in manifest.get("objects") or []:
            for image in obj.get("images") or []:
                yield image, manifest.get("path") or "", "kubernetes-workload"


def _image_components(result: Mapping[str, Any]) -> list[Component]:
    grouped: dict[str, tuple[PackageURL, set[tuple[str, str]]]] = {}
    for reference, path, use in _image_uses(result.get("infrastructure") or {}):
        purl = image_url(reference)
        if purl is None:
            continue
        entry = grouped.setdefault(purl.to_string(), (purl, set()))
        entry[1].update({("coe:image-source", path), ("coe:image-use", use), ("coe:image-reference", reference)})
    components = []
    for key in sorted(grouped):
        purl, properties = grouped[key]
        name = "/".join(p for p in (purl.namespace, purl.name) if p)
        component = Component(type=ComponentType.CONTAINER, name=name, version=purl.version, purl=purl, bom_ref=key)
        for prop_name, value in sorted(properties):
            component.properties.add(Property(name=prop_name, value=value))
        components.append(component)
    return components


def _component_scope(scopes: Iterable[str]) -> ComponentScope:
    """The broadest scope a package is used in: required beats optional beats excluded."""
    found = {_SCOPES.get(s, ComponentScope.EXCLUDED) for s in scopes}
    for scope in (ComponentScope.REQUIRED, ComponentScope.OPTIONAL):
        if scope in found:
            return scope
    return ComponentScope.EXCLUDED


def build_sbom(result: Mapping[str, Any], repository: Mapping[str, Any],
               vulnerabilities: Iterable[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """A CycloneDX 1.6 JSON document (as a dict) for one techspec result.

    ``repository`` describes the analysed repository: ``name``, ``url`` and
    ``commit`` (and optionally ``analyzed_at``, an ISO timestamp, so the same
    result always yields the same document). One component per package and
    version, and one container component per image; the repository is the
    root component and depends on the direct dependencies and the images.
    Scope, constraint and manifest of each use are kept as properties.
    ``vulnerabilities`` are the repository analysis' matched advisories
    (:func:`coe_framework.vulns.queries.hits_by_analysis`), written as the
    document's ``vulnerabilities``.
    """
    name = str(repository.get("name") or "repository")
    commit = str(repository.get("commit") or "")
    url = str(repository.get("url") or "")
    serial = uuid.uuid5(uuid.NAMESPACE_URL, f"coe-techspec:{url}:{commit}")
    bom = Bom(serial_number=serial)
    when = repository.get("analyzed_at")
    bom.metadata.timestamp = datetime.fromisoformat(str(when)) if when else datetime.now(timezone.utc)
    root = Component(type=ComponentType.APPLICATION, name=name, version=commit or None, bom_ref="repository")
    licenses = (result.get("licenses") or {}).get("repository")
    if licenses:
        root.licenses.add(LicenseExpression(licenses))
    bom.metadata.component = root
    bom.metadata.tools.components.add(Component(type=ComponentType.APPLICATION, name="coe-techspec", group="coe"))

    grouped: dict[str, list[Mapping[str, Any]]] = {}
    purls: dict[str, PackageURL] = {}
    for dep in result.get("dependencies") or []:
        purl = package_url(dep["ecosystem"], dep["name"], dep.get("version"))
        key = purl.to_string()
        purls[key] = purl
        grouped.setdefault(key, []).append(dep)

    direct: list[Component] = []
    for key in sorted(grouped):
        uses = grouped[key]
        purl = purls[key]
        component = Component(
            type=ComponentType.LIBRARY,
            name=purl.name,
            group=purl.namespace,
            version=purl.version,
            purl=purl,
            bom_ref=key,
            scope=_component_scope(u["scope"] for u in uses),
        )
        declared = next((normalize(u["license"]) for u in uses if u.get("license")), None)
        if declared:
            component.licenses.add(LicenseExpression(declared))
        properties = set()
        for use in uses:
            properties.add(("coe:manifest", use["manifest"]))
            properties.add(("coe:scope", use["scope"]))
            if use.get("constraint"):
                properties.add(("coe:constraint", use["constraint"]))
        for prop_name, value in sorted(properties):
            component.properties.add(Property(name=prop_name, value=value))
        bom.components.add(component)
        if any(u.get("direct") for u in uses):
            direct.append(component)
    for image in _image_components(result):
        bom.components.add(image)
        direct.append(image)
    bom.register_dependency(root, direct)
    for vulnerability in sbom_vulnerabilities(vulnerabilities, lambda d: package_url(d["ecosystem"], d["name"], d.get("version")).to_string()):
        bom.vulnerabilities.add(vulnerability)
    return json.loads(JsonV1Dot6(bom).output_as_string())
