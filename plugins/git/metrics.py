"""From a :class:`~.ledger.Ledger` to the report: ownership, truck factor,
coupling, hotspots, code age and timeline.

Everything here is a pure function of the ledger, the paths present at the
analysed commit and the options, so a result for a commit never depends on
when it was computed (ages are measured from the analysed commit's time).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from .ledger import AuthorKey, Bucket, FileTotals, Ledger
from .options import GitOptions
from .truckfactor import file_authors, truck_factor

#: Code age buckets: label -> upper bound in days (exclusive).
AGE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("0-1 months", 30),
    ("1-3 months", 91),
    ("3-6 months", 182),
    ("6-12 months", 365),
    ("1-2 years", 730),
    ("2+ years", float("inf")),
)


def iso(timestamp: int) -> str:
    """A UTC timestamp as ISO 8601."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat().replace("+00:00", "Z")


def author_id(key: AuthorKey) -> str:
    """How an author is named in the report: ``Name <email>``, like shortlog -sne."""
    return f"{key[0]} <{key[1]}>"


def ranked_contributors(totals: FileTotals) -> list[tuple[AuthorKey, list[int]]]:
    """Authors of a file, most added lines first (then most commits, then id)."""
    return sorted(totals.by_author.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))


def main_author(totals: FileTotals, ranked: list[tuple[AuthorKey, list[int]]]) -> tuple[AuthorKey, float]:
    """The author who added most lines, and their share of the added lines.

    Files with no added lines (binary only, or emptied) fall back to commits.
    """
    if totals.added > 0:
        key, counts = ranked[0]
        return key, counts[1] / totals.added
    key, counts = min(ranked, key=lambda item: (-item[1][0], item[0]))
    return key, counts[0] / max(1, totals.revisions)


