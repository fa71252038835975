"""A lean scanner for stripped Python lines, token-for-token like ``tokenize``.

It uses the standard library's own token regular expressions, so token
boundaries are identical, but yields only what the raw metrics need (kind,
text, first and last row) and builds no ``TokenInfo`` objects. Lines are
stripped, so there is no indentation to track. ``tokenize`` runs about twice
as long on the same text.
"""
from __future__ import annotations

import itertools
import re
import tokenize
from typing import Iterator

NAME, STRING, COMMENT, OP, NEWLINE, NL = "name", "string", "comment", "op", "newline", "nl"
#: The text of a NEWLINE that a blank line gives a statement continued by ``\\``.
CONTINUED_BLANK = "\\"

_PSEUDO = re.compile(tokenize.PseudoToken, re.UNICODE)
_DIGITS = frozenset("0123456789")


def _string_prefixes() -> set[str]:
    """Every valid string prefix in every letter case (``''``, ``rb``, ``Rb``, ``F`` ...)."""
    prefixes = {""}
    for base in ("b", "r", "u", "f", "br", "fr"):
        for order in itertools.permutations(base):
            for cased in itertools.product(*[(c, c.upper()) for c in order]):
                prefixes.add("".join(cased))
    return prefixes


_PREFIXES = _string_prefixes()
_END_OF = {}
for _prefix in _PREFIXES:
    _END_OF[_prefix + "'"] = re.compile(tokenize.Single)
    _END_OF[_prefix + '"'] = re.compile(tokenize.Double)
    _END_OF[_prefix + "'''"] = re.compile(tokenize.Single3)
    _END_OF[_prefix + '"""'] = re.compile(tokenize.Double3)
_TRIPLE_OPENERS = frozenset(p + q for p in _PREFIXES for q in ("'''", '"""'))
_SINGLE_OPENERS = frozenset(p + q for p in _PREFIXES for q in ("'", '"'))


class ScanError(ValueError):
    """The text does not tokenize (an unknown character, or it ends inside a statement)."""


def scan(lines: list[str]) -> Iterator[tuple[str, str, int, int]]:
    """Tokens of ``"\\n".join(lines)`` as ``(kind, text, first row, last row)``.

    ``lines`` must be stripped. Kinds: NAME (names and numbers), STRING,
    COMMENT, OP, NEWLINE (end of a statement, or an implicit one at the end of
    the text), NL (a blank or comment-only line between statements; line
    breaks inside brackets are not reported; the NEWLINE a blank line gives a
    statement continued by a backslash has the text :data:`CONTINUED_BLANK`). Raises :class:`ScanError` where
    ``tokenize`` yields an error token or raises.
    """
    depth = 0
    continued = False
    pending: str | None = None  # text of a string that spans lines
    pending_row = 0
    needs_backslash = False
    end_of_string: re.Pattern[str] | None = None
    count = len(lines)
    if count and lines[-1] == "":
        count -= 1  # the text ends with a newline: no last line to read
    last_is_code = False
    for row in range(1, count + 1):
        line = lines[row - 1] if row == len(lines) else lines[row - 1] + "\n"
        pos, size = 0, len(line)
        if pending is not None:
            assert end_of_string is not None
            match = end_of_string.match(line)
            if match:
                pos = match.end(0)
                yield STRING, pending + line[:pos], pending_row, row
                pending = None
            elif needs_backslash and not line.endswith("\\\n"):
                raise ScanError(f"line {pending_row}: unterminated string")
            else:
                pending += line
                continue
        elif depth == 0 and not continued:
            if pos == size:
                break
            first = line[0]
            if first == "#" or first == "\n":
                if first == "#":
                    yield COMMENT, line.rstrip("\n"), row, row
                yield NL, "", row, row
                last_is_code = False
                continue
        else:
            if continued and line == "\n":
                # ``x = 1 \`` then a blank line: tokenize ends the statement here.
                continued, last_is_code = False, False
                yield NEWLINE, CONTINUED_BLANK, row, row
                continue
            continued = False
        last_is_code = True
        while pos < size:
            match = _PSEUDO.match(line, pos)
            if match is None:
                raise ScanError(f"line {row}: cannot tokenize {line[pos]!r}")
            start, end = match.span(1)
            pos = end
            if start == end:
                continue
            token = line[start:end]
            initial = token[0]
            if initial in _DIGITS or (initial == "." and token != "." and token != "..."):
                yield NAME, token, row, row
            elif initial == "\n":
                if depth == 0:
                    yield NEWLINE, "", row, row
                    last_is_code = False
            elif initial == "#":
                yield COMMENT, token, row, row
            elif token in _TRIPLE_OPENERS:
                end_of_string = _END_OF[token]
                match = end_of_string.match(line, pos)
                if match:
                    pos = match.end(0)
                    yield STRING, line[start:pos], row, row
                else:
                    pending, pending_row, needs_backslash = line[start:], row, False
                    break
            elif initial in _SINGLE_OPENERS or token[:2] in _SINGLE_OPENERS or token[:3] in _SINGLE_OPENERS:
                if token[-1] == "\n":
                    end_of_string = _END_OF.get(initial) or _END_OF.get(token[1]) or _END_OF[token[2]]
                    pending, pending_row, needs_backslash = line[start:], row, True
                    break
                yield STRING, token, row, row
            elif initial.isidentifier():
                yield NAME, token, row, row
            elif initial == "\\":
                continued = True
            else:
                if initial in "([{":
                    depth += 1
                elif initial in ")]}":
                    depth -= 1
                yield OP, token, row, row
    if pending is not None:
        raise ScanError(f"line {pending_row}: the text ends inside a string")
    if depth > 0 or continued:
        raise ScanError("the text ends inside a statement")
    if last_is_code:
        yield NEWLINE, "", count, count  # tokenize's implicit NEWLINE at the end
