"""Chart data of one repository analysis, aggregated from its results.

The dashboard's charts are drawn from these aggregates, which
:mod:`coe_framework.db.chart_aggregates` computes once per repository
analysis (when its results are stored, or on the first view of an analysis
stored before) and keeps in the database, so no page reads a whole result
document. Every chart is a small table, ``{"columns": [...], "rows": [...]}``, so the
page draws the chart and shows the same rows as a data table; a tree (the
treemap) also carries its nested ``tree``. The payload shapes are read
through :mod:`coe_framework.outputs.result_views` and tolerate missing parts: an
analyzer that did not run yields an empty table and a ``missing`` note.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from coe_framework.outputs import result_views as views

#: Radon's complexity ranks: the upper bound of each.
RANKS = (("A", 5), ("B", 10), ("C", 20), ("D", 30), ("E", 40), ("F", None))
#: Histogram bins of function complexity: (label, low, high inclusive; None is unbounded).
BINS = (("1", 1, 1), ("2", 2, 2), ("3", 3, 3), ("4", 4, 4), ("5", 5, 5), ("6-10", 6, 10), ("11-15", 11, 15),
        ("16-20", 16, 20), ("21-30", 21, 30), ("31-40", 31, 40), ("41+", 41, None))
#: Caps that keep every chart small however large the repository is.
MAX_POINTS = 2000
MAX_TREE_FILES = 3000
MAX_ROWS = 1000
#: An author whose last commit is older than this (before the newest commit) counts as no longer active.
INACTIVE_AFTER = timedelta(days=365)

Table = dict[str, Any]


def table(columns: Iterable[tuple[str, str]], rows: list[dict[str, Any]], **extra: Any) -> Table:
    """A chart's data: labelled columns and rows (the data table under the chart)."""
    return {"columns": [{"key": k, "label": label} for k, label in columns], "rows": rows, **extra}


def _missing(results: Mapping[str, Any], *analyzers: str) -> dict[str, str]:
    absent = [name for name in analyzers if name not in results]
    if not absent:
        return {}
    names = " and ".join(absent)
    return {"missing": f"the {names} analyzer{'s have' if len(absent) > 1 else ' has'} no result in this analysis"}


def hotspots(results: Mapping[str, Any]) -> Table:
    """Churn x complexity of every file both git and ast know, with the git hotspot score."""
    git_files = views.git_summary(results).get("files") or {}
    scores = {h["path"]: views.number(h.get("score")) for h in views.hotspots(results)}
    rows: list[dict[str, Any]] = []
    for path, info in views.ast_files(results).items():
        history = git_files.get(path)
        if not isinstance(history, Mapping):
            continue
        complexity = views.number(info.get("total_complexity", info.get("complexity")))
        churn = views.number(history.get("churn"))
        if complexity is None or churn is None:
            continue
        rows.append({"path": path, "churn": churn, "complexity": complexity, "revisions": views.number(history.get("revisions")),
                     "loc": views.number(info.get("loc")), "score": scores.get(path)})
    rows.sort(key=lambda r: (-(r["churn"] * r["complexity"]), r["path"]))
    return table((("path", "File"), ("churn", "Churn (lines)"), ("complexity", "Complexity"), ("revisions", "Revisions"),
                  ("loc", "Lines"), ("score", "Hotspot score")), rows[:MAX_POINTS], total=len(rows),
                 **_missing(results, "git", "ast"))


def file_tree(results: Mapping[str, Any]) -> Table:
    """The file tree sized by lines and coloured by hotspot score (largest files when capped)."""
    scores = {h["path"]: views.number(h.get("score")) or 0.0 for h in views.hotspots(results)}
    files = [(path, views.number(info.get("loc")) or 0.0) for path, info in views.ast_files(results).items()]
    files = sorted(files, key=lambda f: (-f[1], f[0]))[:MAX_TREE_FILES]
    root: dict[str, Any] = {"name": "/", "children": {}}
    for path, lines in sorted(files):
        node = root
        parts = path.split("/")
        for part in parts[:-1]:
            node = node["children"].setdefault(part, {"name": part, "children": {}})
        node["children"][parts[-1]] = {"name": parts[-1], "path": path, "value": lines, "score": scores.get(path, 0.0)}

    def plain(node: dict[str, Any]) -> dict[str, Any]:
        if "children" not in node:
            return node
        return {"name": node["name"], "children": [plain(child) for child in node["children"].values()]}

    rows = [{"path": p, "loc": lines, "score": scores.get(p, 0.0)} for p, lines in sorted(files)]
    return table((("path", "File"), ("loc", "Lines"), ("score", "Hotspot score")), rows,
                 tree=plain(root)["children"], **_missing(results, "ast"))


