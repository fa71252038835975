"""Go (go.mod) and Rust (Cargo.toml, Cargo.lock)."""
from __future__ import annotations

from typing import Any

from ..models import Dependency, ManifestFacts, Runtime
from ..safeload import ManifestError, load_toml
from .base import (
    ManifestParser, ManifestSource, describe_spec, listing, mapping, member_directories, named_packages, new_lock_facts, text_or_none,
)

# --- Go -------------------------------------------------------------------------


def parse_go_mod(src: ManifestSource) -> ManifestFacts:
    """``require`` lines and blocks (``// indirect`` marks transitive ones),
    the ``go`` and ``toolchain`` directives. go.mod is a line format with no
    Python parser; its grammar is small and fixed, so it is read line by line."""
    facts = ManifestFacts()
    block: str | None = None
    for number, raw in enumerate(src.text.splitlines(), 1):
        line, _, comment = raw.partition("//")
        words = line.split()
        if not words:
            continue
        if block is not None:
            if words == [")"]:
                block = None
                continue
            verb, args = block, words
        elif len(words) >= 2 and words[1] == "(":
            block = words[0]
            continue
        else:
            verb, args = words[0], words[1:]
        if verb == "module" or verb in ("replace", "exclude", "retract", "godebug", "tool", "ignore"):
            continue
        if verb == "go" and args:
            facts.runtimes.append(Runtime("go", args[0], src.path))
        elif verb == "toolchain" and args:
            facts.runtimes.append(Runtime("go-toolchain", args[0].removeprefix("go"), src.path))
        elif verb == "require":
            if len(args) < 2:
                raise ManifestError(f"invalid go.mod: line {number}: require needs a module path and a version")
            indirect = "indirect" in comment.split(";")[0].split()
            facts.dependencies.append(
                Dependency("golang", args[0].strip('"'), constraint=args[1], scope="runtime", manifest=src.path, direct=not indirect)
            )
            if indirect:
                facts.dependencies[-1].version = args[1]
    if block is not None:
        raise ManifestError(f"invalid go.mod: '{block} (' block is never closed")
    return facts


# --- Rust -------------------------------------------------------------------------

_CARGO_SECTIONS = (("dependencies", "runtime"), ("dev-dependencies", "dev"), ("build-dependencies", "build"))


def _cargo_table(table: Any, scope: str, manifest: str) -> list[Dependency]:
    found = []
    for alias, spec in mapping(table).items():
        name = text_or_none(mapping(spec).get("package")) or alias  # renamed dependencies
        dep_scope = "optional" if scope == "runtime" and mapping(spec).get("optional") is True else scope
        found.append(Dependency("cargo", name, constraint=describe_spec(spec), scope=dep_scope, manifest=manifest))
    return found


def parse_cargo_toml(src: ManifestSource) -> ManifestFacts:
    data = load_toml(src.text)
    facts = ManifestFacts()
    tables = [data, *mapping(data.get("target")).values()]
    for table in tables:
        for section, scope in _CARGO_SECTIONS:
            facts.dependencies += _cargo_table(mapping(table).get(section), scope, src.path)
    facts.dependencies += _cargo_table(mapping(data.get("workspace")).get("dependencies"), "runtime", src.path)
    package = mapping(data.get("package"))
    if text_or_none(package.get("license")):
        facts.licenses.append(str(package["license"]).strip())
    if text_or_none(package.get("rust-version")):
        facts.runtimes.append(Runtime("rust", str(package["rust-version"]).strip(), src.path))
    return facts


def _cargo_workspace(src: ManifestSource) -> list[str]:
    """The folders whose Cargo.toml this Cargo.lock locks: the lock's own and
    the ``[workspace] members`` of the Cargo.toml beside it."""
    folders = [src.directory]
    text = src.repo.read_text(f"{src.directory}/Cargo.toml" if src.directory else "Cargo.toml")
    if text is None:
        return folders
    try:
        workspace = mapping(load_toml(text).get("workspace"))
    except ManifestError:
        return folders
    return folders + member_directories(src, "Cargo.toml", listing(workspace.get("members")), listing(workspace.get("exclude")))


def parse_cargo_lock(src: ManifestSource) -> ManifestFacts:
    """Cargo.lock: packages from a registry or git (no source: a crate of this
    workspace), the workspace's folders, and the graph."""
    data = load_toml(src.text)
    facts, info = new_lock_facts(_cargo_workspace(src))
    for name, package in named_packages(data):
        # Entries read "name", "name version" or "name version (source)".
        info.depends(name, [str(d).split()[0] for d in listing(package.get("dependencies")) if isinstance(d, str) and d.split()])
        if package.get("source"):
            facts.dependencies.append(Dependency("cargo", name, version=text_or_none(package.get("version")), manifest=src.path, direct=False))
    return facts


PARSERS = [
    ManifestParser("go.mod", "golang", ("go.mod",), parse_go_mod),
    ManifestParser("Cargo.toml", "cargo", ("Cargo.toml",), parse_cargo_toml),
    ManifestParser("Cargo.lock", "cargo", ("Cargo.lock",), parse_cargo_lock, lock=True, locks=("Cargo.toml",)),
]
