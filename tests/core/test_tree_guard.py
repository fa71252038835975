"""The tree check counts what ``git ls-tree -r -t`` would list, without listing it."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable

import pytest

from coe_framework.testing.gitrepo import GitRepo
from coe_framework.repository.tree_guard import TreeCaps, TreeTooLarge, check_tree
from tests.hostile.content_builders import deep_tree, git_bomb


def test_counts_match_a_full_listing(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={
        "a.py": "1\n", "src/b.py": "2\n", "src/pkg/c.py": "3\n", "src/pkg/d.py": "4\n",
        "docs/x/y/z.md": "5\n", "same1/f.txt": "s\n", "same2/f.txt": "s\n",  # one tree object, listed twice
    })
    listing = repo.git("ls-tree", "-r", "-t", "-z", "HEAD").split("\0")
    entries, depth = check_tree(repo.path, repo.head)
    assert entries == len([line for line in listing if line])
    assert depth == 4  # docs/x/y/z.md


def test_caps_are_applied_at_the_first_excess(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={f"f{i}.txt": f"{i}\n" for i in range(5)})
    assert check_tree(repo.path, repo.head, TreeCaps(max_entries=5)) == (5, 1)
    with pytest.raises(TreeTooLarge, match=r"more than 4 entries \(COE_MAX_TREE_ENTRIES\)"):
        check_tree(repo.path, repo.head, TreeCaps(max_entries=4))


def test_a_bomb_and_a_deep_tree_are_refused(tmp_path: Path) -> None:
    bomb, deep = tmp_path / "bomb", tmp_path / "deep"
    for path in (bomb, deep):
        subprocess.run(["git", "init", "-q", str(path)], check=True)
    with pytest.raises(TreeTooLarge, match="COE_MAX_TREE_ENTRIES"):
        check_tree(bomb, git_bomb(bomb))
    commit = deep_tree(deep, 30)
    assert check_tree(deep, commit) == (31, 31)  # 30 directories and the file
    with pytest.raises(TreeTooLarge, match=r"deeper than 20 levels \(COE_MAX_TREE_DEPTH\)"):
        check_tree(deep, commit, TreeCaps(max_depth=20))


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COE_MAX_TREE_ENTRIES", "10")
    monkeypatch.setenv("COE_MAX_TREE_DEPTH", "3")
    assert TreeCaps.from_environment() == TreeCaps(10, 3)
    monkeypatch.setenv("COE_MAX_TREE_DEPTH", "deep")
    with pytest.raises(ValueError, match="COE_MAX_TREE_DEPTH must be a whole number"):
        TreeCaps.from_environment()
