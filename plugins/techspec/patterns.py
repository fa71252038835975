"""File-name patterns shared by manifest parsers and technology rules.

A pattern without ``/`` is matched against a file's base name
(``requirements*.txt``); one with ``/`` against the whole path
(``*/requirements/*.txt``, ``.github/workflows/*.yml``). Lower-case patterns
match case-insensitively (``pom.xml`` finds ``POM.xml``); others exactly
(``Gemfile``).
"""
from __future__ import annotations

import fnmatch
import re
from typing import Generic, Iterable, TypeVar

T = TypeVar("T")
_WILDCARDS = frozenset("*?[")


def compile_pattern(pattern: str) -> re.Pattern[str]:
    flags = re.IGNORECASE if pattern.islower() else 0
    return re.compile(fnmatch.translate(pattern.lstrip("/")), flags)


def pattern_matches(pattern: str, regex: re.Pattern[str], path: str) -> bool:
    return bool(regex.match(path if "/" in pattern else path.rsplit("/", 1)[-1]))


class PatternIndex(Generic[T]):
    """Owners (parsers, rules) by pattern, found for a path without trying every
    pattern: exact names are a dict lookup, and the wildcard patterns are
    first tried together as one case-insensitive alternation, so a path that
    matches none of them (nearly every path) costs one regex search."""

    def __init__(self) -> None:
        self._exact: dict[str, list[T]] = {}
        self._folded: dict[str, list[T]] = {}
        self._wild: list[tuple[str, re.Pattern[str], T]] = []
        self._prefilter: tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None = None

    def add(self, patterns: Iterable[str], owner: T) -> None:
        for pattern in patterns:
            if _WILDCARDS & set(pattern) or "/" in pattern:
                self._wild.append((pattern, compile_pattern(pattern), owner))
                self._prefilter = None
            elif pattern.islower():
                self._folded.setdefault(pattern, []).append(owner)
            else:
                self._exact.setdefault(pattern, []).append(owner)

    def _prefilters(self) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        if self._prefilter is None:
            def union(items: list[str]) -> re.Pattern[str] | None:
                if not items:
                    return None
                return re.compile("|".join(f"(?:{fnmatch.translate(p.lstrip('/'))})" for p in items), re.IGNORECASE)

            self._prefilter = (
                union([p for p, _, _ in self._wild if "/" not in p]),
                union([p for p, _, _ in self._wild if "/" in p]),
            )
        return self._prefilter

    def match(self, path: str) -> list[T]:
        """Every owner with a pattern matching ``path``, each once, in the order added."""
        base = path.rsplit("/", 1)[-1]
        found: list[T] = []
        for owner in (*self._exact.get(base, ()), *self._folded.get(base.lower(), ())):
            if owner not in found:
                found.append(owner)
        by_base, by_path = self._prefilters()
        if (by_base is not None and by_base.match(base)) or (by_path is not None and by_path.match(path)):
            for pattern, regex, owner in self._wild:
                if owner not in found and pattern_matches(pattern, regex, path):
                    found.append(owner)
        return found
