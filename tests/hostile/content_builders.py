"""Hostile repository contents, generated at test time (nothing of it is committed).

Each builder writes objects straight into a bare or normal repository with
git plumbing, so a case that expands to billions of paths costs kilobytes.
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from coe_framework.testing.gitrepo import _clean_env


def _git(repo: Path, *args: str, input: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env=_clean_env(), input=input, capture_output=True, check=True)
    return proc.stdout.decode().strip()


def git_bomb(repo: Path, levels: int = 10, width: int = 10) -> str:
    """A commit whose tree holds ``width`` copies of a tree ``levels`` deep: width**levels files.

    ``repo`` must already be a git repository; returns the commit SHA, which
    ``refs/heads/main`` then points to.
    """
    blob = _git(repo, "hash-object", "-w", "--stdin", input=b"boom\n")
    listing = "".join(f"100644 blob {blob}\tf{i}\n" for i in range(width))
    tree = _git(repo, "mktree", input=listing.encode())
    for _level in range(levels - 1):
        listing = "".join(f"040000 tree {tree}\td{i}\n" for i in range(width))
        tree = _git(repo, "mktree", input=listing.encode())
    env = {"GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}
    proc = subprocess.run(
        ["git", "-c", "user.name=Bomb", "-c", "user.email=bomb@example.com", "commit-tree", tree, "-m", "bomb"],
        cwd=repo, env=_clean_env(env), capture_output=True, check=True,
    )
    commit = proc.stdout.decode().strip()
    _git(repo, "update-ref", "refs/heads/main", commit)
    _git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    return commit


def deep_tree(repo: Path, depth: int) -> str:
    """A commit with one file ``depth`` directories down (distinct trees, no repetition)."""
    blob = _git(repo, "hash-object", "-w", "--stdin", input=b"deep\n")
    tree = _git(repo, "mktree", input=f"100644 blob {blob}\tleaf\n".encode())
    for level in range(depth):
        tree = _git(repo, "mktree", input=f"040000 tree {tree}\td{level}\n".encode())
    proc = subprocess.run(
        ["git", "-c", "user.name=Deep", "-c", "user.email=deep@example.com", "commit-tree", tree, "-m", "deep"],
        cwd=repo, env=_clean_env({"GIT_AUTHOR_DATE": "2024-01-01T00:00:00Z", "GIT_COMMITTER_DATE": "2024-01-01T00:00:00Z"}),
        capture_output=True, check=True,
    )
    commit = proc.stdout.decode().strip()
    _git(repo, "update-ref", "refs/heads/main", commit)
    _git(repo, "symbolic-ref", "HEAD", "refs/heads/main")
    return commit


def nested_functions_js(depth: int) -> bytes:
    """``function f(){`` nested ``depth`` times and closed again (13 bytes a level)."""
    return b"function f(){" * depth + b"}" * depth + b"\n"


def nested_lambdas_py(depth: int) -> bytes:
    """A Python expression of ``depth`` nested lambdas on one line."""
    return b"x = " + b"lambda: " * depth + b"0\n"


def nested_arrays_js(depth: int) -> bytes:
    """``depth`` nested array literals."""
    return b"var a = " + b"[" * depth + b"]" * depth + b";\n"