def file_report(totals: FileTotals, reference: int, top_authors: int) -> dict[str, Any]:
    """One current file's history figures."""
    ranked = ranked_contributors(totals)
    owner, share = main_author(totals, ranked)
    return {
        "revisions": totals.revisions,
        "lines_added": totals.added,
        "lines_removed": totals.removed,
        "churn": totals.added + totals.removed,
        "binary_changes": totals.binary_changes,
        "author_count": len(totals.by_author),
        "main_author": author_id(owner),
        "ownership": round(share, 4),
        "created_by": author_id(totals.creator) if totals.creator else None,
        "first_changed_at": iso(totals.first),
        "last_changed_at": iso(totals.last),
        "age_days": max(0, (reference - totals.last) // 86400),
        "contributors": [
            {"author": author_id(key), "commits": c, "lines_added": a, "lines_removed": r}
            for key, (c, a, r) in ranked[:top_authors]
        ],
    }


def coupling(ledger: Ledger, current: Mapping[str, FileTotals], options: GitOptions) -> list[dict[str, Any]]:
    """Pairs of current files that change together (code-maat's sum-of-coupling rules)."""
    found = []
    for (a, b), shared in ledger.pairs.items():
        if shared < options.coupling_min_shared:
            continue
        ta, tb = current.get(a), current.get(b)
        if ta is None or tb is None:
            continue
        if min(ta.revisions, tb.revisions) < options.coupling_min_revisions:
            continue
        degree = 100.0 * shared / ((ta.revisions + tb.revisions) / 2)
        if degree < options.coupling_min_degree:
            continue
        found.append((-degree, -shared, a, b, ta.revisions, tb.revisions))
    found.sort()
    return [
        {"file_a": a, "file_b": b, "shared_commits": -shared, "revisions_a": ra, "revisions_b": rb, "degree": round(-degree, 2)}
        for degree, shared, a, b, ra, rb in found[: options.top_coupling]
    ]


def _ast_figure(ast_files: Mapping[str, Any], path: str, key: str) -> int | None:
    entry = ast_files.get(path)
    value = entry.get(key) if isinstance(entry, Mapping) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def hotspots(current: Mapping[str, FileTotals], ast_files: Mapping[str, Any] | None, limit: int) -> tuple[str, list[dict[str, Any]]]:
    """Files where change concentrates.

    Score = (revisions / most revisions) x (complexity / highest complexity)
    when the ast analyzer ran, else x (churn / highest churn); both in [0, 1].
    """
    if not current:
        return ("revisions*complexity" if ast_files is not None else "revisions*churn"), []
    max_rev = max(t.revisions for t in current.values()) or 1
    rows = []
    if ast_files is not None:
        complexity = {p: _ast_figure(ast_files, p, "complexity") for p in current}
        max_cx = max((c for c in complexity.values() if c), default=0) or 1
        for path, t in current.items():
            cx = complexity[path]
            score = (t.revisions / max_rev) * ((cx or 0) / max_cx)
            rows.append((path, score, t, cx, _ast_figure(ast_files, path, "loc")))
        basis = "revisions*complexity"
    else:
        max_churn = max(t.added + t.removed for t in current.values()) or 1
        for path, t in current.items():
            score = (t.revisions / max_rev) * ((t.added + t.removed) / max_churn)
            rows.append((path, score, t, None, None))
        basis = "revisions*churn"
    rows.sort(key=lambda row: (-row[1], -row[2].revisions, row[0]))
    return basis, [
        {"path": path, "score": round(score, 4), "revisions": t.revisions, "churn": t.added + t.removed, "complexity": cx, "loc": loc}
        for path, score, t, cx, loc in rows[:limit]
    ]


def code_age(ages: list[int], reference: int) -> dict[str, Any]:
    """How long ago current files last changed, as a median and buckets."""
    buckets = {label: 0 for label, _ in AGE_BUCKETS}
    for age in ages:
        for label, bound in AGE_BUCKETS:
            if age < bound:
                buckets[label] += 1
                break
    ordered = sorted(ages)
    return {
        "reference_at": iso(reference),
        "median_days": ordered[len(ordered) // 2] if ordered else None,
        "buckets": buckets,
    }


def timeline(buckets: Mapping[str, Bucket]) -> list[dict[str, Any]]:
    return [
        {"period": period, "commits": b.commits, "merges": b.merges, "lines_added": b.added,
         "lines_removed": b.removed, "authors": len(b.authors)}
        for period, b in sorted(buckets.items())
    ]


def authors_report(ledger: Ledger, limit: int) -> list[dict[str, Any]]:
    touched: dict[AuthorKey, int] = {}
    for totals in ledger.files.values():
        for key in totals.by_author:
            touched[key] = touched.get(key, 0) + 1
    ranked = sorted(ledger.authors.items(), key=lambda item: (-item[1].commits, item[0]))
    return [
        {
            "id": author_id(key), "name": key[0], "email": key[1], "commits": t.commits, "merges": t.merges,
            "lines_added": t.added, "lines_removed": t.removed, "files_touched": touched.get(key, 0),
            "first_commit_at": iso(t.first), "last_commit_at": iso(t.last), "identities": sorted(f"{name} <{email}>" for name, email in t.identities),
        }
        for key, t in ranked[:limit]
    ]


def contributor_set(ledger: Ledger) -> list[list[Any]]:
    """Every author as ``[email, name, commits]``: the complete identity set.

    One entry per e-mail address after the mailmap, lower-cased (two mapped
    names sharing an address are one contributor, with their commits summed
    and the name of the busier one), sorted by address. Unlike ``authors``
    it is never cut to ``top_authors``, so cross-repository correlation sees
    everyone; three fields per author keep it small.
    """
    merged: dict[str, list[Any]] = {}
    for (name, email), totals in sorted(ledger.authors.items(), key=lambda item: (-item[1].commits, item[0])):
        address = email.strip().lower()
        if not address:
            continue
        entry = merged.setdefault(address, [address, name, 0])
        entry[2] += totals.commits
    return [merged[address] for address in sorted(merged)]


def build_report(
    ledger: Ledger,
    current_paths: Iterable[str],
    reference: int,
    options: GitOptions,
    ast_files: Mapping[str, Any] | None,
) -> dict[str, Any]:
    """The analyzer's result (without ``mining``) from the ledger."""
    current = {path: ledger.files[path] for path in sorted(set(current_paths)) if path in ledger.files}
    files = {path: file_report(t, reference, options.top_file_authors) for path, t in current.items()}
    tf = truck_factor((file_authors(t.creator, t.by_author) for t in current.values()), order_key=lambda a: a)
    basis, spots = hotspots(current, ast_files, options.top_hotspots)
    firsts = [t.first for t in ledger.authors.values()]
    lasts = [t.last for t in ledger.authors.values()]
    return {
        "commits": ledger.commits,
        "merges": ledger.merges,
        "commits_filtered": ledger.filtered,
        "lines_added": sum(t.added for t in ledger.authors.values()),
        "lines_removed": sum(t.removed for t in ledger.authors.values()),
        "author_count": len(ledger.authors),
        "first_commit_at": iso(min(firsts)) if firsts else None,
        "last_commit_at": iso(max(lasts)) if lasts else None,
        "authors": authors_report(ledger, options.top_authors),
        "contributors": contributor_set(ledger),
        "files": files,
        "deleted_files": sum(1 for path in ledger.files if path not in current),
        "truck_factor": {
            "value": tf.value,
            "authors": [author_id(a) for a in tf.authors],
            "files_considered": tf.files,
            "method": "degree-of-authorship",
        },
        "coupling": coupling(ledger, current, options),
        "hotspots": spots,
        "hotspot_basis": basis,
        "code_age": code_age([f["age_days"] for f in files.values()], reference),
        "timeline": {"weeks": timeline(ledger.weeks), "months": timeline(ledger.months)},
    }
