"""CycloneDX 1.6 SBOMs from a stored techspec result.

Built with cyclonedx-python-lib, components identified by package URLs
(packageurl-python). The web API and ``coe sbom`` both call
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

from .licenses import normalize
from .models import normalize_name

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


def _component_scope(scopes: Iterable[str]) -> ComponentScope:
    """The broadest scope a package is used in: required beats optional beats excluded."""
    found = {_SCOPES.get(s, ComponentScope.EXCLUDED) for s in scopes}
    for scope in (ComponentScope.REQUIRED, ComponentScope.OPTIONAL):
        if scope in found:
            return scope
    return ComponentScope.EXCLUDED


def build_sbom(result: Mapping[str, Any], repository: Mapping[str, Any]) -> dict[str, Any]:
    """A CycloneDX 1.6 JSON document (as a dict) for one techspec result.

    ``repository`` describes the analysed repository: ``name``, ``url`` and
    ``commit`` (and optionally ``analyzed_at``, an ISO timestamp, so the same
    result always yields the same document). One component per package and
    version; the repository is the root component and depends on the direct
    ones. Scope, constraint and manifest of each use are kept as properties.
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
    bom.register_dependency(root, direct)
    return json.loads(JsonV1Dot6(bom).output_as_string())
