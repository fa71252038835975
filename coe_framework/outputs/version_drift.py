"""Do two repositories' uses of one package drift apart?

Each side of a shared dependency is a list of what its manifests say: exact
versions (``9.0.2``, from a pin or a lock) and constraints (``>=2.8,<10``).
A version *satisfies a side* when it satisfies every entry of it. The two
sides **drift** when no single version satisfies both; they do not when one
does; and the answer is unknown (None) when an entry cannot be read by the
ecosystem's rules.

Rules per ecosystem:

* PyPI: PEP 440 through ``packaging`` (``SpecifierSet``, ``Version``);
* npm: node-semver ranges (``^``, ``~``, ``x``, hyphen ranges, ``||``) through
  ``semantic_version.NpmSpec``;
* Cargo: Cargo's requirements (a bare ``1.2`` means ``^1.2``) through
  ``semantic_version.SimpleSpec``;
* any other ecosystem: only exact versions are compared (equal strings).

Whether some version satisfies both sides is decided on candidates: every
version a constraint names, just above each of them, and the lowest version.
The set of versions two sides accept is a union of intervals whose ends are
named versions, so when it is not empty one of the candidates lies in it.
"""
from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

import semantic_version
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

class Unreadable(ValueError):
    """An entry the ecosystem's rules cannot read (a URL, a path, a tag)."""


def drift(ecosystem: str, side_a: Sequence[str], side_b: Sequence[str]) -> bool | None:
    """True when no single version satisfies every entry of both sides.

    None when a side is empty or holds an entry the rules cannot read.
    """
    if not side_a or not side_b:
        return None
    rules = _RULES.get(ecosystem.strip().lower())
    entries = [*side_a, *side_b]
    if rules is None:
        return len({entry.strip() for entry in entries}) > 1
    try:
        return not rules(entries)
    except Unreadable:
        return None


# --- PyPI ---------------------------------------------------------------------------

def _pep440_specifier(entry: str) -> SpecifierSet:
    text = entry.strip()
    try:
        if text and text[0].isdigit():
            return SpecifierSet(f"=={text}")
        return SpecifierSet(text)
    except InvalidSpecifier:
        raise Unreadable(entry) from None


def _pep440_candidates(specifiers: Iterable[SpecifierSet]) -> list[Version | str]:
    found: list[Version | str] = [Version("0")]
    for specifier_set in specifiers:
        for specifier in specifier_set:
            text = specifier.version.removesuffix(".*")
            try:
                named = Version(text)
            except InvalidVersion:
                found.append(text)  # ``===`` names an arbitrary string
                continue
            found += [named, Version(".".join(str(part) for part in (*named.release, 0, 0, 1)))]
    return found


def _pypi_compatible(entries: Sequence[str]) -> bool:
    specifiers = [_pep440_specifier(entry) for entry in entries]
    combined = SpecifierSet()
    for specifier in specifiers:
        combined &= specifier
    return any(combined.contains(candidate, prereleases=True) for candidate in _pep440_candidates(specifiers))


# --- semver (npm, Cargo) ----------------------------------------------------------

_SEMVER_TOKEN = re.compile(r"(?<![0-9A-Za-z.])v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(-[0-9A-Za-z.-]+)?")


def _semver_candidates(entries: Sequence[str]) -> list[semantic_version.Version]:
    found = {semantic_version.Version("0.0.0")}
    for entry in entries:
        for major, minor, patch, pre in _SEMVER_TOKEN.findall(entry):
            try:
                named = semantic_version.Version(f"{int(major)}.{int(minor or 0)}.{int(patch or 0)}{pre}")
            except ValueError:
                named = semantic_version.Version(f"{int(major)}.{int(minor or 0)}.{int(patch or 0)}")
            found.update({named, named.next_patch(), named.next_minor(), named.next_major()})
    return sorted(found)


def _semver_compatible(entries: Sequence[str], parse: Callable[[str], semantic_version.BaseSpec]) -> bool:
    specs = []
    for entry in entries:
        try:
            specs.append(parse(entry.strip()))
        except (ValueError, AttributeError, TypeError, IndexError):  # semantic_version fails several ways on junk
            raise Unreadable(entry) from None
    return any(all(spec.match(candidate) for spec in specs) for candidate in _semver_candidates(entries))


def _npm_spec(entry: str) -> semantic_version.BaseSpec:
    return semantic_version.NpmSpec(entry.removeprefix("npm:") or "*")


def _cargo_spec(entry: str) -> semantic_version.BaseSpec:
    # Cargo reads a bare requirement as a caret one; a list is comma-separated.
    parts = [part.strip() for part in entry.split(",")]
    return semantic_version.SimpleSpec(",".join(f"^{p}" if p[:1].isdigit() else p for p in parts if p) or "*")


_RULES: dict[str, Callable[[Sequence[str]], bool]] = {
    "pypi": _pypi_compatible,
    "npm": lambda entries: _semver_compatible(entries, _npm_spec),
    "cargo": lambda entries: _semver_compatible(entries, _cargo_spec),
}
