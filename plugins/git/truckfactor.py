"""Repository truck factor from degree of authorship (no blame needed).

The degree-of-authorship model (Fritz et al., as used by Avelino et al. for
truck factors) scores an author's knowledge of a file from three history facts:
whether they created it (FA), how many changes they made (DL) and how many
changes others made (AC)::

    DOA = 3.293 + 1.098 * FA + 0.164 * DL - 0.321 * ln(1 + AC)

An author *authors* a file when their DOA is at least 3.293 and at least 75% of
the file's highest DOA. The truck factor is the smallest number of top authors
whose departure leaves more than half of the files without any author,
removing at each step the author of the most files.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Hashable, Iterable, Mapping, Sequence, TypeVar

A = TypeVar("A", bound=Hashable)

DOA_BASE = 3.293
DOA_FIRST_AUTHORSHIP = 1.098
DOA_DELIVERIES = 0.164
DOA_ACCEPTANCES = 0.321
NORMALIZED_THRESHOLD = 0.75
ORPHAN_SHARE = 0.5


def degree_of_authorship(created: bool, own_changes: int, others_changes: int) -> float:
    """The absolute DOA of one author on one file."""
    return (
        DOA_BASE
        + DOA_FIRST_AUTHORSHIP * created
        + DOA_DELIVERIES * own_changes
        - DOA_ACCEPTANCES * math.log1p(others_changes)
    )


def file_authors(creator: A | None, changes: Mapping[A, Sequence[int]]) -> list[A]:
    """Who authors a file, given its creator and per author ``[changes, ...]``."""
    total = 0
    for counts in changes.values():
        total += counts[0]
    log1p = math.log1p
    scores = [
        (a, DOA_BASE + DOA_FIRST_AUTHORSHIP * (a == creator) + DOA_DELIVERIES * counts[0] - DOA_ACCEPTANCES * log1p(total - counts[0]))
        for a, counts in changes.items()
    ]
    if not scores:
        return []
    best = max(score for _, score in scores)
    if best <= 0:
        return []
    return [a for a, score in scores if score >= DOA_BASE and score / best > NORMALIZED_THRESHOLD]


@dataclass(frozen=True)
class TruckFactor:
    """The truck factor, the authors that make it up, and the files considered."""

    value: int
    authors: list
    files: int


def truck_factor(authorship: Iterable[list[A]], order_key=repr) -> TruckFactor:
    """Greedy truck factor over ``authorship``: one list of authors per file.

    Ties between authors with as many files break on ``order_key`` so the
    result is deterministic.
    """
    file_sets = [set(authors) for authors in authorship]
    total = len(file_sets)
    if total == 0:
        return TruckFactor(0, [], 0)
    counts: dict[A, int] = {}
    for authors in file_sets:
        for author in authors:
            counts[author] = counts.get(author, 0) + 1
    removed: list[A] = []
    covered = sum(1 for authors in file_sets if authors)
    while covered / total > ORPHAN_SHARE and counts:
        top = min(counts, key=lambda a: (-counts[a], order_key(a)))
        removed.append(top)
        del counts[top]
        covered = 0
        for authors in file_sets:
            authors.discard(top)
            if authors:
                covered += 1
    return TruckFactor(len(removed), removed, total)
