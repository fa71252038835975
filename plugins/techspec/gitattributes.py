"""The linguist attributes of ``.gitattributes`` files.

Only the attributes GitHub linguist reads are kept: ``linguist-vendored``,
``linguist-generated``, ``linguist-documentation``, ``linguist-detectable``
and ``linguist-language``. Patterns use gitignore-style matching (through
pathspec) relative to the folder of the ``.gitattributes`` file; later
lines and deeper files win, as in git.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Iterable

from pathspec.patterns.gitignore.basic import GitIgnoreBasicPattern

LINGUIST_ATTRIBUTES = frozenset({
    "linguist-vendored", "linguist-generated", "linguist-documentation", "linguist-detectable", "linguist-language",
})
#: Most attribute lines read from all .gitattributes files together.
MAX_RULES = 2000


@dataclass(frozen=True)
class _Rule:
    directory: str
    pattern: GitIgnoreBasicPattern
    values: tuple[tuple[str, bool | str], ...]


def _values(tokens: Iterable[str]) -> tuple[tuple[str, bool | str], ...]:
    found: list[tuple[str, bool | str]] = []
    for token in tokens:
        unset = token.startswith(("-", "!"))
        name, has_value, value = token.lstrip("-!").partition("=")
        if name not in LINGUIST_ATTRIBUTES:
            continue
        if unset:
            found.append((name, False))
        elif has_value:
            lowered = value.lower()
            found.append((name, value if name == "linguist-language" else lowered not in ("false", "0", "no")))
        else:
            found.append((name, True))
    return tuple(found)


class LinguistAttributes:
    """Linguist overrides from every ``.gitattributes`` file of a tree."""

    def __init__(self, files: Iterable[tuple[str, str]]):
        """``files`` holds (path of a .gitattributes file, its text)."""
        self.rules: list[_Rule] = []
        # Shallow files first so deeper ones override them, as git does.
        for path, text in sorted(files, key=lambda item: (item[0].count("/"), item[0])):
            directory = posixpath.dirname(path)
            for line in text.splitlines():
                tokens = line.split()
                if not tokens or tokens[0].startswith("#") or tokens[0].startswith('"'):
                    continue
                values = _values(tokens[1:])
                if not values or len(self.rules) >= MAX_RULES:
                    continue
                try:
                    pattern = GitIgnoreBasicPattern(tokens[0])
                except ValueError:
                    continue  # not a valid pattern: git ignores such lines too
                if pattern.include is not None:
                    self.rules.append(_Rule(directory, pattern, values))

    def __bool__(self) -> bool:
        return bool(self.rules)

    def lookup(self, path: str) -> dict[str, bool | str]:
        """The linguist attributes that apply to ``path`` (empty when none)."""
        found: dict[str, bool | str] = {}
        for rule in self.rules:
            if rule.directory:
                if not path.startswith(rule.directory + "/"):
                    continue
                relative = path[len(rule.directory) + 1:]
            else:
                relative = path
            if rule.pattern.match_file(relative) is not None:
                found.update(rule.values)
        return found
