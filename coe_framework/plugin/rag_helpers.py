"""Helpers for plugins that contribute RAG documents.

A ``coe_rag_documents`` implementation gets the repository as a plain dict
(``url``, ``name``, ``commit``, ``path`` of the git directory). These helpers
read files at that commit without a checkout (never following a symlink,
never executing anything), cut Markdown into sections and source files into
chunks on symbol boundaries.

Chunking rule (:func:`chunk_symbols`): a chunk never splits a function or
method. Each top-level symbol is one chunk while it fits the size cap. A
container (class, module, namespace, ...) that does not fit is split only on
the boundaries of the symbols it contains: its members become chunks of
their own (recursively) and the container's remaining lines (its header and
the code between members) become "part" chunks. A function or method over
the cap stays one chunk and its text is truncated with a visible marker; the
chunk's line range still covers the whole function. Code outside every
symbol (imports, constants) becomes module chunks, split between lines.
"""
from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from .context import BlobReader, FileEntry, is_binary, list_files

#: Default size cap of one chunk or section, in characters (about 1,500 tokens).
DEFAULT_MAX_CHARS = 6000
#: Files larger than this are never read for documents.
MAX_FILE_BYTES = 1024 * 1024
#: Symbol kinds that are executable code: never split, only truncated.
FUNCTION_KINDS = frozenset({"function", "method", "async_function", "async_method", "lambda", "constructor", "getter", "setter"})
TRUNCATION_MARKER = "… [truncated: {omitted} more line(s) of {what}]\n"


def truncate(text: str, max_chars: int, what: str = "text") -> tuple[str, bool]:
    """``text`` cut at a line boundary to at most ``max_chars`` (plus a marker).

    Returns ``(text, truncated)``; the marker says how many lines were left out.
    """
    if len(text) <= max_chars:
        return text, False
    cut = text.rfind("\n", 0, max_chars)
    # Keep whole lines when one fits; otherwise cut the first line itself.
    kept, rest = (text[: cut + 1], text[cut + 1 :]) if cut >= 0 else (text[:max_chars] + "\n", text[max_chars:])
    omitted = rest.count("\n") + (0 if rest.endswith("\n") else 1)
    return kept + TRUNCATION_MARKER.format(omitted=omitted, what=what), True


# --- reading files at the commit -----------------------------------------------


class RepositoryFiles:
    """Read-only access to the files of ``repository["path"]`` at ``repository["commit"]``.

    Use as a context manager so the ``git cat-file`` process is closed. A
    repository without a readable git directory yields no files (documents
    that need file contents are then simply not made).
    """

    def __init__(self, repository: Mapping[str, Any], max_file_bytes: int = MAX_FILE_BYTES):
        self.path = repository.get("path")
        self.commit = repository.get("commit")
        self.max_file_bytes = max_file_bytes
        self._entries: dict[str, FileEntry] | None = None
        self._reader: BlobReader | None = None

    def __enter__(self) -> "RepositoryFiles":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def entries(self) -> dict[str, FileEntry]:
        """Regular files by path (symlinks and submodules left out)."""
        if self._entries is None:
            self._entries = {}
            if self.path and self.commit:
                with contextlib.suppress(Exception):  # an unreadable repository has no files
                    self._entries = {e.path: e for e in list_files(self.path, self.commit) if e.is_regular}
        return self._entries

    def read_text(self, path: str) -> str | None:
        """The file as text, or None if missing, binary or over the size cap."""
        entry = self.entries.get(path)
        if entry is None or entry.size > self.max_file_bytes:
            return None
        if self._reader is None:
            self._reader = BlobReader(str(self.path))
        try:
            data = self._reader.read(entry.sha)
        except Exception:  # noqa: BLE001 - a vanished object is just a missing file
            return None
        if is_binary(data):
            return None
        return data.decode("utf-8", "replace")

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None


# --- Markdown and plain-text sections -----------------------------------------------


@dataclass(frozen=True)
class Section:
    """A piece of a document: its heading trail, 1-based line range and text."""

    title: str
    line_start: int
    line_end: int
    text: str
    truncated: bool = False


