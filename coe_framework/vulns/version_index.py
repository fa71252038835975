"""One package's advisories as a version grid: matching becomes a binary search.

Every version a package's advisories name (range events, listed versions)
is sorted once, per version scheme, into a *grid* of boundaries
``b0 < b1 < ... < bn-1``. The grid cuts the version line into ``2n + 1``
cells: cell ``2i + 1`` is exactly ``bi``, cell ``2i`` the versions between
``bi-1`` and ``bi`` (cell 0 below ``b0``, cell ``2n`` above the last). Each
affected range of each advisory is a run of whole cells, so:

* a locked version is in a range when its cell is (one binary search per
  scheme, then integer comparisons);
* a constraint may resolve to an affected version when the run of cells it
  allows meets a range's run.

Versions are ordered by their ecosystem's rules (:mod:`.versions`); plain
numeric releases (``1.2.3``), most of what advisories and lockfiles name,
are ordered by their numbers without the version parser, which is exact for
them in every supported ecosystem (a test checks it against the parsers).

An index is built from stored advisory rows (:func:`build_index`) and kept
as a JSON document (:meth:`PackageIndex.to_document`) so a later match reads
it instead of parsing every advisory again.
"""
from __future__ import annotations

import re
from functools import cmp_to_key, lru_cache, partial
from typing import Any, Iterable, Sequence

from packaging.version import Version

from .versions import Interval, RangeError, allowed_intervals, check_events, parse_version

#: Bump when the document layout or the meaning of a cell changes: older documents are rebuilt.
FORMAT = 1

Hits = list[tuple[int, bool, "str | None"]]
#: Numbers of a plain release, trailing zeros dropped (``1.2.0`` -> ``(1, 2)``), or None.
FastKey = "tuple[int, ...] | None"

_NUMERIC = r"(?:0|[1-9][0-9]{0,8})(?:\.(?:0|[1-9][0-9]{0,8}))"
#: Per scheme: the plain releases whose order is their numbers' order, as the parser reads them.
_PLAIN: dict[str, re.Pattern[str]] = {
    "pypi": re.compile(_NUMERIC + r"{0,15}"),
    "maven": re.compile(_NUMERIC + r"{0,15}"),
    "gem": re.compile(_NUMERIC + r"{0,15}"),
    "nuget": re.compile(_NUMERIC + r"{0,3}"),
    "composer": re.compile(r"v?" + _NUMERIC + r"{0,3}"),
    **{s: re.compile(r"v?" + _NUMERIC + r"{0,2}") for s in ("npm", "cargo", "golang", "SEMVER")},
}


def _strip(numbers: Sequence[int]) -> tuple[int, ...]:
    end = len(numbers)
    while end and numbers[end - 1] == 0:
        end -= 1
    return tuple(numbers[:end])


@lru_cache(maxsize=200_000)
def fast_key(scheme: str, text: str) -> tuple[int, ...] | None:
    """The order key of a plain numeric release of ``scheme``; None for anything else
    (pre-releases, build metadata, odd spellings: those are compared by the parser)."""
    pattern = _PLAIN.get(scheme)
    if pattern is None or not pattern.fullmatch(text):
        return None
    return _strip([int(part) for part in text.lstrip("v").split(".")])


def value_key(scheme: str, value: Any) -> tuple[int, ...] | None:
    """:func:`fast_key` for an already parsed version (a constraint's bound), where its type tells."""
    if isinstance(value, Version):
        if value.epoch or value.pre is not None or value.post is not None or value.dev is not None or value.local is not None:
            return None
        return _strip(value.release)
    if isinstance(value, tuple) and scheme != "gem" and len(value) == 4 and value[3] == 1:  # SemVer release
        return _strip(value[:3])
    return None


def _sign(a: Any, b: Any) -> int:
    return -1 if a < b else (1 if a > b else 0)


def compare_texts(scheme: str, a: str, b: str) -> int:
    """-1, 0 or 1 as version ``a`` sorts before, with or after ``b``; both must parse."""
    ka, kb = fast_key(scheme, a), fast_key(scheme, b)
    if ka is not None and kb is not None:
        return _sign(ka, kb)
    return _sign(parse_version(scheme, a), parse_version(scheme, b))


def parses(scheme: str, text: str) -> bool:
    """True when ``text`` is a version of ``scheme``."""
    return fast_key(scheme, text) is not None or parse_version(scheme, text) is not None


