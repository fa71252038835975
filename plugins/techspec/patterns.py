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
    pattern: exact names are a dict lookup, only wildcards are matched."""

    def __init__(self) -> None:
        self._exact: dict[str, list[T]] = {}
        self._folded: dict[str, list[T]] = {}
        self._wild: list[tuple[str, re.Pattern[str], T]] = []

    def add(self, patterns: Iterable[str], owner: T) -> None:
        for pattern in patterns:
            if _WILDCARDS & set(pattern) or "/" in pattern:
                self._wild.append((pattern, compile_pattern(pattern), owner))
            elif pattern.islower():
                self._folded.setdefault(pattern, []).append(owner)
            else:
                self._exact.setdefault(pattern, []).append(owner)

    def match(self, path: str) -> list[T]:
        """Every owner with a pattern matching ``path``, each once, in the order added."""
        base = path.rsplit("/", 1)[-1]
        found: list[T] = []
        for owner in (*self._exact.get(base, ()), *self._folded.get(base.lower(), ())):
            if owner not in found:
                found.append(owner)
        for pattern, regex, owner in self._wild:
            if owner not in found and pattern_matches(pattern, regex, path):
                found.append(owner)
        return found
