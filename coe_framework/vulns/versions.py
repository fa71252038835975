"""Version order and ranges per ecosystem, for matching dependencies to advisories.

A version is parsed into a comparable value by its ecosystem's rules: PEP 440
through ``packaging`` for PyPI, and ``univers`` (the package-URL companion
library of version schemes) for Maven, RubyGems, Packagist and NuGet and
for reading npm, Cargo, Packagist, RubyGems, NuGet and Maven constraints;
SemVer versions (npm, crates.io, Go, OSV ``SEMVER`` ranges) are ordered by
``semver``, which univers builds on too. SemVer build metadata (``+build``, Go's
``+incompatible``) never takes part in precedence, so it is dropped before
parsing; Go pseudo-versions are SemVer pre-releases and order as Go orders
them.

Everything here works on :class:`Interval`s: an OSV range becomes the
intervals it affects, a declared constraint the intervals it allows, and
"may resolve to an affected version" is the two overlapping.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable, Sequence

import semver
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version
from univers import version_range as vr
from univers import versions as uv

from ..errors import BadInput

#: Range types OSV defines that name versions; GIT ranges name commits and are not matched.
VERSION_RANGE_TYPES = ("ECOSYSTEM", "SEMVER")
KNOWN_RANGE_TYPES = (*VERSION_RANGE_TYPES, "GIT")


def _without_build(text: str) -> str:
    return text.split("+", 1)[0]


def _semver(text: str) -> Any:
    """SemVer 2.0 precedence as a plain tuple (parsed by python-semver), so comparing is cheap."""
    parsed = semver.Version.parse(_without_build(text.strip().lstrip("v=")), optional_minor_and_patch=True)
    if not parsed.prerelease:
        return (parsed.major, parsed.minor, parsed.patch, 1)
    # A pre-release sorts before its release; numeric identifiers before alphanumeric ones (spec, item 11).
    identifiers = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parsed.prerelease.split("."))
    return (parsed.major, parsed.minor, parsed.patch, 0, identifiers)


_GEM_WIDTH = 16


def _gem(text: str) -> Any:
    """RubyGems order as a plain tuple: univers' canonical segments, a string segment (a
    pre-release) below any number, missing segments as 0 (what Gem::Version does)."""
    segments = uv.RubygemsVersion(text.strip()).value.canonical_segments
    if len(segments) > _GEM_WIDTH:
        raise ValueError("too many segments")
    keys = [(1, part, "") if isinstance(part, int) else (0, 0, str(part)) for part in segments]
    return tuple(keys + [(1, 0, "")] * (_GEM_WIDTH - len(keys)))


def _pypi(text: str) -> Any:
    return Version(text.strip())


def _univers(version_class: Any) -> Callable[[str], Any]:
    """Parse with a ``univers`` class and keep its ``value``: the wrapper orders, equals and
    hashes by that one field, so the value compares exactly alike without attrs building a
    tuple per comparison (matching compares versions hundreds of thousands of times)."""
    return lambda text: version_class(text).value


_PARSERS: dict[str, Callable[[str], Any]] = {
    "pypi": _pypi,
    "npm": _semver,
    "cargo": _semver,
    "golang": _semver,
    "maven": lambda t: _univers(uv.MavenVersion)(t.strip()),
    "gem": _gem,
    "composer": lambda t: _univers(uv.ComposerVersion)(t.strip().lstrip("vV")),
    "nuget": lambda t: _univers(uv.NugetVersion)(_without_build(t.strip())),
    "SEMVER": _semver,
}


@lru_cache(maxsize=200_000)
def parse_version(scheme: str, text: str) -> Any | None:
    """``text`` as a comparable version of ``scheme`` (an ecosystem, or ``SEMVER``); None if it is not one."""
    parser = _PARSERS.get(scheme)
    if parser is None or not text or len(text) > 128:
        return None
    try:
        value = parser(text)
    except (InvalidVersion, ValueError, TypeError, AttributeError, IndexError):
        return None
    except Exception:  # noqa: BLE001 - univers raises its own exception types per scheme
        return None
    try:  # a value that cannot be ordered is no version at all
        value < value  # noqa: B015
    except Exception:  # noqa: BLE001
        return None
    return value


@dataclass(frozen=True)
class Interval:
    """Versions between ``low`` and ``high``; None is unbounded. ``fixed`` names the release that ends it."""

    low: Any = None
    low_inclusive: bool = True
    high: Any = None
    high_inclusive: bool = False
    fixed: str | None = None

    def contains(self, version: Any) -> bool:
        """True when ``version`` lies inside."""
        if self.low is not None and (version < self.low or (version == self.low and not self.low_inclusive)):
            return False
        if self.high is not None and (version > self.high or (version == self.high and not self.high_inclusive)):
            return False
        return True

    def overlaps(self, other: "Interval") -> bool:
        """True when some version lies in both."""
        low, low_in = _tighter(self.low, self.low_inclusive, other.low, other.low_inclusive, lower=True)
        high, high_in = _tighter(self.high, self.high_inclusive, other.high, other.high_inclusive, lower=False)
        if low is None or high is None:
            return True
        return low < high or (low == high and low_in and high_in)


def _tighter(a: Any, a_in: bool, b: Any, b_in: bool, *, lower: bool) -> tuple[Any, bool]:
    if a is None:
        return b, b_in
    if b is None:
        return a, a_in
    if a == b:
        return a, a_in and b_in
    pick_a = a > b if lower else a < b
    return (a, a_in) if pick_a else (b, b_in)


def point(version: Any) -> Interval:
    """The interval holding exactly ``version``."""
    return Interval(version, True, version, True)


# --- OSV ranges ---------------------------------------------------------------------


class RangeError(BadInput, ValueError):
    """An OSV range that cannot be evaluated (the reason is safe to show).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


