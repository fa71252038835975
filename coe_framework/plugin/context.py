"""AnalysisContext: a read-only view of one repository at one commit.

Nothing is checked out. The file list comes from one ``git ls-tree`` and file
contents from one long-lived ``git cat-file --batch`` process (GitPython's
persistent command), so analyzers never touch a work tree, never follow a
symlink and never execute anything from the repository.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping

import git
from pydantic import BaseModel

from .options import NoOptions
from ..repository.child_limits import ChildLimits, apply_limits
from ..repository.gitutil import decode_path, display_path, git_environment, run_git

#: git's own binary test: a NUL byte in the first 8000 bytes.
BINARY_SNIFF_BYTES = 8000


class Cancelled(Exception):
    """Raised inside an analyzer when the analysis was cancelled."""


@dataclass(frozen=True)
class Limits:
    """Caps that keep one pathological file or repository from stalling a run."""

    max_file_size: int = 2 * 1024 * 1024
    max_files: int = 1_000_000


@dataclass(frozen=True)
class FileEntry:
    """One tracked path at the analysed commit.

    ``path`` is JSON-safe (undecodable bytes appear as ``\\xNN``); ``raw_path``
    holds the exact bytes git reported.
    """

    path: str
    raw_path: bytes
    sha: str
    size: int
    mode: str

    @property
    def is_symlink(self) -> bool:
        return self.mode == "120000"

    @property
    def is_submodule(self) -> bool:
        return self.mode == "160000"

    @property
    def is_executable(self) -> bool:
        return self.mode == "100755"

    @property
    def is_regular(self) -> bool:
        return self.mode in ("100644", "100755")

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def extension(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""


@dataclass(frozen=True)
class RepositoryInfo:
    """Who the repository is, as the user named it (credentials removed)."""

    url: str
    name: str
    path: str


def count_entries(repo_path: str | Path, commit: str) -> int:
    """How many entries :func:`list_files` would return, without reading blob sizes (``-l`` reads every blob header)."""
    out = run_git(["ls-tree", "-r", "-z", "--name-only", "--full-tree", commit], cwd=repo_path, timeout=600).stdout
    return out.count(b"\0")


def list_files(repo_path: str | Path, commit: str) -> list[FileEntry]:
    """Every tracked entry at ``commit`` from one ``git ls-tree -r -z -l``."""
    out = run_git(["ls-tree", "-r", "-z", "-l", "--full-tree", commit], cwd=repo_path, timeout=600).stdout
    entries: list[FileEntry] = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, raw_path = record.partition(b"\t")
        mode, _kind, sha, size = meta.split(None, 3)
        size_text = size.strip()
        entries.append(
            FileEntry(
                path=display_path(decode_path(raw_path)),
                raw_path=raw_path,
                sha=sha.decode(),
                size=int(size_text) if size_text.isdigit() else 0,
                mode=mode.decode(),
            )
        )
    return entries


class LimitedGit(git.Git):
    """GitPython's command wrapper whose git processes run under the git caps.

    No parent-death signal here: a persistent ``cat-file`` may outlive the
    thread that started it, and it ends by itself when its stdin closes.
    """

    def execute(self, command: Any, *args: Any, **kwargs: Any) -> Any:
        limits = ChildLimits.git()
        kwargs.setdefault("preexec_fn", lambda: apply_limits(limits))
        return super().execute(command, *args, **kwargs)


class BlobReader:
    """Reads blobs through one persistent ``git cat-file --batch`` per process.

    Safe to share between threads (a lock serializes the pipe) and across a
    fork (a child process opens its own pipe on first use).
    """

    def __init__(self, repo_path: str | Path):
        self.repo_path = str(repo_path)
        self._lock = threading.Lock()
        self._pid = -1
        self._git: git.Git | None = None

    def _handle(self) -> git.Git:
        if self._git is None or self._pid != os.getpid():
            handle = LimitedGit(self.repo_path)
            handle.update_environment(**git_environment())
            self._git, self._pid = handle, os.getpid()
        return self._git

    def read(self, sha: str) -> bytes:
        with self._lock:
            _sha, kind, _size, data = self._handle().get_object_data(sha)
        if kind not in (b"blob", "blob"):  # bytes from cat-file, though GitPython annotates str
            raise ValueError(f"object {sha} is a {kind!r}, not a blob")
        return data

    def close(self) -> None:
        with self._lock:
            if self._git is not None and self._pid == os.getpid():
                self._git.clear_cache()
            self._git = None


def is_binary(data: bytes) -> bool:
    """git's heuristic: a NUL byte early in the content means binary."""
    return b"\0" in data[:BINARY_SNIFF_BYTES]