class Grid:
    """The distinct versions of one scheme a package's advisories name, in order."""

    __slots__ = ("scheme", "texts", "_keys", "_cells")

    def __init__(self, scheme: str, texts: Sequence[str]):
        self.scheme = scheme
        self.texts = list(texts)
        self._keys: list[Any] = [...] * len(self.texts)  # fast keys, computed when first compared
        self._cells: dict[str, int] | None = None

    @property
    def top(self) -> int:
        """The highest cell: the versions above every boundary."""
        return 2 * len(self.texts)

    def _key(self, position: int) -> tuple[int, ...] | None:
        key = self._keys[position]
        if key is ...:
            key = self._keys[position] = fast_key(self.scheme, self.texts[position])
        return key

    def _search(self, key: tuple[int, ...] | None, value: Any) -> tuple[int, bool]:
        """(boundaries below the probe, whether the next one equals it); ``value`` is a
        parsed version or a zero-argument callable that parses it on first need."""
        low, high = 0, len(self.texts)
        while low < high:
            middle = (low + high) // 2
            boundary = self._key(middle)
            if key is not None and boundary is not None:
                sign = _sign(boundary, key)
            else:
                if callable(value):
                    value = value()
                sign = _sign(parse_version(self.scheme, self.texts[middle]), value)
            if sign < 0:
                low = middle + 1
            elif sign > 0:
                high = middle
            else:
                return middle, True
        return low, False

    def cell_of_text(self, text: str) -> int | None:
        """The cell of a version given as text; None when it is no version of this scheme."""
        if self._cells is None:
            self._cells = {t: 2 * i + 1 for i, t in enumerate(self.texts)}
        exact = self._cells.get(text)
        if exact is not None:
            return exact
        key = fast_key(self.scheme, text)
        if key is None and parse_version(self.scheme, text) is None:
            return None
        position, equal = self._search(key, lambda: parse_version(self.scheme, text))
        return 2 * position + 1 if equal else 2 * position

    def cells(self, interval: Interval) -> tuple[int, int] | None:
        """The run of cells holding the versions of ``interval`` (parsed bounds); None if it holds none."""
        low, high = interval.low, interval.high
        if low is not None and high is not None and (low > high or (low == high and not (interval.low_inclusive and interval.high_inclusive))):
            return None
        first, last = 0, self.top
        if low is not None:
            position, equal = self._search(value_key(self.scheme, low), low)
            first = (2 * position + (1 if interval.low_inclusive else 2)) if equal else 2 * position
        if high is not None:
            position, equal = self._search(value_key(self.scheme, high), high)
            last = (2 * position + (1 if interval.high_inclusive else 0)) if equal else 2 * position
        return (first, last) if first <= last else None


#: One advisory's statement about the package, in cells, as plain data (the stored document's
#: own lists, so reading an index builds nothing): ``[vulnerability id, versions listed exactly
#: as written, [[scheme, first cell, last cell, fixed version], ...] per affected interval in
#: the record's order, cells of the listed versions that parse (in the ecosystem's own grid)]``.
IndexedAdvisory = list[Any]


class PackageIndex:
    """Every advisory of one package, ready to answer for versions and constraints."""

    def __init__(self, ecosystem: str, grids: dict[str, Grid], advisories: list[IndexedAdvisory]):
        self.ecosystem = ecosystem
        self.grids = grids
        self.advisories = advisories

    def affecting_version(self, version: str) -> Hits:
        """``(advisory, True, fixed version)`` for each advisory a locked version is affected by;
        each advisory once, with the fixed version of the first of its ranges that holds it."""
        cells = {scheme: grid.cell_of_text(version) for scheme, grid in self.grids.items()}
        own = cells.get(self.ecosystem)
        hits: dict[int, str | None] = {}
        for vid, versions, ranges, listed in self.advisories:
            if vid in hits:
                continue
            if version in versions:
                hits[vid] = None
                continue
            for scheme, first, last, fixed in ranges:
                cell = cells.get(scheme)
                if cell is not None and first <= cell <= last:
                    hits[vid] = fixed
                    break
            else:
                if own is not None and own in listed:
                    hits[vid] = None
        return [(vid, True, fixed) for vid, fixed in hits.items()]

    def overlapping_constraint(self, constraint: str) -> Hits:
        """``(advisory, False, fixed version)`` for each advisory some version a declared
        constraint allows is affected by."""
        allowed: dict[str, list[tuple[int, int]]] = {}
        for scheme, grid in self.grids.items():
            intervals = allowed_intervals(self.ecosystem, constraint, scheme) or ()
            allowed[scheme] = [run for run in map(grid.cells, intervals) if run is not None]
        own = allowed.get(self.ecosystem, ())
        hits: dict[int, str | None] = {}
        for vid, _versions, ranges, listed in self.advisories:
            if vid in hits:
                continue
            for scheme, first, last, fixed in ranges:
                if any(low <= last and first <= high for low, high in allowed.get(scheme, ())):
                    hits[vid] = fixed
                    break
            else:
                if listed and any(low <= cell <= high for cell in listed for low, high in own):
                    hits[vid] = None
        return [(vid, False, fixed) for vid, fixed in hits.items()]

    def to_document(self) -> dict[str, Any]:
        """The index as JSON-ready data (:meth:`from_document` reads it back)."""
        return {
            "format": FORMAT,
            "ecosystem": self.ecosystem,
            "grids": {scheme: grid.texts for scheme, grid in self.grids.items()},
            "advisories": self.advisories,
        }

    @classmethod
    def from_document(cls, document: Any) -> "PackageIndex | None":
        """The index a document holds; None for a document of another format or shape.

        Only the outline is checked: a document is trusted as far as its fingerprint is,
        and the advisories are used as stored (converting them would cost more than the
        matching they serve).
        """
        try:
            if document["format"] != FORMAT:
                return None
            grids = {str(scheme): Grid(str(scheme), [str(t) for t in texts]) for scheme, texts in document["grids"].items()}
            advisories = document["advisories"]
            if not isinstance(advisories, list) or not all(isinstance(a, list) and len(a) == 4 for a in advisories):
                return None
            return cls(str(document["ecosystem"]), grids, advisories)
        except (KeyError, TypeError, ValueError, AttributeError):
            return None