def _functions(results: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any], float]]:
    for path, info in views.ast_files(results).items():
        for symbol in views.symbols(info):
            if str(symbol.get("kind", "")).lower() == "class":
                continue  # a class's complexity is the sum of its methods'
            value = views.number(symbol.get("complexity"))
            if value is not None:
                yield path, symbol, value


def rank_of(complexity: float) -> str:
    """Radon's rank A-F of a cyclomatic complexity."""
    for rank, upper in RANKS:
        if upper is None or complexity <= upper:
            return rank
    return "F"


def complexity_histogram(results: Mapping[str, Any]) -> Table:
    """How many functions fall in each complexity bin."""
    counts: Counter[str] = Counter()
    for _path, _symbol, value in _functions(results):
        for label, low, high in BINS:
            if value >= low and (high is None or value <= high):
                counts[label] += 1
                break
    rows = [{"bin": label, "functions": counts.get(label, 0)} for label, _low, _high in BINS] if views.AST in results else []
    return table((("bin", "Complexity"), ("functions", "Functions")), rows, **_missing(results, "ast"))


def ranks(results: Mapping[str, Any]) -> Table:
    """Functions per rank A-F."""
    counts = Counter(rank_of(value) for _path, _symbol, value in _functions(results))
    rows = [{"rank": rank, "functions": counts.get(rank, 0)} for rank, _upper in RANKS] if views.AST in results else []
    return table((("rank", "Rank"), ("functions", "Functions")), rows, **_missing(results, "ast"))


def worst_functions(results: Mapping[str, Any], limit: int = 25) -> Table:
    """The most complex functions."""
    found = sorted(_functions(results), key=lambda item: (-item[2], item[0], str(item[1].get("qualified_name"))))[:limit]
    rows = [{"path": path, "function": s.get("qualified_name") or s.get("name"), "line": s.get("line_start"), "complexity": value,
             "rank": rank_of(value)} for path, s, value in found]
    return table((("function", "Function"), ("path", "File"), ("line", "Line"), ("complexity", "Complexity"), ("rank", "Rank")), rows,
                 **_missing(results, "ast"))


def _parse(moment: Any) -> datetime | None:
    if not isinstance(moment, str):
        return None
    try:
        return datetime.fromisoformat(moment.replace("Z", "+00:00"))
    except ValueError:
        return None


def _author_label(author_id: object) -> str:
    return author_id.split(" <", 1)[0] if isinstance(author_id, str) else str(author_id)


def ownership(results: Mapping[str, Any]) -> Table:
    """Main author of each top-level folder, and how many of its files have an inactive main author."""
    git = views.git_summary(results)
    files = found if isinstance(found := git.get("files"), Mapping) else {}
    newest = _parse(git.get("last_commit_at"))
    last_seen = {a.get("id"): _parse(a.get("last_commit_at")) for a in views.authors(results)}
    by_folder: dict[str, Counter[str]] = defaultdict(Counter)
    inactive: Counter[str] = Counter()
    for path, info in files.items():
        if not isinstance(info, Mapping) or not info.get("main_author"):
            continue
        folder = path.split("/", 1)[0] if "/" in path else "(root)"
        author = info["main_author"]
        by_folder[folder][author] += 1
        seen = last_seen.get(author)
        if newest is not None and seen is not None and newest - seen > INACTIVE_AFTER:
            inactive[folder] += 1
    rows = []
    for folder, owners in sorted(by_folder.items(), key=lambda item: (-sum(item[1].values()), item[0])):
        author, owned = owners.most_common(1)[0]
        total = sum(owners.values())
        rows.append({"folder": folder, "main_author": _author_label(author), "files": total, "owned": owned,
                     "share": round(owned / total, 3), "inactive_owner_files": inactive.get(folder, 0)})
    truck = views.truck_factor(results)
    return table((("folder", "Folder"), ("main_author", "Main author"), ("files", "Files"), ("owned", "Files owned"),
                  ("share", "Share"), ("inactive_owner_files", "Files whose owner left")), rows[:MAX_ROWS],
                 truck_factor=truck.get("value"), truck_authors=[_author_label(a) for a in truck.get("authors") or []],
                 **_missing(results, "git"))


