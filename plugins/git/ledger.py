"""The mergeable facts of a history: what the report is computed from.

A :class:`Ledger` takes commits newest first (git log's order). Renames are
folded as they are met: a change to a path is booked under the name that path
has at the newest commit mined, through ``aliases`` (historical path -> current
name, one level, always already resolved). Walking newest first makes a path
that is reused after a rename (``a`` renamed to ``b``, a new ``a`` created
later) come out right.

Every figure is a sum, a minimum, a maximum or a set union, so a ledger of
``old..new`` merged with the ledger of ``old`` (:meth:`Ledger.merge_older`)
equals the ledger of a full walk of ``new``. That is what makes incremental
mining exact. :meth:`Ledger.to_state` / :meth:`Ledger.from_state` give its
compact JSON form (paths and authors interned as indexes).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import combinations
from typing import Any, Iterable

from .logparse import Commit, FileChange

AuthorKey = tuple[str, str]  # (name, email) as mapped by .mailmap
STATE_FORMAT = 1
#: Raw identities remembered per author (enough to show what .mailmap merged).
MAX_IDENTITIES = 20


@dataclass(slots=True)
class AuthorTotals:
    """One author's activity."""

    commits: int = 0
    merges: int = 0
    added: int = 0
    removed: int = 0
    first: int = 0
    last: int = 0
    #: Raw (name, email) pairs seen before the mailmap merged them.
    identities: set[tuple[str, str]] = field(default_factory=set)


@dataclass(slots=True)
class FileTotals:
    """One file's history, under its current name."""

    revisions: int = 0
    added: int = 0
    removed: int = 0
    binary_changes: int = 0
    first: int = 0
    last: int = 0
    #: Author of the earliest change (the file's creator for degree of authorship).
    creator: AuthorKey | None = None
    #: author -> [commits, added, removed]
    by_author: dict[AuthorKey, list[int]] = field(default_factory=dict)


@dataclass(slots=True)
class Bucket:
    """Activity in one week or month."""

    commits: int = 0
    merges: int = 0
    added: int = 0
    removed: int = 0
    authors: set[AuthorKey] = field(default_factory=set)


@dataclass(frozen=True)
class Filters:
    """Which commits count: a reporting window and an optional bot filter."""

    since: int | None = None
    until: int | None = None
    bots: re.Pattern[str] | None = None
    max_changeset: int = 30

    @property
    def active(self) -> bool:
        """True when some commits may be left out."""
        return self.since is not None or self.until is not None or self.bots is not None

    def counts(self, commit: Commit) -> bool:
        t = commit.author_time
        if self.since is not None and t < self.since:
            return False
        if self.until is not None and t >= self.until:
            return False
        if self.bots is not None and (self.bots.search(commit.author_name) or self.bots.search(commit.author_email)):
            return False
        return True


def period_keys(timestamp: int) -> tuple[str, str]:
    """ISO week (``2024-W01``) and month (``2024-01``) of a UTC timestamp."""
    day = datetime.fromtimestamp(timestamp, timezone.utc)
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}", f"{day.year}-{day.month:02d}"


