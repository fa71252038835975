"""The documentation inventory: README, CHANGELOG, CONTRIBUTING and friends
anywhere in the tree, and every text document under docs folders, with
their titles and section headings (Markdown, reStructuredText, AsciiDoc)."""
from __future__ import annotations

import re
from typing import Any

_KINDS = {
    "README": "readme", "CHANGELOG": "changelog", "CHANGES": "changelog", "HISTORY": "changelog",
    "NEWS": "changelog", "RELEASES": "changelog", "CONTRIBUTING": "contributing",
    "CODE_OF_CONDUCT": "code_of_conduct", "SECURITY": "security", "SUPPORT": "support",
    "GOVERNANCE": "governance", "AUTHORS": "authors", "MAINTAINERS": "authors",
}
DOC_EXTENSIONS = frozenset({".md", ".markdown", ".mdx", ".rst", ".txt", ".adoc", ".asciidoc"})
_DOC_DIRS = frozenset({"docs", "doc", "documentation", "Documentation", "wiki"})
_ATX = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*)$")
_FENCE = re.compile(r"^ {0,3}(```|~~~)")
_RST_ADORNMENT = re.compile(r"^([=\-`:'\"~^_*+#<>])\1{2,}\s*$")
_ADOC = re.compile(r"^(={1,6})\s+(.+)$")
#: Headings kept per document.
MAX_HEADINGS = 60


def doc_kind(path: str) -> str | None:
    """'readme', 'changelog', ... for well-known names; 'docs' under a docs
    folder; None for anything else."""
    name = path.rsplit("/", 1)[-1]
    stem, dot, ext = name.partition(".")
    if stem.upper() in _KINDS and (not dot or "." + ext.lower().rsplit(".", 1)[-1] in DOC_EXTENSIONS):
        return _KINDS[stem.upper()]
    directories = path.split("/")[:-1]
    if any(d in _DOC_DIRS for d in directories) and dot and "." + name.rsplit(".", 1)[-1].lower() in DOC_EXTENSIONS:
        return "docs"
    return None


def _atx_text(text: str) -> str:
    """An ATX heading's text without its optional closing ``#`` run.

    Done with string methods: a regular expression for the optional closing
    sequence backtracks quadratically on long lines of spaces and hashes.
    """
    text = text.rstrip()
    without = text.rstrip("#")
    if without != text and (not without or without[-1] in " \t"):
        text = without.rstrip()
    return text


def _markdown(lines: list[str]) -> list[tuple[int, str]]:
    headings = []
    fenced = False
    previous = ""
    for line in lines:
        if _FENCE.match(line):
            fenced = not fenced
            previous = ""
            continue
        if fenced:
            continue
        atx = _ATX.match(line)
        if atx and _atx_text(atx.group(2)):
            headings.append((len(atx.group(1)), _atx_text(atx.group(2))))
        elif previous.strip() and re.match(r"^ {0,3}(=+|-+)\s*$", line) and not previous.lstrip().startswith(("-", "*", ">")):
            headings.append((1 if line.strip()[0] == "=" else 2, previous.strip()))
        previous = line
    return headings


def _rst(lines: list[str]) -> list[tuple[int, str]]:
    """reST section titles: levels follow the order adornment styles appear in."""
    styles: list[tuple[str, bool]] = []
    headings = []
    index = 0
    while index < len(lines) - 1:
        line, below = lines[index], lines[index + 1]
        over = _RST_ADORNMENT.match(line)
        if over and index + 2 < len(lines) and _RST_ADORNMENT.match(lines[index + 2]) and below.strip():
            style, text, step = (line.strip()[0], True), below.strip(), 3
        elif line.strip() and not over and _RST_ADORNMENT.match(below) and len(below.strip()) >= len(line.strip()):
            style, text, step = (below.strip()[0], False), line.strip(), 2
        else:
            index += 1
            continue
        if style not in styles:
            styles.append(style)
        headings.append((styles.index(style) + 1, text))
        index += step
    return headings


def _asciidoc(lines: list[str]) -> list[tuple[int, str]]:
    return [(len(m.group(1)), m.group(2).strip()) for m in map(_ADOC.match, lines) if m]


def headings_of(path: str, text: str) -> list[tuple[int, str]]:
    lines = text.splitlines()
    lower = path.lower()
    if lower.endswith(".rst"):
        return _rst(lines)
    if lower.endswith((".adoc", ".asciidoc")):
        return _asciidoc(lines)
    return _markdown(lines)


def describe_document(path: str, kind: str, text: str, size: int) -> dict[str, Any]:
    """One inventory entry: path, kind, bytes, title and headings."""
    headings = headings_of(path, text)
    title = headings[0][1] if headings else next((line.strip() for line in text.splitlines() if line.strip()), None)
    return {
        "path": path,
        "kind": kind,
        "bytes": size,
        "title": title[:200] if title else None,
        "headings": [{"level": level, "text": heading[:200]} for level, heading in headings[:MAX_HEADINGS]],
    }
