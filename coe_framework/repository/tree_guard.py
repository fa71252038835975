"""Checking a commit's tree before anything walks it.

A few kilobytes of objects can describe a tree of billions of paths: ten
trees, each holding the next one ten times ("a git bomb"). ``git ls-tree -r``
or a diff would expand all of it. Here every *distinct* tree object is read
once through one ``git cat-file --batch`` and its expanded size and depth are
computed bottom-up with memoization, stopping as soon as either passes its
cap. Time and memory are bounded by the number of distinct trees read, which
is itself bounded by the entry cap.

Settings: ``COE_MAX_TREE_ENTRIES`` (default 2,000,000 paths, trees included)
and ``COE_MAX_TREE_DEPTH`` (default 200 directory levels).
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import BadInput
from .gitutil import GitError, git_environment, git_process_options

DEFAULT_MAX_ENTRIES = 2_000_000
DEFAULT_MAX_DEPTH = 200
_TREE_MODE = b"40000"


class TreeTooLarge(BadInput, ValueError):
    """The commit's tree expands past a cap; ``str()`` is one line naming it.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


@dataclass(frozen=True)
class TreeCaps:
    """How far a commit's tree may expand."""

    max_entries: int = DEFAULT_MAX_ENTRIES
    max_depth: int = DEFAULT_MAX_DEPTH

    @classmethod
    def from_environment(cls) -> "TreeCaps":
        return cls(_int_setting("COE_MAX_TREE_ENTRIES", DEFAULT_MAX_ENTRIES), _int_setting("COE_MAX_TREE_DEPTH", DEFAULT_MAX_DEPTH))


def _int_setting(name: str, default: int) -> int:
    from ..settings import environ

    raw = environ().get(name, "").strip()
    if not raw:
        return default
    try:
        return max(1, int(raw))
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}") from None


class _TreeReader:
    """Raw tree objects through one ``git cat-file --batch`` (git's caps apply)."""

    def __init__(self, git_dir: str | Path):
        self.proc = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=git_dir, env=git_environment(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, **git_process_options(),
        )

    def read(self, name: bytes) -> tuple[bytes, bytes]:
        """``(type, content)`` of an object named by hex SHA or ``<commit>^{tree}``."""
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(name + b"\n")
        self.proc.stdin.flush()
        header = self.proc.stdout.readline()
        parts = header.split()
        if len(parts) != 3:
            raise GitError(f"cannot read object {name.decode('ascii', 'replace')}")
        size = int(parts[2])
        content = self.proc.stdout.read(size + 1)[:size]
        return parts[1], content

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()


def _subtrees(content: bytes) -> tuple[int, list[bytes]]:
    """Entry count of a raw tree object and the hex SHAs of its subtrees (repeats kept)."""
    count = 0
    subtrees: list[bytes] = []
    position, end = 0, len(content)
    while position < end:
        space = content.index(b" ", position)
        nul = content.index(b"\0", space)
        mode = content[position:space]
        sha = content[nul + 1:nul + 21]
        position = nul + 21
        count += 1
        if mode == _TREE_MODE:
            subtrees.append(sha.hex().encode())
    return count, subtrees


def check_tree(git_dir: str | Path, commit: str, caps: TreeCaps | None = None) -> tuple[int, int]:
    """``(entries, depth)`` of ``commit``'s fully expanded tree; raise :class:`TreeTooLarge` past a cap.

    Each distinct tree object is read once; its expansion is memoized, so a
    tree repeated a billion times costs one read.
    """
    caps = caps or TreeCaps.from_environment()
    reader = _TreeReader(git_dir)
    # sha -> (expanded entries below it, depth below it)
    sizes: dict[bytes, tuple[int, int]] = {}
    try:
        kind, content = reader.read(f"{commit}^{{tree}}".encode())
        if kind != b"tree":
            raise GitError(f"commit {commit[:12]} has no tree")
        root = b"<root>"
        # Iterative post-order walk over distinct trees; a frame is [sha, entries, subtrees, next subtree].
        count, children = _subtrees(content)
        stack: list[list[Any]] = [[root, count, children, 0]]
        while stack:
            frame = stack[-1]
            sha, count, children, index = frame
            while index < len(children) and children[index] in sizes:
                index += 1
            frame[3] = index
            if index < len(children):
                if len(stack) >= caps.max_depth:
                    raise TreeTooLarge(f"the tree of commit {commit[:12]} is deeper than {caps.max_depth} levels (COE_MAX_TREE_DEPTH)")
                kind, content = reader.read(children[index])
                if kind != b"tree":
                    raise GitError(f"tree entry {children[index].decode()} is a {kind.decode()}, not a tree")
                child_count, grandchildren = _subtrees(content)
                stack.append([children[index], child_count, grandchildren, 0])
                continue
            stack.pop()
            entries = count + sum(sizes[child][0] for child in children)
            depth = 1 + max((sizes[child][1] for child in children), default=0)
            if entries > caps.max_entries:
                raise TreeTooLarge(
                    f"the tree of commit {commit[:12]} expands to more than {caps.max_entries:,} entries (COE_MAX_TREE_ENTRIES)"
                )
            sizes[sha] = (entries, depth)
        return sizes[root]
    finally:
        reader.close()