def _range_events(scheme: str, events: Any) -> list[tuple[str, str]] | None:
    """A range's ``(kind, version)`` events without ``limit``; None when one does not parse
    (such a range is never matched: it was stored by an importer that checked its shape only)."""
    try:
        checked = check_events(events)
    except RangeError:
        return None
    kept = [(kind, text) for kind, text in checked if kind != "limit"]
    if any(not (kind == "introduced" and text == "0") and not parses(scheme, text) for kind, text in kept):
        return None
    return kept


def _sorted_distinct(scheme: str, texts: Iterable[str]) -> tuple[list[str], dict[str, int]]:
    """Boundaries in order, one per distinct version, and every spelling's position."""
    distinct = sorted(set(texts))  # spellings of one version in a fixed order, whatever the hash seed
    keys = {text: fast_key(scheme, text) for text in distinct}
    numbers = {text: key for text, key in keys.items() if key is not None}
    if len(numbers) == len(keys):  # plain releases only: sort by their numbers
        ordered = sorted(distinct, key=numbers.__getitem__)
        same = lambda a, b: numbers[a] == numbers[b]  # noqa: E731
    else:
        ordered = sorted(distinct, key=cmp_to_key(partial(compare_texts, scheme)))
        same = lambda a, b: compare_texts(scheme, a, b) == 0  # noqa: E731
    boundaries: list[str] = []
    position: dict[str, int] = {}
    for text in ordered:
        if not boundaries or not same(boundaries[-1], text):
            boundaries.append(text)
        position[text] = len(boundaries) - 1
    return boundaries, position


def _intervals(events: list[tuple[str, str]], position: dict[str, int], top: int) -> list[tuple[int, int, str | None]]:
    """OSV's evaluation of one range over the grid: events ordered by version (an
    introduction before an end at the same version); an ``introduced`` opens, the next
    ``fixed`` closes before its cell, the next ``last_affected`` after it."""
    # The record's own order breaks ties, as a stable sort of the events would.
    ordered = sorted(((-1, 0, n, kind, text) if kind == "introduced" and text == "0" else
                      (position[text], 0 if kind == "introduced" else 1, n, kind, text)) for n, (kind, text) in enumerate(events))
    runs: list[tuple[int, int, str | None]] = []
    opened: int | None = None
    for boundary, _order, _n, kind, text in ordered:
        if kind == "introduced":
            if opened is None:
                opened = 0 if boundary < 0 else 2 * boundary + 1
        elif opened is not None:
            last = 2 * boundary + 1 if kind == "last_affected" else 2 * boundary
            if opened <= last:
                runs.append((opened, last, text if kind == "fixed" else None))
            opened = None
    if opened is not None:
        runs.append((opened, top, None))
    return runs


def build_index(ecosystem: str, rows: Iterable[tuple[int, Any, Any]]) -> PackageIndex:
    """The index of one package from its stored advisory rows ``(vulnerability id, ranges,
    versions)``, in the order the rows were stored."""
    statements: list[tuple[int, list[tuple[str, list[tuple[str, str]]]], list[str]]] = []
    texts: dict[str, set[str]] = {}
    for vulnerability_id, ranges, versions in rows:
        kept = []
        for rng in ranges or ():
            scheme = "SEMVER" if isinstance(rng, dict) and rng.get("type") == "SEMVER" else ecosystem
            events = _range_events(scheme, rng.get("events") if isinstance(rng, dict) else None)
            if events is None:
                continue
            kept.append((scheme, events))
            texts.setdefault(scheme, set()).update(t for k, t in events if not (k == "introduced" and t == "0"))
        listed = [v for v in versions or () if isinstance(v, str)]
        parsed = [v for v in listed if parses(ecosystem, v)]
        if parsed:
            texts.setdefault(ecosystem, set()).update(parsed)
        statements.append((vulnerability_id, kept, listed))
    grids: dict[str, Grid] = {}
    positions: dict[str, dict[str, int]] = {}
    for scheme, found in texts.items():
        boundaries, positions[scheme] = _sorted_distinct(scheme, found)
        grids[scheme] = Grid(scheme, boundaries)
    advisories = []
    for vulnerability_id, kept, listed in statements:
        runs = [[scheme, first, last, fixed] for scheme, events in kept
                for first, last, fixed in _intervals(events, positions[scheme], grids[scheme].top)]
        own = positions.get(ecosystem, {})
        cells = sorted({2 * own[v] + 1 for v in listed if v in own})
        advisories.append([vulnerability_id, sorted(set(listed)), runs, cells])
    # A grid may have no boundary (a range "introduced: 0" alone): it still tells which versions parse.
    return PackageIndex(ecosystem, grids, advisories)