@functools.lru_cache(maxsize=1)
def _markdown_parser() -> Any:
    """One CommonMark parser per process, block level only.

    Headings and their line ranges come from the block parser; inline
    parsing (emphasis, links) is most of the cost and is not needed, so a
    heading's title is its raw Markdown text.
    """
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").disable(["inline", "text_join"], ignoreInvalid=True)


def _heading_spans(text: str) -> list[tuple[int, int, str]]:
    """``(level, first line index, title)`` of each heading, via markdown-it."""
    tokens = _markdown_parser().parse(text)
    spans = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.map:
            inline = tokens[index + 1] if index + 1 < len(tokens) else None
            title = (inline.content if inline is not None else "").strip()
            spans.append((int(token.tag[1:]), token.map[0], title))
    return spans


def markdown_sections(text: str, max_chars: int = DEFAULT_MAX_CHARS, default_title: str = "") -> list[Section]:
    """Split Markdown on its headings (code fences respected by the parser).

    Each section runs from its heading to the next heading; its title is the
    trail of enclosing headings ("Install > From source"). Text before the
    first heading is a section titled ``default_title``. Sections over
    ``max_chars`` are split between paragraphs (see :func:`text_sections`).
    """
    lines = text.splitlines(keepends=True)
    spans = _heading_spans(text)
    starts = [(0, 0, default_title)] if not spans or spans[0][1] > 0 else []
    trail: list[tuple[int, str]] = []
    bounds: list[tuple[int, str]] = []
    for level, start, title in [(0, s, t) for _l, s, t in starts] + spans:
        if level:
            while trail and trail[-1][0] >= level:
                trail.pop()
            trail.append((level, title))
        bounds.append((start, " > ".join(t for _lvl, t in trail if t) or title))
    sections: list[Section] = []
    for position, (start, title) in enumerate(bounds):
        end = bounds[position + 1][0] if position + 1 < len(bounds) else len(lines)
        body = "".join(lines[start:end])
        if body.strip():
            sections.extend(text_sections(body, max_chars, title=title, first_line=start + 1))
    return sections


def text_sections(text: str, max_chars: int = DEFAULT_MAX_CHARS, *, title: str = "", first_line: int = 1) -> list[Section]:
    """Plain text in pieces of at most ``max_chars``, cut between paragraphs.

    Paragraphs are packed greedily; a paragraph longer than the cap is cut
    between lines, and a single line longer than the cap is truncated with a
    marker.
    """
    lines = text.splitlines(keepends=True)
    # Units that may not be cut further: paragraphs, or lines of an oversized paragraph.
    units: list[tuple[int, int]] = []  # 0-based [start, end) line indexes
    start = 0
    for index in range(len(lines) + 1):
        if index == len(lines) or not lines[index].strip():
            stop = min(index + 1, len(lines))
            if stop > start:
                if sum(map(len, lines[start:stop])) > max_chars:
                    units.extend((i, i + 1) for i in range(start, stop))
                else:
                    units.append((start, stop))
            start = stop
    pieces: list[Section] = []
    piece: list[tuple[int, int]] = []

    def flush() -> None:
        body = "".join(lines[piece[0][0] : piece[-1][1]])
        if body.strip():
            clipped, cut = truncate(body, max_chars)
            pieces.append(Section(title, first_line + piece[0][0], first_line + piece[-1][1] - 1, clipped, cut))
        piece.clear()

    size = 0
    for unit in units:
        length = sum(map(len, lines[unit[0] : unit[1]]))
        if piece and size + length > max_chars:
            flush()
            size = 0
        piece.append(unit)
        size += length
    if piece:
        flush()
    return pieces


# --- code chunks on symbol boundaries -------------------------------------------------


@dataclass
class Chunk:
    """A run of source lines (1-based, inclusive) and the symbol it belongs to."""

    line_start: int
    line_end: int
    symbol: Mapping[str, Any] | None = None
    role: str = "symbol"  # symbol | part | module
    text: str = ""
    truncated: bool = False


Symbol = Mapping[str, Any]


def _valid(symbol: Symbol, line_count: int) -> bool:
    start, end = symbol.get("line_start"), symbol.get("line_end")
    return isinstance(start, int) and isinstance(end, int) and 1 <= start <= end <= line_count


