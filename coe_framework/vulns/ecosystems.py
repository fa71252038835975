"""Ecosystem names: OSV's spelling, CoE's, and each ecosystem's package key."""
from __future__ import annotations

import re
from functools import lru_cache

#: OSV ecosystem name -> CoE ecosystem name (the ``tech_dependencies.ecosystem`` values).
OSV_ECOSYSTEMS: dict[str, str] = {
    "PyPI": "pypi",
    "npm": "npm",
    "Maven": "maven",
    "Go": "golang",
    "crates.io": "cargo",
    "RubyGems": "gem",
    "Packagist": "composer",
    "NuGet": "nuget",
}
#: CoE ecosystem name -> OSV ecosystem name.
COE_TO_OSV: dict[str, str] = {coe: osv for osv, coe in OSV_ECOSYSTEMS.items()}
SUPPORTED = frozenset(COE_TO_OSV)
#: (CoE ecosystem, package key): how advisories and dependencies find each other.
PackageKey = tuple[str, str]


@lru_cache(maxsize=100_000)
def package_key(ecosystem: str, name: str) -> str:
    """The key two spellings of one package share within an ecosystem.

    PyPI folds case and runs of ``-_.`` (PEP 503); NuGet, Packagist and Maven
    names are case-insensitive; the other ecosystems compare names exactly.
    """
    if ecosystem == "pypi":
        return re.sub(r"[-_.]+", "-", name).lower()
    if ecosystem in ("nuget", "composer", "maven"):
        return name.lower()
    return name


def coe_ecosystem(osv_name: str) -> str | None:
    """CoE's name for an OSV ecosystem (``Maven:https://...`` counts as Maven); None if unsupported."""
    return OSV_ECOSYSTEMS.get(osv_name) or OSV_ECOSYSTEMS.get(osv_name.split(":", 1)[0])