class Ledger:
    """Aggregates of a commit range, mergeable with those of an older range."""

    def __init__(self, filters: Filters | None = None) -> None:
        self.filters = filters or Filters()
        self.commits = 0
        self.merges = 0
        self.filtered = 0
        self.authors: dict[AuthorKey, AuthorTotals] = {}
        self.files: dict[str, FileTotals] = {}
        self.pairs: dict[tuple[str, str], int] = {}
        self.weeks: dict[str, Bucket] = {}
        self.months: dict[str, Bucket] = {}
        self.aliases: dict[str, str] = {}
        self._periods: dict[int, tuple[str, str]] = {}
        self._filtering = self.filters.active

    # -- adding commits (newest first) --------------------------------------

    def add(self, commit: Commit) -> None:
        """Book one commit; commits must come newest first."""
        aliases = self.aliases
        if self._filtering and not self.filters.counts(commit):
            self.filtered += 1
            self._fold_renames(commit.changes)
            return
        key = (commit.author_name, commit.author_email)
        when = commit.author_time
        added_total = removed_total = 0
        touched: dict[str, list[int]] = {}
        renames = None
        for change in commit.changes:
            path = aliases.get(change.path, change.path)
            if change.old_path is not None:
                renames = [change] if renames is None else [*renames, change]
            entry = touched.get(path)
            if entry is None:
                touched[path] = [change.added, change.removed, change.binary]
            else:
                entry[0] += change.added
                entry[1] += change.removed
                entry[2] |= change.binary
            added_total += change.added
            removed_total += change.removed
        if renames is not None:
            self._fold_renames(renames)

        is_merge = len(commit.parents) > 1
        self.commits += 1
        self.merges += is_merge
        author = self.authors.get(key)
        if author is None:
            author = self.authors[key] = AuthorTotals(first=when, last=when)
        author.commits += 1
        author.merges += is_merge
        author.added += added_total
        author.removed += removed_total
        if when < author.first:
            author.first = when
        if when > author.last:
            author.last = when
        if len(author.identities) < MAX_IDENTITIES:
            author.identities.add((commit.author_name_raw, commit.author_email_raw))

        day = when // 86400
        periods = self._periods.get(day)
        if periods is None:
            periods = self._periods[day] = period_keys(when)
        for buckets, period in ((self.weeks, periods[0]), (self.months, periods[1])):
            bucket = buckets.get(period)
            if bucket is None:
                bucket = buckets[period] = Bucket()
            bucket.commits += 1
            bucket.merges += is_merge
            bucket.added += added_total
            bucket.removed += removed_total
            bucket.authors.add(key)

        files = self.files
        for path, (added, removed, binary) in touched.items():
            totals = files.get(path)
            if totals is None:
                totals = files[path] = FileTotals(first=when, last=when)
            totals.revisions += 1
            totals.added += added
            totals.removed += removed
            totals.binary_changes += binary
            if when <= totals.first:  # earliest change; on a tie the older in log order
                totals.first = when
                totals.creator = key
            if when > totals.last:
                totals.last = when
            mine = totals.by_author.get(key)
            if mine is None:
                totals.by_author[key] = [1, added, removed]
            else:
                mine[0] += 1
                mine[1] += added
                mine[2] += removed
        if 2 <= len(touched) <= self.filters.max_changeset:
            pairs = self.pairs
            for pair in combinations(sorted(touched), 2):
                pairs[pair] = pairs.get(pair, 0) + 1

    def _fold_renames(self, changes: Iterable[FileChange]) -> None:
        """After a rename, older changes to the old path belong to the new name."""
        aliases = self.aliases
        for change in changes:
            old = change.old_path
            if old is None:
                continue
            target = aliases.get(change.path, change.path)
            if target == old:
                aliases.pop(old, None)
            else:
                aliases[old] = target

    def add_all(self, commits: Iterable[Commit]) -> None:
        for commit in commits:
            self.add(commit)

    # -- merging with an older ledger ----------------------------------------

    def merge_older(self, older: "Ledger") -> None:
        """Fold in the ledger of the history just before this one's oldest commit."""
        resolve = self.aliases.get
        self.commits += older.commits
        self.merges += older.merges
        self.filtered += older.filtered
        for key, theirs in older.authors.items():
            mine = self.authors.get(key)
            if mine is None:
                self.authors[key] = AuthorTotals(
                    theirs.commits, theirs.merges, theirs.added, theirs.removed,
                    theirs.first, theirs.last, set(theirs.identities),
                )
                continue
            mine.commits += theirs.commits
            mine.merges += theirs.merges
            mine.added += theirs.added
            mine.removed += theirs.removed
            mine.first = min(mine.first, theirs.first)
            mine.last = max(mine.last, theirs.last)
            room = MAX_IDENTITIES - len(mine.identities)
            if room > 0:
                mine.identities.update(sorted(theirs.identities - mine.identities)[:room])
        for path, theirs in older.files.items():
            name = resolve(path, path)
            mine = self.files.get(name)
            if mine is None:
                mine = self.files[name] = FileTotals(first=theirs.first, last=theirs.last, creator=theirs.creator)
            else:
                if theirs.first <= mine.first:  # older history wins a tie, as in one walk
                    mine.first, mine.creator = theirs.first, theirs.creator
                mine.last = max(mine.last, theirs.last)
            mine.revisions += theirs.revisions
            mine.added += theirs.added
            mine.removed += theirs.removed
            mine.binary_changes += theirs.binary_changes
            for key, (commits, added, removed) in theirs.by_author.items():
                counts = mine.by_author.setdefault(key, [0, 0, 0])
                counts[0] += commits
                counts[1] += added
                counts[2] += removed
        for (a, b), shared in older.pairs.items():
            a, b = resolve(a, a), resolve(b, b)
            if a == b:
                continue
            pair = (a, b) if a < b else (b, a)
            self.pairs[pair] = self.pairs.get(pair, 0) + shared
        for mine_buckets, their_buckets in ((self.weeks, older.weeks), (self.months, older.months)):
            for period, theirs in their_buckets.items():
                bucket = mine_buckets.setdefault(period, Bucket())
                bucket.commits += theirs.commits
                bucket.merges += theirs.merges
                bucket.added += theirs.added
                bucket.removed += theirs.removed
                bucket.authors |= theirs.authors
        merged = dict(self.aliases)
        for old, target in older.aliases.items():
            target = resolve(target, target)
            if target == old:
                merged.pop(old, None)
            else:
                merged[old] = target
        self.aliases = merged

    # -- state ---------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """Compact JSON form: authors and paths interned as list indexes."""
        author_keys = sorted(self.authors)
        author_index = {key: i for i, key in enumerate(author_keys)}
        paths = sorted(self.files)
        path_index = {path: i for i, path in enumerate(paths)}
        for pair in self.pairs:
            for path in pair:
                if path not in path_index:
                    path_index[path] = len(paths)
                    paths.append(path)

        def bucket_rows(buckets: dict[str, Bucket]) -> dict[str, list[Any]]:
            return {
                period: [b.commits, b.merges, b.added, b.removed, sorted(author_index[a] for a in b.authors)]
                for period, b in sorted(buckets.items())
            }

        return {
            "format": STATE_FORMAT,
            "commits": self.commits,
            "merges": self.merges,
            "filtered": self.filtered,
            "authors": [
                [name, email, t.commits, t.merges, t.added, t.removed, t.first, t.last, [list(i) for i in sorted(t.identities)]]
                for (name, email), t in ((k, self.authors[k]) for k in author_keys)
            ],
            "paths": paths,
            "files": [
                [
                    path_index[path], t.revisions, t.added, t.removed, t.binary_changes, t.first, t.last,
                    -1 if t.creator is None else author_index[t.creator],
                    [value for key, counts in sorted(t.by_author.items()) for value in (author_index[key], *counts)],
                ]
                for path, t in sorted(self.files.items())
            ],
            "pairs": sorted([path_index[a], path_index[b], n] for (a, b), n in self.pairs.items()),
            "weeks": bucket_rows(self.weeks),
            "months": bucket_rows(self.months),
            "aliases": dict(sorted(self.aliases.items())),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], filters: Filters | None = None) -> "Ledger":
        """Rebuild a ledger from :meth:`to_state` output; raises on a malformed state."""
        if state.get("format") != STATE_FORMAT:
            raise ValueError("state format changed")
        ledger = cls(filters)
        ledger.commits, ledger.merges, ledger.filtered = int(state["commits"]), int(state["merges"]), int(state["filtered"])
        keys: list[AuthorKey] = []
        for name, email, commits, merges, added, removed, first, last, identities in state["authors"]:
            key = (str(name), str(email))
            keys.append(key)
            ledger.authors[key] = AuthorTotals(commits, merges, added, removed, first, last, {(str(n), str(e)) for n, e in identities})
        paths: list[str] = [str(p) for p in state["paths"]]
        for index, revisions, added, removed, binary, first, last, creator, flat in state["files"]:
            by_author = {keys[flat[i]]: [flat[i + 1], flat[i + 2], flat[i + 3]] for i in range(0, len(flat), 4)}
            ledger.files[paths[index]] = FileTotals(
                revisions, added, removed, binary, first, last, None if creator < 0 else keys[creator], by_author
            )
        ledger.pairs = {(paths[a], paths[b]): n for a, b, n in state["pairs"]}
        for name in ("weeks", "months"):
            buckets: dict[str, Bucket] = getattr(ledger, name)
            for period, (commits, merges, added, removed, authors) in state[name].items():
                buckets[period] = Bucket(commits, merges, added, removed, {keys[i] for i in authors})
        ledger.aliases = {str(k): str(v) for k, v in state["aliases"].items()}
        return ledger
