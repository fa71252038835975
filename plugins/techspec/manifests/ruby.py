"""Ruby: Gemfile (best effort, it is Ruby code) and Gemfile.lock."""
from __future__ import annotations

import re

from ..models import Dependency, ManifestFacts, Runtime, scope_from_label
from .base import ManifestParser, ManifestSource

ECOSYSTEM = "gem"
_STRING = re.compile(r"""['"]([^'"]*)['"]""")
# Whitespace is matched unambiguously (see manifests.jvm): hostile lines of
# spaces must not make a pattern backtrack quadratically.
_GEM = re.compile(r"""^[ \t]*gem[ \t]*(?:\([ \t]*)?['"](?P<name>[^'"]+)['"](?P<rest>.*)$""")
_GROUP_BLOCK = re.compile(r"""^[ \t]*group\b(?P<groups>.*)\bdo\b[ \t]*(?:\|[^|]*\|[ \t]*)?$""")
_GROUP_OPTION = re.compile(r"""\bgroups?\s*(?::|=>)\s*(?P<groups>\[[^\]]*\]|:\w+|['"]\w+['"])""")
_RUBY = re.compile(r"""^[ \t]*ruby[ \t]*(?:\([ \t]*)?['"](?P<v>[^'"]+)['"]""")
_BLOCK_START = re.compile(r"\bdo\b(\s*\|[^|]*\|)?\s*(#.*)?$")


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text))


def parse_gemfile(src: ManifestSource) -> ManifestFacts:
    """``gem`` lines with their version requirements, scoped by ``group`` blocks
    and ``group:`` options. Never evaluated: only literal strings are read."""
    facts = ManifestFacts()
    groups: list[str | None] = []  # one entry per open block; None for non-group blocks
    for raw in src.text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        group_match = _GROUP_BLOCK.match(line)
        if group_match:
            groups.append(_words(group_match.group("groups")))
            continue
        if _BLOCK_START.search(line):
            groups.append(None)
            continue
        if line.strip() == "end":
            if groups:
                groups.pop()
            continue
        ruby = _RUBY.match(line)
        if ruby:
            facts.runtimes.append(Runtime("ruby", ruby.group("v"), src.path))
            continue
        gem = _GEM.match(line)
        if not gem:
            continue
        rest = gem.group("rest")
        option = _GROUP_OPTION.search(rest)
        label = _words(option.group("groups")) if option else " ".join(g for g in groups if g)
        requirements_text = rest[: rest.find(":")] if ":" in rest and not option else rest.split("group", 1)[0]
        requirements = [s for s in _STRING.findall(requirements_text) if re.match(r"^\s*([<>=~!]+\s*)?\d", s)]
        facts.dependencies.append(
            Dependency(ECOSYSTEM, gem.group("name"), constraint=", ".join(requirements) or None,
                       scope=scope_from_label(label) if label else "runtime", manifest=src.path)
        )
    return facts


def parse_gemfile_lock(src: ManifestSource) -> ManifestFacts:
    """Resolved versions from the ``specs:`` lists; the Ruby version if recorded."""
    facts = ManifestFacts()
    section = ""
    in_specs = False
    for line in src.text.splitlines():
        if line and not line[0].isspace():
            section, in_specs = line.strip(), False
            continue
        if line.strip() == "specs:":
            in_specs = True
            continue
        if section == "RUBY VERSION" and line.strip().startswith("ruby "):
            facts.runtimes.append(Runtime("ruby", line.split()[1], src.path))
        if not in_specs or not line.startswith("    ") or line.startswith("     "):
            continue  # six spaces: a spec's own dependencies
        name, _, version = line.strip().partition(" ")
        version = version.strip("()")
        if section in ("GEM", "GIT", "PATH") and name:
            platform_free = re.sub(r"-(x86|x64|arm|aarch|universal|java|mingw|mswin|darwin|linux)[\w.-]*$", "", version)
            facts.dependencies.append(Dependency(ECOSYSTEM, name, version=platform_free or None, manifest=src.path, direct=False))
    return facts


PARSERS = [
    ManifestParser("Gemfile", ECOSYSTEM, ("Gemfile", "gems.rb"), parse_gemfile),
    ManifestParser("Gemfile.lock", ECOSYSTEM, ("Gemfile.lock", "gems.locked"), parse_gemfile_lock, lock=True, locks=("Gemfile",)),
]
