"""Read-only views of the built-in analyzers' results, tolerant of absent parts.

The overview document, the correlation, the Markdown report and the SARIF
export all read the ``git``, ``ast`` and ``techspec`` payloads; they do it
through these functions, so a missing analyzer (not selected, failed) or a
missing key simply yields nothing instead of an error, and the knowledge of
the payload shapes lives in one place.
"""
from __future__ import annotations

from typing import Any, Iterator, Mapping

GIT, AST, TECHSPEC = "git", "ast", "techspec"


def _payload(results: Mapping[str, Any], analyzer: str) -> Mapping[str, Any]:
    data = results.get(analyzer)
    return data if isinstance(data, Mapping) else {}


def _list(value: Any) -> list[Any]:
    # ``type(...) is dict`` first: a stored document holds plain dicts, and the ABC check costs ten times more.
    return [item for item in value if type(item) is dict or isinstance(item, Mapping)] if isinstance(value, list) else []


def number(value: Any) -> float | None:
    """``value`` as a float when it is a real number (never a bool), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


# --- ast -------------------------------------------------------------------------


def ast_files(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Per-file ast results by path (files that failed to parse included)."""
    files = _payload(results, AST).get("files")
    if not isinstance(files, Mapping):
        return {}
    return {path: info for path, info in files.items() if isinstance(info, Mapping)}


def symbols(file_info: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The symbols of one ast file result."""
    return _list(file_info.get("symbols"))


def _function_complexity(symbol: Mapping[str, Any]) -> float | None:
    # A class's complexity is the sum of its methods', so counting it too would count each method twice.
    if str(symbol.get("kind", "")).lower() == "class":
        return None
    return number(symbol.get("complexity"))


def complex_symbols(results: Mapping[str, Any], threshold: float) -> Iterator[tuple[str, Mapping[str, Any], float]]:
    """``(path, symbol, complexity)`` for every symbol whose complexity exceeds ``threshold``.

    Classes are left out: their complexity is the sum of their methods', so
    reporting them would count each method twice.
    """
    for path, info in sorted(ast_files(results).items()):
        for symbol in symbols(info):
            value = _function_complexity(symbol)
            if value is not None and value > threshold:
                yield path, symbol, value


def code_size(results: Mapping[str, Any]) -> dict[str, float]:
    """Totals over ast files: files, loc, sloc, functions, mean complexity and maintainability."""
    files = ast_files(results)
    totals = {"files": float(len(files)), "loc": 0.0, "sloc": 0.0, "functions": 0.0}
    maintainability = []
    complexity = []
    for info in files.values():
        for key in ("loc", "sloc"):
            totals[key] += number(info.get(key)) or 0.0
        functions = info.get("functions")
        totals["functions"] += len(functions) if isinstance(functions, list) else number(functions) or 0.0
        if number(info.get("maintainability")) is not None:
            maintainability.append(float(info["maintainability"]))
        for symbol in symbols(info):
            value = _function_complexity(symbol)
            if value is not None:
                complexity.append(value)
    if maintainability:
        totals["maintainability"] = sum(maintainability) / len(maintainability)
    if complexity:
        totals["mean_complexity"] = sum(complexity) / len(complexity)
    return totals


# --- techspec ----------------------------------------------------------------------


def languages(results: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """Languages by name with ``bytes``, ``files`` and shares, largest first."""
    found = _payload(results, TECHSPEC).get("languages")
    if not isinstance(found, Mapping):
        return {}
    rows = [(name, info) for name, info in found.items() if isinstance(info, Mapping)]
    rows.sort(key=lambda item: (-(number(item[1].get("bytes")) or 0.0), item[0]))
    return dict(rows)


def dependencies(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every dependency record (``ecosystem``, ``name``, ``constraint``, ``version``, ...)."""
    return [d for d in _list(_payload(results, TECHSPEC).get("dependencies")) if d.get("name") and d.get("ecosystem")]


def direct_dependencies(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The dependencies the repository declares itself (a record without ``direct`` counts as direct)."""
    return [d for d in dependencies(results) if d.get("direct", True)]


def frameworks(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Frameworks and tools detected (``name``, ``category``, ``evidence``)."""
    return [f for f in _list(_payload(results, TECHSPEC).get("frameworks")) if f.get("name")]


def runtimes(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Runtime versions the repository asks for (``name``, ``version``, ``source``)."""
    return _list(_payload(results, TECHSPEC).get("runtimes"))


def repository_license(results: Mapping[str, Any]) -> str | None:
    """The repository's own license as an SPDX expression, if known."""
    licenses = _payload(results, TECHSPEC).get("licenses")
    value = licenses.get("repository") if isinstance(licenses, Mapping) else None
    return value if isinstance(value, str) and value else None


# --- git ---------------------------------------------------------------------------


def git_summary(results: Mapping[str, Any]) -> Mapping[str, Any]:
    """The whole git payload (empty when the git analyzer did not run)."""
    return _payload(results, GIT)


def authors(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Authors as mapped by .mailmap (``name``, ``email``, ``commits``, lines), most commits first."""
    rows = [a for a in _list(git_summary(results).get("authors")) if a.get("email") or a.get("name")]
    return sorted(rows, key=lambda a: (-(number(a.get("commits")) or 0.0), str(a.get("name", ""))))


def contributors(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every contributor (``email`` lower-cased, ``name``, ``commits``), one per e-mail address.

    From the git result's complete ``contributors`` set; a result stored
    before that set existed falls back to its (possibly truncated) ``authors``.
    """
    found: dict[str, dict[str, Any]] = {}
    rows = git_summary(results).get("contributors")
    if isinstance(rows, list):
        for row in rows:
            if isinstance(row, (list, tuple)) and len(row) == 3 and isinstance(row[0], str):
                _add_contributor(found, row[0], row[1], row[2])
        return list(found.values())
    for author in authors(results):
        _add_contributor(found, author.get("email"), author.get("name"), author.get("commits"))
    return list(found.values())


def _add_contributor(found: dict[str, dict[str, Any]], email: Any, name: Any, commits: Any) -> None:
    address = str(email or "").strip().lower()
    if not address:
        return
    entry = found.setdefault(address, {"name": name if isinstance(name, str) else None, "email": address, "commits": 0})
    entry["commits"] += int(number(commits) or 0)


def hotspots(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Hotspots as the git analyzer ranked them."""
    return [h for h in _list(git_summary(results).get("hotspots")) if h.get("path")]


def coupling(results: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Change-coupling pairs (``file_a``, ``file_b``, ``shared_commits``, ``degree``)."""
    return [c for c in _list(git_summary(results).get("coupling")) if c.get("file_a") and c.get("file_b")]


def truck_factor(results: Mapping[str, Any]) -> Mapping[str, Any]:
    """``{"value", "authors", ...}`` or empty."""
    value = git_summary(results).get("truck_factor")
    return value if isinstance(value, Mapping) else {}


def percent(share: Any) -> str:
    """A 0..1 share as a whole percentage (``0.625`` -> ``62%``); ``?`` if unknown."""
    value = number(share)
    return "?" if value is None else f"{value * 100:.0f}%"
