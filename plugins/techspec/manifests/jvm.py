"""Java: Maven pom.xml (properties, dependency management and parents found
in the repository), Gradle build scripts (best effort) and version catalogs."""
from __future__ import annotations

import copy
import re
from typing import Any
from xml.etree.ElementTree import Element

from ..models import Dependency, ManifestFacts, Runtime, scope_from_label
from ..safeload import ManifestError, load_toml, local_name, parse_xml
from .base import ManifestParser, ManifestSource, mapping, text_or_none

ECOSYSTEM = "maven"
MAX_PARENT_DEPTH = 6
_PROPERTY = re.compile(r"\$\{([^}]+)\}")
_MAVEN_SCOPES = {"compile": "runtime", "runtime": "runtime", "test": "test", "provided": "provided", "system": "provided"}


# --- Maven ----------------------------------------------------------------------


def _child(element: Element | None, name: str) -> Element | None:
    if element is None:
        return None
    for child in element:
        if local_name(child) == name:
            return child
    return None


def _children(element: Element | None, name: str) -> list[Element]:
    return [] if element is None else [c for c in element if local_name(c) == name]


def _text(element: Element | None, name: str) -> str | None:
    child = _child(element, name)
    return (child.text or "").strip() or None if child is not None else None


class _Pom:
    """One POM merged with its in-repository parents: properties and managed versions."""

    def __init__(self, src: ManifestSource, path: str, text: str, facts: ManifestFacts, depth: int = 0):
        self.root = parse_xml(text)
        if local_name(self.root) != "project":
            raise ManifestError("pom.xml root element is not <project>")
        self.properties: dict[str, str] = {}
        self.managed: dict[str, str] = {}
        parent = _child(self.root, "parent")
        if parent is not None:
            self._inherit(src, path, parent, facts, depth)
        group = _text(self.root, "groupId") or _text(parent, "groupId") or ""
        version = _text(self.root, "version") or _text(parent, "version") or ""
        for key in ("project.groupId", "pom.groupId", "groupId"):
            self.properties[key] = group
        for key in ("project.version", "pom.version", "version"):
            self.properties[key] = version
        self.properties["project.artifactId"] = _text(self.root, "artifactId") or ""
        if parent is not None:
            self.properties["project.parent.version"] = _text(parent, "version") or ""
            self.properties["project.parent.groupId"] = _text(parent, "groupId") or ""
        properties = _child(self.root, "properties")
        for prop in list(properties) if properties is not None else []:
            self.properties[local_name(prop)] = (prop.text or "").strip()
        for dep in _children(_child(_child(self.root, "dependencyManagement"), "dependencies"), "dependency"):
            name, version = self.coordinate(dep), self.resolve(_text(dep, "version"))
            if name and version:
                self.managed[name] = version

    def _inherit(self, src: ManifestSource, path: str, parent: Element, facts: ManifestFacts, depth: int) -> None:
        relative = _text(parent, "relativePath")
        relative = "../pom.xml" if relative is None else relative
        if not relative:
            return  # an explicitly empty relativePath means "from the repository server"
        if not relative.endswith(".xml"):
            relative = relative.rstrip("/") + "/pom.xml"
        target = src.repo.resolve(path, relative)
        text = src.repo.read_text(target) if target else None
        if target is None or text is None or depth >= MAX_PARENT_DEPTH:
            return  # a parent outside the repository: its properties are unknown
        facts.included.append(target)
        try:
            base = _Pom(src, target, text, facts, depth + 1)
        except ManifestError as exc:
            facts.findings.append(src.finding("malformed", f"parent POM: {exc}", target))
            return
        self.properties.update(base.properties)
        self.managed.update(base.managed)

    def resolve(self, value: str | None) -> str | None:
        """``${name}`` references replaced, following chains a few levels deep."""
        for _ in range(10):
            if not value or "${" not in value:
                break
            value = _PROPERTY.sub(lambda m: self.properties.get(m.group(1), m.group(0)), value)
            if all(m.group(1) not in self.properties for m in _PROPERTY.finditer(value)):
                break
        return value

    def coordinate(self, element: Element, default_group: str = "") -> str | None:
        group = self.resolve(_text(element, "groupId")) or default_group
        artifact = self.resolve(_text(element, "artifactId"))
        return f"{group}:{artifact}" if group and artifact else None

    def declared(self, section: Element | None, manifest: str, *, in_profile: bool = False) -> list[Dependency]:
        """The dependencies and build plugins of the project, or of one of its profiles.

        A profile's dependencies are used only when the profile is active:
        unless it is active by default, runtime ones count as optional.
        """
        found = []
        for dep in _children(_child(section, "dependencies"), "dependency"):
            name = self.coordinate(dep)
            if not name:
                continue
            constraint = self.resolve(_text(dep, "version")) or self.managed.get(name)
            scope = _MAVEN_SCOPES.get((_text(dep, "scope") or "compile").lower(), "runtime")
            if ((_text(dep, "optional") or "").lower() == "true" or in_profile) and scope == "runtime":
                scope = "optional"
            found.append(Dependency(ECOSYSTEM, name, constraint=constraint, scope=scope, manifest=manifest))
        for plugin in _children(_child(_child(section, "build"), "plugins"), "plugin"):
            name = self.coordinate(plugin, "org.apache.maven.plugins")
            if name:
                found.append(Dependency(ECOSYSTEM, name, constraint=self.resolve(_text(plugin, "version")), scope="build", manifest=manifest))
        return found