_EVENT_KINDS = ("introduced", "fixed", "last_affected", "limit")


def check_events(events: Any) -> list[tuple[str, str]]:
    """``(kind, version)`` of each OSV range event; :class:`RangeError` for a malformed one."""
    if not isinstance(events, list):
        raise RangeError("'events' must be a list")
    found = []
    for event in events:
        if not isinstance(event, dict) or len(event) != 1:
            raise RangeError("an event must be an object with one key")
        (kind, text), = event.items()
        if kind not in _EVENT_KINDS or not isinstance(text, str) or not text or len(text) > 128:
            raise RangeError(f"unknown or empty event {str(kind)[:40]!r}")
        found.append((kind, text))
    return found


def affected_intervals(scheme: str, events: Sequence[dict[str, Any]]) -> list[Interval]:
    """The intervals an OSV range's ``events`` affect, under ``scheme``'s version order.

    Events are ordered by version (``introduced: "0"`` first); an
    ``introduced`` opens an interval, the next ``fixed`` closes it exclusive,
    the next ``last_affected`` inclusive; ``limit`` only bounds the search and
    affects nothing. A version that does not parse is a :class:`RangeError`.
    """
    parsed: list[tuple[int, Any, str, str]] = []
    for kind, text in check_events(events):
        if kind == "limit":
            continue
        if kind == "introduced" and text == "0":
            parsed.append((0, None, kind, text))
            continue
        version = parse_version(scheme, text)
        if version is None:
            raise RangeError(f"{text[:60]!r} is not a {scheme} version")
        parsed.append((1, version, kind, text))
    parsed.sort(key=_event_order)
    intervals: list[Interval] = []
    opened: tuple[Any] | None = None
    for _rank, version, kind, text in parsed:
        if kind == "introduced":
            if opened is None:
                opened = (version,)
        elif opened is not None:
            intervals.append(Interval(opened[0], True, version, kind == "last_affected", text if kind == "fixed" else None))
            opened = None
    if opened is not None:
        intervals.append(Interval(opened[0], True, None))
    return intervals


class _EventKey:
    """Orders events by version; at one version an introduction comes before its end."""

    __slots__ = ("rank", "version", "kind")

    def __init__(self, rank: int, version: Any, kind: str):
        self.rank, self.version, self.kind = rank, version, kind

    def __lt__(self, other: "_EventKey") -> bool:
        if self.rank != other.rank:
            return self.rank < other.rank
        if self.version is not None and self.version != other.version:
            return bool(self.version < other.version)
        return self.kind == "introduced" and other.kind != "introduced"


def _event_order(item: tuple[int, Any, str, str]) -> _EventKey:
    return _EventKey(item[0], item[1], item[2])


# --- declared constraints -----------------------------------------------------------


def _from_comparators(pairs: Iterable[tuple[str, Any]]) -> list[Interval]:
    """Intervals from a flat, version-ordered list of comparators (``vers`` style).

    A lower bound opens an interval, an upper bound closes it; ``=`` is a
    point; ``!=`` is left out (the result may be wider, never narrower). Two
    lower or two upper bounds in a row are an AND, so the tighter one wins.
    """
    out: list[Interval] = []
    low: tuple[Any, bool] | None = None
    last_upper = False
    for op, version in pairs:
        if op == "*":
            return [Interval()]
        if op == "=":
            out.append(point(version))
            last_upper = False
        elif op in (">", ">="):
            low = (version, op == ">=")
            last_upper = False
        elif op in ("<", "<="):
            if low is None and last_upper:
                continue
            lo, lo_in = low if low is not None else (None, True)
            out.append(Interval(lo, lo_in, version, op == "<="))
            low, last_upper = None, True
    if low is not None:
        out.append(Interval(low[0], low[1], None))
    return out