def coupling(results: Mapping[str, Any]) -> Table:
    """Change-coupling pairs (the graph's links; its nodes are the files they name)."""
    rows = [{"file_a": c["file_a"], "file_b": c["file_b"], "shared_commits": views.number(c.get("shared_commits")),
             "degree": views.number(c.get("degree"))} for c in views.coupling(results)]
    nodes = sorted({r["file_a"] for r in rows} | {r["file_b"] for r in rows})
    return table((("file_a", "File"), ("file_b", "Changes with"), ("shared_commits", "Shared commits"), ("degree", "Degree (%)")),
                 rows[:MAX_ROWS], nodes=nodes, **_missing(results, "git"))


#: ``0-1 months``, ``2+ years``...: a bucket label's lower bound and unit.
_AGE_LABEL = re.compile(r"^\s*(\d+)\s*(?:-\s*\d+|\+)?\s*(day|week|month|year)s?\s*$")
_AGE_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}


def _age_order(label: str) -> tuple[int, float]:
    # Youngest first, whatever order the stored object's keys came back in (PostgreSQL's JSONB sorts them).
    found = _AGE_LABEL.match(label) if isinstance(label, str) else None
    return (0, int(found.group(1)) * _AGE_UNIT_DAYS[found.group(2)]) if found else (1, 0.0)


def code_age(results: Mapping[str, Any]) -> Table:
    """Files per age bucket (time since their last change), youngest first."""
    age = views.git_summary(results).get("code_age")
    buckets = found if isinstance(age, Mapping) and isinstance(found := age.get("buckets"), Mapping) else {}
    ordered = sorted(buckets.items(), key=lambda item: _age_order(item[0]))  # stable: unknown labels keep their order, last
    rows = [{"age": label, "files": count} for label, count in ordered]
    return table((("age", "Last changed"), ("files", "Files")), rows,
                 median_days=age.get("median_days") if isinstance(age, Mapping) else None, **_missing(results, "git"))


def activity(results: Mapping[str, Any], period: str = "months") -> Table:
    """Commits and active authors per month (``period="weeks"``: per ISO week)."""
    timeline = views.git_summary(results).get("timeline")
    buckets = timeline.get(period) if isinstance(timeline, Mapping) else None
    rows = [{"period": m.get("period"), "commits": m.get("commits", 0), "authors": m.get("authors", 0)}
            for m in buckets or [] if isinstance(m, Mapping) and m.get("period")]
    label = "Week" if period == "weeks" else "Month"
    return table((("period", label), ("commits", "Commits"), ("authors", "Authors")), rows, **_missing(results, "git"))


def weekly_activity(results: Mapping[str, Any]) -> Table:
    """Commits and active authors per week."""
    return activity(results, "weeks")


def languages(results: Mapping[str, Any]) -> Table:
    """Languages by bytes, largest first."""
    rows = [{"language": name, "bytes": views.number(info.get("bytes")), "files": views.number(info.get("files"))}
            for name, info in views.languages(results).items()]
    return table((("language", "Language"), ("bytes", "Bytes"), ("files", "Files")), rows, **_missing(results, "techspec"))


def dependencies(results: Mapping[str, Any]) -> Table:
    """Dependencies: declared constraint vs locked version, scope, manifest, license."""
    rows = [{"name": d.get("name"), "ecosystem": d.get("ecosystem"), "declared": d.get("constraint"), "locked": d.get("version"),
             "scope": d.get("scope"), "manifest": d.get("manifest"), "license": d.get("license"),
             "direct": "yes" if d.get("direct", True) else "no"}
            for d in sorted(views.dependencies(results), key=lambda d: (str(d.get("ecosystem")), str(d.get("name")), str(d.get("manifest"))))]
    return table((("name", "Name"), ("ecosystem", "Ecosystem"), ("declared", "Declared"), ("locked", "Locked"), ("scope", "Scope"),
                  ("manifest", "Manifest"), ("license", "License"), ("direct", "Direct")), rows[:MAX_ROWS], total=len(rows),
                 **_missing(results, "techspec"))