def _groups(ordered: Sequence[Symbol]) -> list[tuple[Symbol, list[Symbol]]]:
    """Top-level symbols, each with the symbols strictly inside it.

    ``ordered`` is sorted by (start, -end), so an enclosing symbol comes
    before everything it holds and one pass suffices. A symbol that overlaps
    a top-level one without nesting in it (bad input), or repeats its exact
    range, is dropped: the earlier symbol wins.
    """
    groups: list[tuple[Symbol, list[Symbol]]] = []
    for symbol in ordered:
        if groups:
            top, members = groups[-1]
            if symbol["line_start"] <= top["line_end"]:
                if symbol["line_end"] <= top["line_end"] and (symbol["line_start"], symbol["line_end"]) != (top["line_start"], top["line_end"]):
                    members.append(symbol)
                continue
        groups.append((symbol, []))
    return groups


class _Chunker:
    """Cuts one file's lines; sizes come from prefix sums so nesting stays cheap."""

    def __init__(self, lines: Sequence[str], max_chars: int):
        self.lines = lines
        self.max_chars = max_chars
        self.offsets = [0]
        for line in lines:
            self.offsets.append(self.offsets[-1] + len(line))

    def size(self, start: int, end: int) -> int:
        return self.offsets[end] - self.offsets[start - 1]

    def gap(self, start: int, end: int, owner: Symbol | None, role: str) -> list[Chunk]:
        """Lines ``start..end`` outside any symbol, in pieces under the cap (blank-only pieces dropped)."""
        chunks: list[Chunk] = []
        piece_start = start
        for number in range(start, end + 1):
            if number > piece_start and self.size(piece_start, number) > self.max_chars:
                chunks.append(Chunk(piece_start, number - 1, owner, role))
                piece_start = number
        chunks.append(Chunk(piece_start, end, owner, role))
        return [c for c in chunks if "".join(self.lines[c.line_start - 1 : c.line_end]).strip()]

    def range(self, start: int, end: int, ordered: Sequence[Symbol], owner: Symbol | None) -> list[Chunk]:
        """Chunks for lines ``start..end`` holding the sorted symbols ``ordered``."""
        chunks: list[Chunk] = []
        cursor = start
        gap_role = "module" if owner is None else "part"
        for symbol, members in _groups(ordered):
            s_start, s_end = symbol["line_start"], symbol["line_end"]
            if s_start > cursor:
                chunks.extend(self.gap(cursor, s_start - 1, owner, gap_role))
            is_function = str(symbol.get("kind", "")).lower() in FUNCTION_KINDS
            if is_function or not members or self.size(s_start, s_end) <= self.max_chars:
                chunks.append(Chunk(s_start, s_end, symbol, "symbol"))
            else:
                # A container over the cap: split only on its members' boundaries.
                chunks.extend(self.range(s_start, s_end, members, symbol))
            cursor = s_end + 1
        if cursor <= end:
            chunks.extend(self.gap(cursor, end, owner, gap_role))
        return chunks


def chunk_symbols(source: str, symbols: Sequence[Symbol], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Cut ``source`` into chunks along ``symbols``' line ranges (see the module doc).

    ``symbols`` are dicts with ``line_start`` and ``line_end`` (1-based,
    inclusive) and ideally ``kind``; symbols with missing or impossible ranges
    are ignored. Chunks come back in line order with their text filled in.
    Linear in the file size plus ``n log n`` in the number of symbols.
    """
    lines = source.splitlines(keepends=True)
    if not lines:
        return []
    ordered = sorted((s for s in symbols if _valid(s, len(lines))), key=lambda s: (s["line_start"], -s["line_end"]))
    chunks = _Chunker(lines, max_chars).range(1, len(lines), ordered, None)
    for chunk in chunks:
        body = "".join(lines[chunk.line_start - 1 : chunk.line_end])
        what = f"{chunk.symbol.get('kind', 'symbol')} {chunk.symbol.get('name', '')}".strip() if chunk.symbol else "code"
        chunk.text, chunk.truncated = truncate(body, max_chars, what)
    return chunks