def parse_pom(src: ManifestSource) -> ManifestFacts:
    facts = ManifestFacts()
    pom = _Pom(src, src.path, src.text, facts)
    facts.dependencies += pom.declared(pom.root, src.path)
    for profile in _children(_child(pom.root, "profiles"), "profile"):
        # A profile's own properties apply to its own declarations.
        own = _child(profile, "properties")
        in_profile = copy.copy(pom)
        in_profile.properties = {**pom.properties, **{local_name(p): (p.text or "").strip() for p in (list(own) if own is not None else [])}}
        by_default = (_text(_child(profile, "activation"), "activeByDefault") or "").lower() == "true"
        facts.dependencies += in_profile.declared(profile, src.path, in_profile=not by_default)
    for license_el in _children(_child(pom.root, "licenses"), "license"):
        name = _text(license_el, "name")
        if name:
            facts.licenses.append(name)
    for key in ("maven.compiler.release", "maven.compiler.source", "java.version"):
        if pom.properties.get(key):
            facts.runtimes.append(Runtime("java", pom.resolve(pom.properties[key]) or "", src.path))
            break
    return facts


# --- Gradle ---------------------------------------------------------------------

_GRADLE_SCOPES = {
    "implementation": "runtime", "api": "runtime", "compile": "runtime", "runtimeOnly": "runtime",
    "runtime": "runtime", "compileOnly": "provided", "compileOnlyApi": "provided",
    "annotationProcessor": "build", "kapt": "build", "ksp": "build", "classpath": "build",
    "developmentOnly": "dev",
}
# The notations below are matched line by line with unambiguous whitespace
# (``[ \t]*(?:\([ \t]*)?`` rather than ``\s*\(?\s*``, which backtracks
# quadratically on long runs of spaces in a hostile file).
_OPEN = r"[ \t]*(?:\([ \t]*)?"
_CLOSE = r"[ \t]*(?:\)[ \t]*)?"
_PLATFORM = r"(?:(?:enforced)?[pP]latform[ \t]*\([ \t]*)?"
_GRADLE_STRING = re.compile(
    r"^[ \t]*(?P<conf>[A-Za-z]+)" + _OPEN + _PLATFORM
    + r"""(?P<q>['"])(?P<coord>[^'"\s:]+:[^'"\s:]+(?::[^'"\s]*)?)(?P=q)""",
    re.MULTILINE,
)
_GRADLE_MAP = re.compile(
    r"^[ \t]*(?P<conf>[A-Za-z]+)" + _OPEN
    + r"""group[ \t]*[:=][ \t]*['"](?P<g>[^'"]+)['"][ \t]*,[ \t]*name[ \t]*[:=][ \t]*['"](?P<n>[^'"]+)['"]"""
    + r"""(?:[ \t]*,[ \t]*version[ \t]*[:=][ \t]*['"](?P<v>[^'"]+)['"])?""",
    re.MULTILINE,
)
_GRADLE_CATALOG = re.compile(r"^[ \t]*(?P<conf>[A-Za-z]+)" + _OPEN + _PLATFORM + r"libs\.(?P<alias>[A-Za-z0-9_.]+)", re.MULTILINE)
_GRADLE_PLUGIN = re.compile(
    r"""^[ \t]*id""" + _OPEN + r"""['"](?P<id>[^'"]+)['"]""" + _CLOSE + r"""version""" + _OPEN + r"""['"](?P<v>[^'"]+)['"]""",
    re.MULTILINE,
)


def _gradle_scope(configuration: str) -> str | None:
    if configuration.startswith("test") or configuration.startswith("androidTest"):
        return "test"
    return _GRADLE_SCOPES.get(configuration)


def _catalog_alias(alias: str) -> str:
    return re.sub(r"[-_.]", ".", alias).lower()


def _catalog(src: ManifestSource) -> dict[str, tuple[str, str | None]]:
    """Aliases of ``gradle/libs.versions.toml`` next to (or above) a build
    script: libraries by alias, plugins as ``plugins.<alias>`` (Gradle's
    accessor ``libs.plugins.<alias>``) with their plugin-marker coordinates."""
    directory = src.directory
    while True:
        candidate = f"{directory}/gradle/libs.versions.toml" if directory else "gradle/libs.versions.toml"
        text = src.repo.read_text(candidate)
        if text is not None:
            try:
                data = load_toml(text)
                found = {_catalog_alias(a): (n, v) for a, n, v in catalog_entries(data)}
                found.update({_catalog_alias(f"plugins.{a}"): (n, v) for a, n, v in catalog_plugins(data)})
                return found
            except ManifestError:
                return {}  # reported when the catalog itself is parsed
        if not directory:
            return {}
        directory = directory.rpartition("/")[0]