def _next_release(release: Sequence[int]) -> Version:
    """The first version after every release starting with ``release`` (1.4 -> 1.5.dev0)."""
    return Version(".".join(map(str, [*release[:-1], release[-1] + 1])) + ".dev0")


def _pypi_allowed(constraint: str) -> list[Interval] | None:
    try:
        specifiers = SpecifierSet(constraint)
    except InvalidSpecifier:
        return None
    interval = Interval()
    for spec in specifiers:
        op, text = spec.operator, spec.version
        if op == "!=":
            continue
        if text.endswith(".*"):  # ==1.2.* -> [1.2, 1.3)
            bound = Interval(Version(text[:-2] + ".dev0"), True, _next_release(Version(text[:-2]).release), False)
        else:
            version = parse_version("pypi", text)
            if version is None:
                return None
            if op in ("==", "==="):
                bound = point(version)
            elif op == "~=":  # ~=1.4.2 -> [1.4.2, 1.5)
                bound = Interval(version, True, _next_release(version.release[:-1] or version.release[:1]), False)
            elif op in (">", ">="):
                bound = Interval(version, op == ">=", None)
            else:
                bound = Interval(None, True, version, op == "<=")
        if not interval.overlaps(bound):
            return []
        low, low_in = _tighter(interval.low, interval.low_inclusive, bound.low, bound.low_inclusive, lower=True)
        high, high_in = _tighter(interval.high, interval.high_inclusive, bound.high, bound.high_inclusive, lower=False)
        interval = Interval(low, low_in, high, high_in)
    return [interval]


_COMPOSER_TILDE = re.compile(r"~\s*v?(\d+)\.(\d+)(?![.\d])")
_COMPOSER_FLAG = re.compile(r"@(dev|alpha|beta|rc|RC|stable)\b")


def _composer_as_npm(constraint: str) -> str:
    """Packagist syntax in npm's: ``|`` and ``||`` are OR, ``,`` is AND, and ``~1.2`` means ``>=1.2 <2``."""
    text = _COMPOSER_FLAG.sub("", constraint)
    text = _COMPOSER_TILDE.sub(lambda m: f">={m[1]}.{m[2]}.0 <{int(m[1]) + 1}.0.0", text)
    alternatives = [part.replace(",", " ") for part in re.split(r"\|\|?", text)]
    return " || ".join(re.sub(r"(?<![\w.])v(\d)", r"\1", a).strip() for a in alternatives)


def _cargo_as_npm(constraint: str) -> str:
    """Cargo syntax in npm's: a bare ``1.2`` is a caret requirement, ``,`` is AND."""
    parts = [p.strip() for p in constraint.split(",")]
    return " ".join("^" + p if p[:1].isdigit() else p for p in parts if p)


def _univers_allowed(range_class: Any, scheme: str, constraint: str) -> list[Interval] | None:
    try:
        parsed = range_class.from_native(constraint)
    except Exception:  # noqa: BLE001 - univers raises many types for text it cannot read
        return None
    pairs = []
    for item in parsed.constraints:
        if item.comparator == "*":
            return [Interval()]
        version = parse_version(scheme, str(item.version))
        if version is None:
            return None
        pairs.append((item.comparator, version))
    return _from_comparators(pairs)


_NPM_LIKE = {"npm": lambda c: c, "cargo": _cargo_as_npm, "composer": _composer_as_npm}
_UNIVERS_RANGES = {"gem": vr.GemVersionRange, "nuget": vr.NugetVersionRange, "maven": vr.MavenVersionRange}


@lru_cache(maxsize=50_000)
def allowed_intervals(ecosystem: str, constraint: str, scheme: str | None = None) -> tuple[Interval, ...] | None:
    """The versions a declared constraint allows, ordered by ``scheme`` (default: the
    ecosystem's own; ``SEMVER`` for an OSV SEMVER range); None when it names no version
    range (a path, a git reference, a tag such as ``latest``)."""
    text = constraint.strip()
    if not text or len(text) > 256:
        return None
    scheme = scheme or ecosystem
    found: list[Interval] | None
    if ecosystem == "pypi":
        found = _pypi_allowed(text) if scheme == "pypi" else None
    elif ecosystem in _NPM_LIKE:
        found = _univers_allowed(vr.NpmVersionRange, scheme, _NPM_LIKE[ecosystem](text))
    elif ecosystem in _UNIVERS_RANGES:
        found = _univers_allowed(_UNIVERS_RANGES[ecosystem], scheme, text)
    else:  # Go modules require exact versions: techspec records them as locked
        found = None
    return tuple(found) if found is not None else None