@dataclass
class AnalysisContext:
    """Everything an analyzer may look at, and nothing it may change.

    Analyzers read files with :meth:`read` or :meth:`iter_contents`, read the
    results of the analyzers they ``require`` from :attr:`results`, report
    progress with :meth:`progress` and call :meth:`check_cancelled` between
    units of work.
    """

    repo_path: str
    commit: str
    repository: RepositoryInfo
    options: BaseModel = field(default_factory=NoOptions)
    results: Mapping[str, Any] = field(default_factory=dict)
    limits: Limits = field(default_factory=Limits)
    previous_state: Any = None
    #: The plugin manager that loaded this analyzer; plugins that define hooks
    #: of their own call them through ``ctx.plugins.hook``.
    plugins: Any = None
    _progress: Callable[[int, int | None, str], None] | None = None
    _cancelled: Callable[[], bool] | None = None
    _files: list[FileEntry] | None = None
    _by_path: dict[str, FileEntry] | None = None
    _reader: BlobReader | None = None
    _state: Any = None
    _state_set: bool = False
    _last_progress: float = 0.0

    # -- files -------------------------------------------------------------

    @property
    def files(self) -> list[FileEntry]:
        """Every tracked entry (regular files, symlinks and submodules)."""
        if self._files is None:
            self._files = list_files(self.repo_path, self.commit)
        return self._files

    def regular_files(self) -> list[FileEntry]:
        """Tracked regular files: symlinks and submodules left out."""
        return [entry for entry in self.files if entry.is_regular]

    def file(self, path: str) -> FileEntry | None:
        """The entry at ``path``, or None."""
        if self._by_path is None:
            self._by_path = {entry.path: entry for entry in self.files}
        return self._by_path.get(path)

    @property
    def reader(self) -> BlobReader:
        if self._reader is None:
            self._reader = BlobReader(self.repo_path)
        return self._reader

    def read(self, entry: FileEntry | str, max_size: int | None = None) -> bytes | None:
        """The bytes of a regular file, or None when it is over the size limit.

        A symlink's target is never followed: reading one returns the link
        text as git stores it.
        """
        if isinstance(entry, str):
            found = self.file(entry)
            if found is None:
                raise KeyError(f"no such file at {self.commit[:12]}: {entry}")
            entry = found
        limit = self.limits.max_file_size if max_size is None else max_size
        if entry.is_submodule or entry.size > limit:
            return None
        return self.reader.read(entry.sha)

    def read_text(self, entry: FileEntry | str, max_size: int | None = None) -> str | None:
        """A file decoded as UTF-8 (undecodable bytes replaced), or None."""
        data = self.read(entry, max_size)
        return None if data is None else data.decode("utf-8", "replace")

    def iter_contents(self, entries: Iterable[FileEntry], max_size: int | None = None) -> Iterator[tuple[FileEntry, bytes | None]]:
        """Yield ``(entry, bytes or None)``, checking for cancellation as it goes."""
        for index, entry in enumerate(entries):
            if index % 256 == 0:
                self.check_cancelled()
            yield entry, self.read(entry, max_size)

    # -- git ---------------------------------------------------------------

    def git(self) -> git.Git:
        """A GitPython command wrapper on this repository, hardened against its config."""
        handle = LimitedGit(self.repo_path)
        handle.update_environment(**git_environment())
        return handle

    # -- progress, cancellation, state ------------------------------------

    def progress(self, done: int, total: int | None = None, message: str = "") -> None:
        """Report progress; calls are cheap and rate-limited by the framework."""
        if self._progress is None:
            return
        now = time.monotonic()
        if (total is not None and done >= total) or now - self._last_progress >= 0.2:
            self._last_progress = now
            self._progress(done, total, message)

    def cancelled(self) -> bool:
        """True once the analysis was cancelled or timed out."""
        return bool(self._cancelled and self._cancelled())

    def check_cancelled(self) -> None:
        """Raise :class:`Cancelled` if the analysis was cancelled."""
        if self.cancelled():
            raise Cancelled("analysis cancelled")

    def save_state(self, state: Any) -> None:
        """Keep JSON-serializable state for this analyzer and repository.

        The next analysis of the same repository receives it as
        :attr:`previous_state` (incremental analyzers use this to mine only
        what is new). State is saved only when the analyzer succeeds.
        """
        self._state, self._state_set = state, True

    def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