def _catalog_version(data: dict[str, Any], spec: Any) -> str | None:
    """A catalog version: a string, ``{ref = ...}`` into ``[versions]``, or a rich version."""
    if isinstance(spec, dict):
        if "ref" in spec:
            referenced = mapping(data.get("versions")).get(spec["ref"])
            return None if isinstance(referenced, dict) and "ref" in referenced else _catalog_version(data, referenced)
        return text_or_none(spec.get("strictly")) or text_or_none(spec.get("require")) or text_or_none(spec.get("prefer"))
    return text_or_none(spec)


def plugin_marker(plugin_id: str) -> str:
    """The Maven coordinates Gradle resolves a plugin id through (its plugin marker)."""
    return f"{plugin_id}:{plugin_id}.gradle.plugin"


def catalog_plugins(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(alias, plugin marker, version)`` for every ``[plugins]`` entry
    (``{id = ..., version = ...}`` or ``"id:version"``)."""
    entries = []
    for alias, spec in mapping(data.get("plugins")).items():
        if isinstance(spec, str):
            plugin_id, _, version = spec.partition(":")
            if plugin_id.strip():
                entries.append((alias, plugin_marker(plugin_id.strip()), version.strip() or None))
            continue
        spec = mapping(spec)
        plugin_id = text_or_none(spec.get("id"))
        if plugin_id:
            entries.append((alias, plugin_marker(plugin_id), _catalog_version(data, spec.get("version"))))
    return entries


def catalog_entries(data: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(alias, group:name, version)`` for every ``[libraries]`` entry."""
    entries = []
    for alias, spec in mapping(data.get("libraries")).items():
        if isinstance(spec, str):
            parts = spec.split(":")
            if len(parts) >= 2:
                entries.append((alias, f"{parts[0]}:{parts[1]}", parts[2] if len(parts) > 2 else None))
            continue
        spec = mapping(spec)
        module = text_or_none(spec.get("module"))
        if not module and spec.get("group") and spec.get("name"):
            module = f"{spec['group']}:{spec['name']}"
        if module:
            entries.append((alias, module, _catalog_version(data, spec.get("version"))))
    return entries


def parse_gradle(src: ManifestSource) -> ManifestFacts:
    """Best effort: string, map-style and version-catalog dependency notations,
    and plugins with versions. Gradle scripts are programs; anything computed
    at build time is out of reach without running them, which we never do."""
    facts = ManifestFacts()
    text = src.text

    def add(configuration: str, name: str, constraint: str | None) -> None:
        scope = _gradle_scope(configuration)
        if scope is not None:
            facts.dependencies.append(Dependency(ECOSYSTEM, name, constraint=constraint, scope=scope, manifest=src.path))

    for match in _GRADLE_STRING.finditer(text):
        group, artifact, *rest = match.group("coord").split(":")
        add(match.group("conf"), f"{group}:{artifact}", rest[0] if rest and rest[0] else None)
    for match in _GRADLE_MAP.finditer(text):
        add(match.group("conf"), f"{match.group('g')}:{match.group('n')}", match.group("v"))
    catalog = _catalog(src) if "libs." in text else {}
    for match in _GRADLE_CATALOG.finditer(text):
        alias = _catalog_alias(match.group("alias"))
        if alias not in catalog:
            continue
        name, version = catalog[alias]
        if match.group("conf") == "alias" and alias.startswith("plugins."):
            # plugins { alias(libs.plugins.kotlin.jvm) }
            facts.dependencies.append(Dependency(ECOSYSTEM, name, constraint=version, scope="build", manifest=src.path))
        elif not alias.startswith("plugins."):
            add(match.group("conf"), name, version)
    for match in _GRADLE_PLUGIN.finditer(text):
        facts.dependencies.append(Dependency(ECOSYSTEM, plugin_marker(match.group("id")), constraint=match.group("v"), scope="build", manifest=src.path))
    return facts


def parse_version_catalog(src: ManifestSource) -> ManifestFacts:
    facts = ManifestFacts()
    data = load_toml(src.text)
    for alias, name, version in catalog_entries(data):
        facts.dependencies.append(Dependency(ECOSYSTEM, name, constraint=version, scope=scope_from_label(alias), manifest=src.path))
    for _alias, name, version in catalog_plugins(data):
        facts.dependencies.append(Dependency(ECOSYSTEM, name, constraint=version, scope="build", manifest=src.path))
    return facts


PARSERS = [
    ManifestParser("pom.xml", ECOSYSTEM, ("pom.xml",), parse_pom),
    ManifestParser("gradle", ECOSYSTEM, ("build.gradle", "build.gradle.kts"), parse_gradle),
    ManifestParser("gradle-catalog", ECOSYSTEM, ("*.versions.toml",), parse_version_catalog),
]
