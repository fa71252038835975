"""PHP (composer.json, composer.lock) and .NET (*.csproj PackageReference with
central package versions, packages.lock.json)."""
from __future__ import annotations

import posixpath
from typing import Any

from ..models import Dependency, ManifestFacts, Runtime
from ..safeload import ManifestError, load_json, local_name, parse_xml
from .base import ManifestParser, ManifestSource, deps_from_mapping, listing, mapping, text_or_none

# --- PHP ------------------------------------------------------------------------


def _composer_license(value: Any) -> str | None:
    if isinstance(value, list):
        names = [text_or_none(v) for v in value]
        names = [n for n in names if n]
        return " OR ".join(names) if len(names) > 1 else (names[0] if names else None)
    return text_or_none(value)


def _is_platform(name: str) -> bool:
    """composer's platform packages: the PHP runtime and its extensions."""
    return name == "php" or name.startswith(("ext-", "lib-")) or name in ("composer-plugin-api", "composer-runtime-api")


def parse_composer_json(src: ManifestSource) -> ManifestFacts:
    data = load_json(src.text)
    if not isinstance(data, dict):
        raise ManifestError("composer.json is not a JSON object")
    facts = ManifestFacts()
    for section, scope in (("require", "runtime"), ("require-dev", "dev")):
        table = mapping(data.get(section))
        packages = {k: v for k, v in table.items() if not _is_platform(k)}
        facts.dependencies += deps_from_mapping(packages, ecosystem="composer", manifest=src.path, scope=scope)
        if section == "require" and text_or_none(table.get("php")):
            facts.runtimes.append(Runtime("php", str(table["php"]).strip(), src.path))
    license_text = _composer_license(data.get("license"))
    if license_text:
        facts.licenses.append(license_text)
    return facts


def parse_composer_lock(src: ManifestSource) -> ManifestFacts:
    data = mapping(load_json(src.text))
    facts = ManifestFacts()
    for section, scope in (("packages", "runtime"), ("packages-dev", "dev")):
        for package in listing(data.get(section)):
            package = mapping(package)
            name = text_or_none(package.get("name"))
            if name:
                facts.dependencies.append(Dependency(
                    "composer", name, version=text_or_none(package.get("version")), scope=scope, manifest=src.path,
                    license=_composer_license(package.get("license")), direct=False,
                ))
    return facts


# --- .NET -----------------------------------------------------------------------


def _central_versions(src: ManifestSource) -> dict[str, str]:
    """``PackageVersion`` items of the nearest Directory.Packages.props."""
    directory = src.directory
    while True:
        candidate = posixpath.join(directory, "Directory.Packages.props") if directory else "Directory.Packages.props"
        text = src.repo.read_text(candidate)
        if text is not None:
            try:
                root = parse_xml(text)
            except ManifestError:
                return {}
            return {
                (el.get("Include") or "").lower(): el.get("Version") or ""
                for el in root.iter() if local_name(el) == "PackageVersion" and el.get("Include")
            }
        if not directory:
            return {}
        directory = posixpath.dirname(directory)


def parse_csproj(src: ManifestSource) -> ManifestFacts:
    root = parse_xml(src.text)
    facts = ManifestFacts()
    central: dict[str, str] | None = None
    for element in root.iter():
        tag = local_name(element)
        if tag in ("TargetFramework", "TargetFrameworks") and (element.text or "").strip():
            for framework in element.text.split(";"):
                if framework.strip():
                    facts.runtimes.append(Runtime("dotnet", framework.strip(), src.path))
        if tag != "PackageReference":
            continue
        name = element.get("Include") or element.get("Update")
        if not name:
            continue
        version = element.get("Version") or element.get("VersionOverride")
        for child in element:
            if local_name(child) in ("Version", "VersionOverride") and (child.text or "").strip():
                version = child.text.strip()
        if version is None:
            if central is None:
                central = _central_versions(src)
            version = central.get(name.lower())
        private = (element.get("PrivateAssets") or "").lower() == "all"
        facts.dependencies.append(Dependency("nuget", name, constraint=version, scope="build" if private else "runtime", manifest=src.path))
    return facts


def parse_nuget_lock(src: ManifestSource) -> ManifestFacts:
    data = mapping(load_json(src.text))
    facts = ManifestFacts()
    seen: set[tuple[str, str | None]] = set()
    for packages in mapping(data.get("dependencies")).values():
        for name, entry in mapping(packages).items():
            entry = mapping(entry)
            if str(entry.get("type", "")).lower() == "project":
                continue
            version = text_or_none(entry.get("resolved"))
            if (name.lower(), version) in seen:
                continue
            seen.add((name.lower(), version))
            facts.dependencies.append(Dependency("nuget", name, version=version, manifest=src.path, direct=False))
    return facts


PARSERS = [
    ManifestParser("composer.json", "composer", ("composer.json",), parse_composer_json),
    ManifestParser("composer.lock", "composer", ("composer.lock",), parse_composer_lock, lock=True, locks=("composer.json",)),
    ManifestParser("csproj", "nuget", ("*.csproj", "*.fsproj", "*.vbproj"), parse_csproj),
    ManifestParser("packages.lock.json", "nuget", ("packages.lock.json",), parse_nuget_lock, lock=True, locks=("csproj",)),
]
