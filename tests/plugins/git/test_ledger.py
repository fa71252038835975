"""The ledger: rename folding, merging an older ledger, state round trips."""
from __future__ import annotations

import json
import random

import pytest

from coe_plugins.git.ledger import Filters, Ledger
from coe_plugins.git.logparse import Commit, FileChange

NAMES = ["a", "b", "c", "d", "e", "f"]


def commit(sha: str, when: int, author: str, *changes: FileChange, parents: tuple[str, ...] = ("p",)) -> Commit:
    return Commit(sha, parents, author, f"{author}@x", author, f"{author}@x", when, author, f"{author}@x", author, f"{author}@x", when, list(changes))


def random_history(seed: int, length: int = 60) -> list[Commit]:
    """Oldest first: adds, edits, renames (including back and onto reused names), merges."""
    rng = random.Random(seed)
    alive: set[str] = set()
    history = []
    for i in range(length):
        when = 1_700_000_000 + i * 3600 * rng.randint(1, 50)
        author = rng.choice(["ann", "ben", "cat"])
        roll = rng.random()
        if roll < 0.1 and len(history) > 1:
            history.append(commit(f"m{i}", when, author, parents=("x", "y")))
            continue
        if roll < 0.3 and alive:
            old = rng.choice(sorted(alive))
            new = rng.choice([n for n in NAMES if n not in alive] or [old])
            if new != old:
                alive.discard(old)
                alive.add(new)
                history.append(commit(f"r{i}", when, author, FileChange(new, rng.randint(0, 2), 0, False, old)))
                continue
        touched = rng.sample(NAMES, rng.randint(1, 3))
        alive.update(touched)
        history.append(commit(f"c{i}", when, author, *(FileChange(p, rng.randint(0, 9), rng.randint(0, 4), rng.random() < 0.1) for p in touched)))
    return history


def ledger_of(newest_first: list[Commit], filters: Filters | None = None) -> Ledger:
    ledger = Ledger(filters)
    ledger.add_all(newest_first)
    return ledger


@pytest.mark.parametrize("seed", range(25))
def test_merging_an_older_ledger_equals_one_walk(seed: int) -> None:
    history = random_history(seed)
    newest_first = history[::-1]
    split = random.Random(seed).randrange(1, len(history))
    filters = Filters(since=1_700_000_000 + 3600 * 200, max_changeset=2)
    full = ledger_of(newest_first, filters)
    newer = ledger_of(newest_first[:split], filters)
    older = ledger_of(newest_first[split:], filters)
    newer.merge_older(Ledger.from_state(json.loads(json.dumps(older.to_state())), filters))
    assert newer.to_state() == full.to_state()


def test_rename_and_rename_back() -> None:
    history = [
        commit("1", 1, "ann", FileChange("a", 3, 0)),
        commit("2", 2, "ben", FileChange("b", 0, 0, False, "a")),
        commit("3", 3, "ben", FileChange("b", 1, 0)),
        commit("4", 4, "cat", FileChange("a", 0, 0, False, "b")),
    ]
    ledger = ledger_of(history[::-1])
    assert list(ledger.files) == ["a"]
    assert ledger.files["a"].revisions == 4 and ledger.files["a"].creator == ("ann", "ann@x")
    assert ledger.aliases == {"b": "a"}


def test_state_round_trip_is_exact() -> None:
    ledger = ledger_of(random_history(7)[::-1])
    state = ledger.to_state()
    assert Ledger.from_state(json.loads(json.dumps(state))).to_state() == state


def test_malformed_state_is_refused() -> None:
    with pytest.raises((KeyError, ValueError, TypeError)):
        Ledger.from_state({"format": 1, "commits": 1})
    with pytest.raises(ValueError):
        Ledger.from_state({"format": 999})


def test_changesets_above_the_limit_are_left_out_of_coupling() -> None:
    big = commit("1", 1, "ann", *(FileChange(n, 1, 0) for n in NAMES))
    assert ledger_of([big], Filters(max_changeset=5)).pairs == {}
    assert len(ledger_of([big], Filters(max_changeset=6)).pairs) == 15
