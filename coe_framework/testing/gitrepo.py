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


# -- ready-made repositories ----------------------------------------------------

#: A path that is not valid UTF-8 (Latin-1 "é"), as git stores it.
NON_UTF8_PATH = b"docs/caf\xe9.txt"
#: Bytes git treats as binary (a NUL byte early on).
BINARY_CONTENT = bytes(range(256)) * 4
SECOND_AUTHOR = ("Grace Hopper", "grace@example.com")
#: Where :func:`build_sample` puts the file meant to exceed size caps.
OVERSIZED_PATH = "big/generated.py"


def build_sample(repo: GitRepo, *, oversized_bytes: int = 0) -> GitRepo:
    """Fill ``repo`` with the history every analyzer should cope with.

    Two authors, a rename, a branch merged with a merge commit, a deletion, a
    binary file, a non-UTF-8 path, a symbolic link, an empty file and (when
    ``oversized_bytes`` is positive) one text file of that size, so size caps
    can be exercised. Deterministic: the same SHAs on every machine.
    """
    repo.commit(
        {
            "README.md": "# Sample\n\nA repository for analyzer tests.\n",
            "src/app.py": "def main():\n    return 42\n\n\nif __name__ == '__main__':\n    main()\n",
            "src/util.py": "def helper(x):\n    if x:\n        return 1\n    return 0\n",
            "package.json": '{"name": "sample", "version": "1.0.0", "dependencies": {"left-pad": "^1.3.0"}}\n',
            "requirements.txt": "requests==2.31.0\n",
            "empty.txt": "",
        },
        "initial import",
    )
    repo.commit({"assets/logo.bin": BINARY_CONTENT, NON_UTF8_PATH: "caf\xe9 au lait\n".encode("latin-1")}, "add binary and latin-1 files")
    repo.rename("src/util.py", "src/helpers.py", author=SECOND_AUTHOR)
    repo.checkout("feature", create=True)
    repo.commit({"src/feature.py": "def feature():\n    return 'on'\n"}, "add feature", author=SECOND_AUTHOR)
    repo.checkout("main")
    repo.commit({"src/app.py": "def main():\n    return 43\n", "empty.txt": None}, "tweak app, drop empty file")
    repo.merge("feature", author=SECOND_AUTHOR)
    repo.symlink("link-to-readme", "README.md")
    files: dict[str | bytes, FileContent] = {"notes.txt": ""}
    if oversized_bytes > 0:
        line = b"x = 1  # padding to exceed the file size cap\n"
        files[OVERSIZED_PATH] = (line * (oversized_bytes // len(line) + 1))[:oversized_bytes]
    repo.commit(files, "add link, notes and generated data")
    return repo


def build_empty_tree(repo: GitRepo) -> GitRepo:
    """Give ``repo`` a single commit whose tree holds no files at all."""
    repo.commit(message="empty tree", allow_empty=True)
    return repo


class GitRepoFactory:
    """Creates deterministic repositories below one directory.

    ``factory()`` returns a fresh :class:`GitRepo` (``files`` become the first
    commit, each mapping in ``commits`` one more); :meth:`sample` and
    :meth:`empty_tree` return the ready-made ones above.
    """

    def __init__(self, root: str | os.PathLike[str]):
        self.root = Path(root)
        self._count = 0

    def _path(self, name: str | None) -> Path:
        self._count += 1
        return self.root / (name or f"repo{self._count}")

    def __call__(
        self,
        name: str | None = None,
        *,
        files: Mapping[str | bytes, FileContent] | None = None,
        commits: Sequence[Mapping[str | bytes, FileContent]] = (),
        branch: str = "main",
    ) -> GitRepo:
        return init_repo(self._path(name), branch=branch, files=files, commits=commits)

    def clone(self, source: GitRepo, name: str | None = None) -> GitRepo:
        """A full, independent copy of ``source`` (same commits, objects copied, not linked)."""
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        source.git("clone", "-q", "--no-hardlinks", "--", str(source.path), str(path))
        return GitRepo(path, source.branch, source._clock, source._count)

    def sample(self, name: str | None = None, *, oversized_bytes: int = 0) -> GitRepo:
        """The mixed-history repository of :func:`build_sample`."""
        return build_sample(self(name), oversized_bytes=oversized_bytes)

    def empty_tree(self, name: str | None = None) -> GitRepo:
        """A repository whose only commit has an empty tree."""
        return build_empty_tree(self(name))
