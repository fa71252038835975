"""JavaScript and TypeScript: package.json, package-lock.json (v1 to v3),
yarn.lock (classic and Berry) and pnpm-lock.yaml (v5 to v9)."""
from __future__ import annotations

from typing import Any

from ..models import Dependency, ManifestFacts, Runtime
from ..safeload import ManifestError, load_json, load_yaml
from .base import (
    ManifestParser, ManifestSource, deps_from_mapping, listing, mapping, member_directories, new_lock_facts, project_directory,
    text_or_none,
)

ECOSYSTEM = "npm"

_SECTIONS = (
    ("dependencies", "runtime"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
)


def _declared_license(data: dict[str, Any]) -> str | None:
    value = data.get("license")
    if isinstance(value, dict):
        return text_or_none(value.get("type"))
    if text_or_none(value):
        return text_or_none(value)
    legacy = [text_or_none(mapping(item).get("type")) for item in listing(data.get("licenses"))]
    legacy = [item for item in legacy if item]
    return " OR ".join(legacy) or None


def parse_package_json(src: ManifestSource) -> ManifestFacts:
    """Dependencies by section, ``engines`` and ``packageManager`` as runtimes, the license."""
    data = load_json(src.text)
    if not isinstance(data, dict):
        raise ManifestError("package.json is not a JSON object")
    facts = ManifestFacts()
    for section, scope in _SECTIONS:
        facts.dependencies += deps_from_mapping(data.get(section), ecosystem=ECOSYSTEM, manifest=src.path, scope=scope)
    for engine, constraint in mapping(data.get("engines")).items():
        if text_or_none(constraint):
            facts.runtimes.append(Runtime(str(engine), str(constraint).strip(), src.path))
    manager = text_or_none(data.get("packageManager"))
    if manager and "@" in manager[1:]:
        tool, _, version = manager.rpartition("@")
        facts.runtimes.append(Runtime(tool, version.split("+", 1)[0], src.path))
    license_text = _declared_license(data)
    if license_text:
        facts.licenses.append(license_text)
    return facts


def _lock_scope(entry: dict[str, Any]) -> str:
    if entry.get("dev") or entry.get("devOptional"):
        return "dev"
    if entry.get("optional"):
        return "optional"
    if entry.get("peer"):
        return "peer"
    return "runtime"


def _add_project(facts: ManifestFacts, src: ManifestSource, reference: str) -> None:
    assert facts.lock is not None
    folder = project_directory(src.path, reference)
    if folder is not None and folder not in facts.lock.projects:
        facts.lock.projects.append(folder)


def parse_package_lock(src: ManifestSource) -> ManifestFacts:
    """``packages`` (lockfile v2/v3) or nested ``dependencies`` (v1). npm
    itself marks what only development needs (``dev``), so no graph is kept."""
    data = mapping(load_json(src.text))
    facts, _info = new_lock_facts([src.directory])
    seen: set[tuple[str, str | None]] = set()

    def add(name: str, entry: dict[str, Any]) -> None:
        version = text_or_none(entry.get("version"))
        if (name, version) in seen:
            return
        seen.add((name, version))
        facts.dependencies.append(
            Dependency(ECOSYSTEM, name, version=version, scope=_lock_scope(entry), manifest=src.path,
                       license=text_or_none(entry.get("license")), direct=False)
        )

    packages = mapping(data.get("packages"))
    if packages:
        for key, entry in packages.items():
            entry = mapping(entry)
            if "node_modules/" not in key:
                _add_project(facts, src, str(key) or ".")  # the root project or a workspace folder
                continue
            if entry.get("link"):
                continue  # a link to a workspace folder
            add(text_or_none(entry.get("name")) or key.rsplit("node_modules/", 1)[1], entry)
        return facts
    stack = [mapping(data.get("dependencies"))]
    while stack:
        for name, entry in stack.pop().items():
            entry = mapping(entry)
            add(name, entry)
            if entry.get("dependencies"):
                stack.append(mapping(entry["dependencies"]))
    return facts


def _descriptor_name(descriptor: str) -> str:
    """``@scope/name@^1.0`` or ``name@npm:^1.0`` -> the package name."""
    descriptor = descriptor.strip().strip('"')
    at = descriptor.find("@", 1)
    return descriptor if at < 0 else descriptor[:at]


def _yarn_workspaces(src: ManifestSource) -> list[str]:
    """The root project and the workspace folders its package.json names (yarn classic)."""
    folders = [src.directory]
    text = src.repo.read_text(f"{src.directory}/package.json" if src.directory else "package.json")
    try:
        manifest = mapping(load_json(text)) if text is not None else {}
    except ManifestError:
        return folders
    globs = manifest.get("workspaces")
    if isinstance(globs, dict):
        globs = globs.get("packages")
    return folders + member_directories(src, "package.json", listing(globs))


_YARN_DEPENDENCY_SECTIONS = ("dependencies:", "optionalDependencies:")


def parse_yarn_lock(src: ManifestSource) -> ManifestFacts:
    """Yarn Berry locks are YAML; classic (v1) locks are read line by line,
    since no maintained Python parser exists for that format. Berry names
    its workspaces (``name@workspace:path``); for classic locks they come from
    the package.json beside the lock. yarn records no scopes: they come from
    the graph."""
    facts, info = new_lock_facts()
    seen: set[tuple[str, str | None]] = set()

    def add(name: str, version: str | None) -> None:
        if name and (name, version) not in seen:
            seen.add((name, version))
            facts.dependencies.append(Dependency(ECOSYSTEM, name, version=version, manifest=src.path, direct=False))

    if "__metadata:" in src.text[:2000]:
        for key, entry in mapping(load_yaml(src.text)).items():
            entry = mapping(entry)
            if key == "__metadata":
                continue
            descriptor = str(key).split(",")[0].strip()
            name = _descriptor_name(descriptor)
            needs = [str(d) for section in ("dependencies", "optionalDependencies") for d in mapping(entry.get(section))]
            info.depends(name, needs)
            if "@workspace:" in descriptor:
                _add_project(facts, src, descriptor.split("@workspace:", 1)[1])
                continue
            if entry.get("linkType") == "soft":
                continue
            add(name, text_or_none(entry.get("version")))
        if not info.projects:
            info.projects.append(src.directory)
        return facts
    info.projects.extend(_yarn_workspaces(src))
    name: str | None = None
    in_dependencies = False
    for number, line in enumerate(src.text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            if not line.rstrip().endswith(":"):
                raise ManifestError(f"invalid yarn.lock: line {number} is not an entry header")
            name = _descriptor_name(line.rstrip()[:-1].split(",")[0])
            in_dependencies = False
        elif name and not line.startswith("   "):
            stripped = line.strip()
            in_dependencies = stripped in _YARN_DEPENDENCY_SECTIONS
            if stripped.startswith("version "):
                add(name, stripped.split(None, 1)[1].strip().strip('"'))
        elif name and in_dependencies and line.startswith("    ") and not line.startswith("     "):
            info.depends(name, [line.split()[0].strip('"')])
    return facts


def _pnpm_key(key: str) -> tuple[str, str | None]:
    """A pnpm ``packages`` key in any lockfile version -> (name, version)."""
    key = key.lstrip("/").split("(", 1)[0]
    head, _, last = key.rpartition("/")
    if head and last[:1].isdigit():  # lockfile v5: /name/1.2.3_peer@1
        return head, last.split("_", 1)[0]
    at = key.find("@", 1)
    if at > 0:
        return key[:at], key[at + 1:]
    return key, None


_PNPM_ROOT_SECTIONS = (("dependencies", "runtime"), ("optionalDependencies", "optional"), ("devDependencies", "dev"))


def parse_pnpm_lock(src: ManifestSource) -> ManifestFacts:
    """pnpm-lock.yaml v5 to v9: ``importers`` are the workspace's projects and
    their own dependencies the roots; ``packages`` (and v9's ``snapshots``)
    the graph."""
    data = mapping(load_yaml(src.text))
    facts, info = new_lock_facts()
    importers = mapping(data.get("importers")) or {".": data}
    for folder, importer in importers.items():
        _add_project(facts, src, str(folder))
        for section, scope in _PNPM_ROOT_SECTIONS:
            for name in mapping(mapping(importer).get(section)):
                info.roots.setdefault(str(name), scope)
    for section in ("packages", "snapshots"):
        for key, entry in mapping(data.get(section)).items():
            entry = mapping(entry)
            needs = [str(d) for table in ("dependencies", "optionalDependencies") for d in mapping(entry.get(table))]
            info.depends(_pnpm_key(str(key))[0], needs)
    for key, entry in mapping(data.get("packages")).items():
        entry = mapping(entry)
        name, version = _pnpm_key(str(key))
        if entry.get("dev") is True:
            scope = "dev"
        else:
            scope = "optional" if entry.get("optional") else "runtime"
        facts.dependencies.append(Dependency(ECOSYSTEM, name, version=version, scope=scope, manifest=src.path, direct=False))
    return facts


PARSERS = [
    ManifestParser("package.json", ECOSYSTEM, ("package.json",), parse_package_json),
    ManifestParser("package-lock.json", ECOSYSTEM, ("package-lock.json", "npm-shrinkwrap.json"), parse_package_lock, lock=True,
                   locks=("package.json",)),
    ManifestParser("yarn.lock", ECOSYSTEM, ("yarn.lock",), parse_yarn_lock, lock=True, locks=("package.json",)),
    ManifestParser("pnpm-lock.yaml", ECOSYSTEM, ("pnpm-lock.yaml",), parse_pnpm_lock, lock=True, locks=("package.json",)),
]
