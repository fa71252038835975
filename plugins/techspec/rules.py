"""Data-driven technology rules: frameworks, databases, build tools, test
frameworks, linters and formatters, from dependency names and file names.

Rules live in ``data/rules.yaml`` (format documented there and in the
README); other plugins add rules through the ``coe_techspec_rules`` hook.
"""
from __future__ import annotations

import fnmatch
from functools import lru_cache
from typing import Any, Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .languages import load_data_file
from .models import Dependency, normalize_name
from .patterns import PatternIndex

Category = Literal["framework", "database", "build-tool", "test-framework", "linter", "formatter"]
#: Evidence items kept per technology.
MAX_EVIDENCE = 5


class Rule(BaseModel):
    """One technology and what reveals it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    category: Category
    #: ecosystem -> package names; a trailing ``*`` matches a prefix.
    dependencies: dict[str, list[str]] = Field(default_factory=dict)
    #: Shell patterns on a base name, or on the whole path when they hold a ``/``.
    files: list[str] = Field(default_factory=list)


class RuleError(ValueError):
    """A rule definition is invalid (one line)."""


def parse_rules(raw: Any, origin: str) -> list[Rule]:
    """Rules from a mapping, a list of mappings or ``{"rules": [...]}``."""
    if isinstance(raw, dict) and "rules" in raw:
        raw = raw["rules"]
    items = raw if isinstance(raw, list) else [raw]
    rules = []
    for index, item in enumerate(items):
        try:
            rules.append(Rule.model_validate(item))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "rule"
            raise RuleError(f"{origin}: rule {index}: {where}: {first['msg']}") from None
    return rules


@lru_cache(maxsize=1)
def _builtin_rules() -> tuple[Rule, ...]:
    return tuple(parse_rules(load_data_file("rules.yaml"), "rules.yaml"))


def builtin_rules() -> list[Rule]:
    """The rules shipped in ``data/rules.yaml`` (parsed once per process)."""
    return list(_builtin_rules())


class RuleSet:
    """Rules compiled for fast matching against dependencies and paths."""

    def __init__(self, rules: Iterable[Rule]):
        self.rules = list(rules)
        self._files: PatternIndex[Rule] = PatternIndex()
        self._exact: dict[tuple[str, str], list[Rule]] = {}
        self._prefix: list[tuple[str, str, Rule]] = []
        for rule in self.rules:
            self._files.add(rule.files, rule)
            for ecosystem, names in rule.dependencies.items():
                for name in names:
                    key = normalize_name(ecosystem, name)
                    if key.endswith("*"):
                        self._prefix.append((ecosystem, key, rule))
                    else:
                        self._exact.setdefault((ecosystem, key), []).append(rule)

    def for_dependency(self, dep: Dependency) -> list[Rule]:
        found = list(self._exact.get((dep.ecosystem, dep.key), ()))
        found += [r for eco, pattern, r in self._prefix if eco == dep.ecosystem and fnmatch.fnmatchcase(dep.key, pattern)]
        return found

    def detect(self, dependencies: Iterable[Dependency], paths: Iterable[str]) -> list[dict[str, Any]]:
        """``[{"name", "category", "evidence"}]`` for every rule with evidence."""
        evidence: dict[str, list[str]] = {}
        by_name: dict[str, Rule] = {}

        def note(rule: Rule, item: str) -> None:
            by_name.setdefault(rule.name, rule)
            items = evidence.setdefault(rule.name, [])
            if item not in items and len(items) < MAX_EVIDENCE:
                items.append(item)

        for dep in dependencies:
            if dep.direct:
                for rule in self.for_dependency(dep):
                    note(rule, f"{dep.ecosystem} dependency {dep.name} in {dep.manifest}")
        for path in paths:
            for rule in self._files.match(path):
                note(rule, f"file {path}")
        return [
            {"name": name, "category": by_name[name].category, "evidence": evidence[name]}
            for name in sorted(evidence, key=lambda n: (by_name[n].category, n.lower()))
        ]
