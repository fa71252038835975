"""Figures cross-checked against git itself on a generated history."""
from __future__ import annotations

import random
import re
from typing import Any

import pytest

from .helpers import GitRun, entry_point_manager

PEOPLE = [("Ann Example", "ann@example.com"), ("Ben Example", "ben@example.com"), ("Cat Example", "cat@example.com")]
#: Second identities, merged by the .mailmap written in the first commit.
ALIASES = [("ann", "ann@old.example.com"), ("B. Example", "ben@laptop.local")]
MAILMAP = "Ann Example <ann@example.com> <ann@old.example.com>\nBen Example <ben@example.com> <ben@laptop.local>\n"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """A seeded history: edits, adds, deletes, renames, binaries, merges, aliases."""
    from coe_framework.testing.gitrepo import init_repo

    rng = random.Random(4)
    repo = init_repo(tmp_path_factory.mktemp("cross") / "repo", files={".mailmap": MAILMAP, "f0.txt": "seed\n"})
    names = ["f0.txt"]
    for i in range(60):
        who = rng.choice(PEOPLE + ALIASES)
        roll = rng.random()
        if roll < 0.1 and len(names) > 2:
            old = names.pop(rng.randrange(len(names)))
            names.append(f"moved/{i}.txt")
            repo.rename(old, names[-1], author=who)
        elif roll < 0.15 and len(names) > 2:
            repo.commit({names.pop(rng.randrange(len(names))): None}, author=who)
        elif roll < 0.25:
            branch = f"b{i}"
            repo.checkout(branch, create=True)
            repo.commit({f"side{i}.txt": "".join(f"side {i} {k}\n" for k in range(rng.randint(1, 9)))}, author=who)
            repo.checkout("main")
            repo.commit({names[0]: f"main {i}\n"}, author=rng.choice(PEOPLE))
            repo.merge(branch, author=rng.choice(PEOPLE))
            names.append(f"side{i}.txt")
        elif roll < 0.3:
            repo.commit({f"blob{i}.bin": bytes([0, i, 255])}, author=who)
        else:
            new = f"f{i}.txt" if rng.random() < 0.3 else rng.choice(names)
            if new not in names:
                names.append(new)
            repo.commit({new: "".join(f"{i} {k}\n" for k in range(rng.randint(0, 12)))}, author=who)
    return repo


@pytest.fixture(scope="module")
def result(generated: Any) -> dict[str, Any]:
    run = GitRun(entry_point_manager, generated)
    try:
        return run.data()
    finally:
        run.close()


def test_commit_and_merge_counts_equal_rev_list(generated: Any, result: dict[str, Any]) -> None:
    assert result["commits"] == int(generated.git("rev-list", "--count", "HEAD"))
    assert result["merges"] == int(generated.git("rev-list", "--count", "--merges", "HEAD"))
    assert result["merges"] > 0


def test_commits_per_author_equal_shortlog_with_mailmap(generated: Any, result: dict[str, Any]) -> None:
    shortlog = {}
    for line in generated.git("shortlog", "-sne", "HEAD").splitlines():
        count, who = re.match(r"\s*(\d+)\t(.*)", line).groups()
        shortlog[who] = int(count)
    assert {a["id"]: a["commits"] for a in result["authors"]} == shortlog
    assert not any(email in who for who in shortlog for _, email in ALIASES)  # aliases merged


def test_total_lines_equal_summed_numstat(generated: Any, result: dict[str, Any]) -> None:
    added = removed = 0
    for line in generated.git("log", "--numstat", "-M", "--format=", "HEAD").splitlines():
        if line.strip():
            a, r, _ = line.split("\t", 2)
            added += 0 if a == "-" else int(a)
            removed += 0 if r == "-" else int(r)
    assert (result["lines_added"], result["lines_removed"]) == (added, removed)
    assert sum(a["lines_added"] for a in result["authors"]) == added


def test_files_equal_the_tree_and_revisions_follow_renames(generated: Any, result: dict[str, Any]) -> None:
    tree = set(generated.git("ls-files").split())
    assert set(result["files"]) == tree
    for path in tree:
        follow = generated.git("log", "--follow", "--format=%H", "--", path).split()
        assert result["files"][path]["revisions"] == len(follow), path
