"""Deterministic Git repositories for tests.

Every commit gets a fixed author, committer and date (by default one day
after the previous commit, starting 2024-01-01 UTC), so commit SHAs are the
same on every machine and every run.
"""
from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Mapping, Sequence

DEFAULT_AUTHOR = ("Ada Lovelace", "ada@example.com")
EPOCH = datetime(2024, 1, 1, tzinfo=timezone.utc)

FileContent = str | bytes | None  # None deletes the file


def _clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    if extra:
        env.update(extra)
    return env


@dataclass
class GitRepo:
    """A repository with a work tree that tests write commits into."""

    path: Path
    branch: str = "main"
    _clock: datetime = field(default=EPOCH)
    _count: int = 0

    # -- plumbing --------------------------------------------------------------

    def git(self, *args: str | bytes, env: Mapping[str, str] | None = None, input: bytes | None = None) -> str:
        """Run git in the repository and return stdout (text)."""
        proc = subprocess.run(
            ["git", *args], cwd=self.path, env=_clean_env(env), capture_output=True, input=input, check=False
        )
        if proc.returncode != 0:
            raise RuntimeError(f"git {' '.join(map(str, args))} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode("utf-8", "surrogateescape")

    @property
    def head(self) -> str:
        """The SHA of HEAD."""
        return self.git("rev-parse", "HEAD").strip()

    def _next_date(self, date: str | datetime | None) -> str:
        if date is None:
            self._clock = EPOCH + timedelta(days=self._count)
            when = self._clock
        elif isinstance(date, datetime):
            when = date
        else:
            when = datetime.fromisoformat(date)
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.isoformat()

    def _write(self, name: str | bytes, content: FileContent) -> None:
        raw = name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")
        target = Path(os.fsdecode(os.path.join(os.fsencode(self.path), raw)))
        if content is None:
            if target.is_symlink() or target.exists():
                target.unlink()
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)

    # -- porcelain ---------------------------------------------------------

    def commit(
        self,
        files: Mapping[str | bytes, FileContent] | None = None,
        message: str | None = None,
        *,
        author: tuple[str, str] = DEFAULT_AUTHOR,
        committer: tuple[str, str] | None = None,
        date: str | datetime | None = None,
        allow_empty: bool = False,
    ) -> str:
        """Write ``files`` (``None`` deletes), commit everything, return the SHA."""
        for name, content in (files or {}).items():
            self._write(name, content)
        self.git("add", "-A")
        when = self._next_date(date)
        committer = committer or author
        self._count += 1
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": committer[0],
            "GIT_COMMITTER_EMAIL": committer[1],
            "GIT_COMMITTER_DATE": when,
        }
        args = ["commit", "-q", "--no-verify", "--no-gpg-sign", "-m", message or f"commit {self._count}"]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, env=env)
        return self.head

    def symlink(self, name: str, target: str) -> None:
        """Create a symbolic link in the work tree (commit it with :meth:`commit`)."""
        link = self.path / name
        link.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, link)

    def rename(self, old: str, new: str, message: str | None = None, **kwargs: object) -> str:
        """``git mv old new`` and commit."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)
        return self.commit(message=message or f"rename {old} to {new}", **kwargs)  # type: ignore[arg-type]

    def checkout(self, branch: str, create: bool = False) -> None:
        """Switch branches (``create`` makes a new one at HEAD)."""
        self.git("checkout", "-q", *(["-b"] if create else []), branch)
        self.branch = branch

    def merge(self, branch: str, message: str | None = None, *, author: tuple[str, str] = DEFAULT_AUTHOR, date: str | None = None) -> str:
        """Merge ``branch`` into the current branch with a merge commit."""
        when = self._next_date(date)
        self._count += 1
        env = {
            "GIT_AUTHOR_NAME": author[0],
            "GIT_AUTHOR_EMAIL": author[1],
            "GIT_AUTHOR_DATE": when,
            "GIT_COMMITTER_NAME": author[0],
            "GIT_COMMITTER_EMAIL": author[1],
            "GIT_COMMITTER_DATE": when,
        }
        self.git("merge", "-q", "--no-ff", "--no-verify", "--no-gpg-sign", "-m", message or f"merge {branch}", branch, env=env)
        return self.head

    def tag(self, name: str, rev: str = "HEAD") -> None:
        """A lightweight tag."""
        self.git("tag", name, rev)

    def reset_hard(self, rev: str) -> None:
        """Move the current branch to ``rev`` (simulates a force-push)."""
        self.git("reset", "-q", "--hard", rev)


def init_repo(path: str | os.PathLike[str], branch: str = "main", files: Mapping[str | bytes, FileContent] | None = None, commits: Sequence[Mapping[str | bytes, FileContent]] = ()) -> GitRepo:
    """Create a repository at ``path`` (optionally with a first commit of ``files``)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    repo = GitRepo(path, branch)
    repo.git("init", "-q", "-b", branch)
    repo.git("config", "core.autocrlf", "false")
    repo.git("config", "commit.gpgsign", "false")
    if files:
        repo.commit(files)
    for change in commits:
        repo.commit(change)
    return repo
