"""Build a large, deterministic Git history quickly with ``git fast-import``.

The history has what the git analyzer must handle: many authors (some under
two identities merged by a .mailmap), files added, modified, renamed and
deleted, binary files, and merge commits of short side branches. The same
arguments always give the same commit SHAs.

Usage: ``python bench/git_fixture.py PATH [--commits N] [--seed S]``
"""
from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from coe_framework.repository.gitutil import git_environment

START = 1_420_070_400  # 2015-01-01T00:00:00Z
AUTHORS = [(f"Developer {i:02d}", f"dev{i:02d}@example.com") for i in range(30)]
#: Second identities of a few authors, merged back by the .mailmap.
ALIASES = {3: ("dev three", "three@old.example.com"), 7: ("D7", "dev07@laptop.local"), 11: ("Dev Eleven", "eleven@users.example.org")}
DIRS = ("src", "src/core", "src/util", "lib", "tests", "docs", "tools", "app/models", "app/views", "app/api")
EXTS = (".py", ".js", ".go", ".md", ".txt", ".c")


@dataclass
class Tree:
    """Current file contents (lines) and the blob mark of each path."""

    lines: dict[str, list[str]] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)


class Builder:
    """Writes a fast-import stream for a reproducible random history."""

    def __init__(self, commits: int, seed: int, out) -> None:
        self.total = commits
        self.rng = random.Random(seed)
        self.out = out
        self.mark = 0
        self.count = 0
        self.clock = START
        self.tree = Tree()
        self.next_file = 0

    # -- stream primitives ---------------------------------------------------

    def _data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def _blob(self, payload: bytes) -> int:
        self.mark += 1
        self.out.write(b"blob\nmark :%d\n" % self.mark)
        self._data(payload)
        return self.mark

    def _commit(self, ref: str, ops: list[bytes], parent: int | None = None, merge: int | None = None) -> int:
        self.mark += 1
        self.count += 1
        self.clock += 600 + self.rng.randrange(7200)
        index = self.rng.choices(range(len(AUTHORS)), weights=[30 - i * 0.9 for i in range(len(AUTHORS))])[0]
        name, email = AUTHORS[index]
        if index in ALIASES and self.rng.random() < 0.4:
            name, email = ALIASES[index]
        ident = f"{name} <{email}> {self.clock} +0000".encode()
        self.out.write(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.write(b"author " + ident + b"\ncommitter " + ident + b"\n")
        self._data(f"change {self.count}".encode())
        if parent is not None:
            self.out.write(b"from :%d\n" % parent)
        if merge is not None:
            self.out.write(b"merge :%d\n" % merge)
        for op in ops:
            self.out.write(op)
        self.out.write(b"\n")
        return self.mark

    # -- content -------------------------------------------------------------

    def _line(self) -> str:
        return f"value_{self.rng.randrange(1_000_000)} = compute({self.rng.randrange(1000)}, {self.rng.randrange(1000)})"

    def _put(self, path: str, lines: list[str]) -> bytes:
        self.tree.lines[path] = lines
        mark = self._blob(("\n".join(lines) + "\n").encode())
        self.tree.marks[path] = mark
        return f"M 100644 :{mark} {path}\n".encode()

    def _new_path(self) -> str:
        self.next_file += 1
        return f"{self.rng.choice(DIRS)}/file_{self.next_file:05d}{self.rng.choice(EXTS)}"

    def _modify(self, path: str) -> bytes:
        lines = list(self.tree.lines[path])
        for _ in range(self.rng.randint(1, 4)):
            roll = self.rng.random()
            at = self.rng.randrange(len(lines) + 1)
            if roll < 0.5 and lines:
                lines[min(at, len(lines) - 1)] = self._line()
            elif roll < 0.8 or len(lines) < 10:
                lines[at:at] = [self._line() for _ in range(self.rng.randint(1, 5))]
            else:
                del lines[at : at + self.rng.randint(1, 3)]
        return self._put(path, lines or [self._line()])

    def _changes(self, allow_structure: bool) -> list[bytes]:
        paths = sorted(self.tree.lines)
        roll = self.rng.random()
        if allow_structure and roll < 0.03:
            return [self._put(self._new_path(), [self._line() for _ in range(self.rng.randint(10, 60))])]
        if allow_structure and roll < 0.04 and len(paths) > 50:
            old = self.rng.choice(paths)
            new = self._new_path()
            self.tree.lines[new] = self.tree.lines.pop(old)
            self.tree.marks[new] = self.tree.marks.pop(old)
            return [f"R {old} {new}\n".encode()]
        if allow_structure and roll < 0.045 and len(paths) > 50:
            old = self.rng.choice(paths)
            del self.tree.lines[old], self.tree.marks[old]
            return [f"D {old}\n".encode()]
        if allow_structure and roll < 0.05:
            mark = self._blob(bytes(self.rng.randrange(256) for _ in range(512)) + b"\0")
            return [f"M 100644 :{mark} assets/image_{self.rng.randrange(20):02d}.bin\n".encode()]
        # Files that change together: neighbours in sorted order move as a group.
        start = self.rng.randrange(len(paths))
        group = paths[start : start + self.rng.choice((1, 1, 1, 2, 2, 3, 4))]
        return [self._modify(path) for path in group]

    # -- history -------------------------------------------------------------

    def build(self) -> None:
        mailmap = "".join(f"{AUTHORS[i][0]} <{AUTHORS[i][1]}> {n} <{e}>\n" for i, (n, e) in ALIASES.items())
        # Kept out of the tree model so random edits never touch it.
        ops = [f"M 100644 :{self._blob(mailmap.encode())} .mailmap\n".encode()]
        ops += [self._put(self._new_path(), [self._line() for _ in range(self.rng.randint(10, 60))]) for _ in range(150)]
        main = self._commit("refs/heads/main", ops)
        while self.count < self.total:
            if self.count % 50 == 25 and self.total - self.count > 5:
                main = self._side_branch(main)
            else:
                main = self._commit("refs/heads/main", self._changes(True), parent=main)

    def _side_branch(self, main: int) -> int:
        """2-4 commits on a side branch, then a merge commit bringing them in."""
        changed: set[str] = set()
        tip = main
        for _ in range(self.rng.randint(2, 4)):
            ops = self._changes(False)
            changed.update(op.split(b" ", 3)[3].decode().strip() for op in ops if op.startswith(b"M "))
            tip = self._commit("refs/heads/side", ops, parent=tip)
        ops = [f"M 100644 :{self.tree.marks[p]} {p}\n".encode() for p in sorted(changed) if p in self.tree.marks]
        return self._commit("refs/heads/main", ops, parent=main, merge=tip)


def build_repository(path: str | os.PathLike[str], commits: int = 20_000, seed: int = 1) -> Path:
    """Create a bare repository at ``path`` with ``commits`` commits on ``main``."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    env = git_environment()
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True, env=env)
    proc = subprocess.Popen(["git", "fast-import", "--quiet"], cwd=path, stdin=subprocess.PIPE, env=env)
    assert proc.stdin is not None
    Builder(commits, seed, proc.stdin).build()
    proc.stdin.close()
    if proc.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", "update-ref", "-d", "refs/heads/side"], cwd=path, check=True, env=env)
    subprocess.run(["git", "gc", "-q", "--prune=now"], cwd=path, check=True, env=env)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    build_repository(args.path, args.commits, args.seed)
    print(args.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