#: Every chart of the repository page, by the name its data endpoint takes.
REPOSITORY_CHARTS: dict[str, Callable[[Mapping[str, Any]], Table]] = {
    "hotspots": hotspots,
    "tree": file_tree,
    "complexity": complexity_histogram,
    "ranks": ranks,
    "functions": worst_functions,
    "ownership": ownership,
    "coupling": coupling,
    "age": code_age,
    "activity": activity,
    "activity-weeks": weekly_activity,
    "languages": languages,
    "dependencies": dependencies,
}


def key_figures(results: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The headline numbers at the top of the repository page."""
    git = views.git_summary(results)
    size = views.code_size(results)
    ast = found if isinstance(found := results.get("ast"), Mapping) else {}
    percentiles = spread if isinstance(spread := ast.get("complexity_percentiles"), Mapping) else {}
    truck = views.truck_factor(results)
    figures = [
        ("Commits", git.get("commits")),
        ("Authors", git.get("author_count")),
        ("Truck factor", truck.get("value")),
        ("Files analyzed", int(size["files"]) if size.get("files") else None),
        ("Lines of code", int(size["loc"]) if size.get("loc") else None),
        ("Functions", int(size["functions"]) if size.get("functions") else None),
        ("Mean complexity", round(percentiles["mean"], 2) if views.number(percentiles.get("mean")) is not None else None),
        ("p90 complexity", percentiles.get("p90")),
        ("Hotspots", len(views.hotspots(results)) if "git" in results else None),
        ("Dependencies", len(views.dependencies(results)) if "techspec" in results else None),
        ("License", views.repository_license(results)),
        ("Last commit", git.get("last_commit_at")),
    ]
    return [(label, value) for label, value in figures if value is not None]


def file_details(results: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    """One file: its metrics, functions, authors and coupling partners; None when no analyzer saw it."""
    code = views.ast_files(results).get(path)
    git_files = views.git_summary(results).get("files") or {}
    history = git_files.get(path) if isinstance(git_files, Mapping) else None
    if code is None and not isinstance(history, Mapping):
        return None
    code = code or {}
    history = history if isinstance(history, Mapping) else {}
    metrics = [(label, code.get(key)) for key, label in (
        ("language", "Language"), ("loc", "Lines"), ("sloc", "Source lines"), ("complexity", "Complexity"),
        ("max_complexity", "Highest function complexity"), ("maintainability", "Maintainability index"),
        ("functions", "Functions"), ("classes", "Classes"))]
    metrics += [(label, history.get(key)) for key, label in (
        ("revisions", "Revisions"), ("churn", "Churn (lines)"), ("author_count", "Authors"), ("first_changed_at", "First changed"),
        ("last_changed_at", "Last changed"), ("age_days", "Days since last change"))]
    if history.get("main_author"):
        metrics.append(("Main author", _author_label(history["main_author"])))
    functions = [{"function": s.get("qualified_name") or s.get("name"), "kind": s.get("kind"), "line": s.get("line_start"),
                  "complexity": views.number(s.get("complexity")),
                  "rank": rank_of(views.number(s.get("complexity")) or 0) if views.number(s.get("complexity")) is not None else None}
                 for s in views.symbols(code)]
    authors = [{"author": _author_label(c.get("author")), "commits": c.get("commits"), "lines_added": c.get("lines_added"),
                "lines_removed": c.get("lines_removed")} for c in history.get("contributors") or [] if isinstance(c, Mapping)]
    partners = [{"file": c["file_b"] if c["file_a"] == path else c["file_a"], "shared_commits": c.get("shared_commits"),
                 "degree": c.get("degree")} for c in views.coupling(results) if path in (c["file_a"], c["file_b"])]
    return {
        "path": path,
        "metrics": [(label, value) for label, value in metrics if value is not None],
        "functions": table((("function", "Function"), ("kind", "Kind"), ("line", "Line"), ("complexity", "Complexity"), ("rank", "Rank")),
                           functions),
        "authors": table((("author", "Author"), ("commits", "Commits"), ("lines_added", "Lines added"), ("lines_removed", "Lines removed")),
                         authors),
        "coupling": table((("file", "Changes with"), ("shared_commits", "Shared commits"), ("degree", "Degree (%)")), partners),
    }


