"""A single-pass streaming parser for ``git log -z --numstat`` output.

The log is requested with :data:`LOG_FORMAT`: every commit starts with a
``\\x01`` byte followed by a fixed number of NUL-terminated header fields, and
its file changes follow as NUL-terminated numstat records
(``added\\tremoved\\tpath``; a rename is ``added\\tremoved\\t`` followed by the old
and the new path as two more records; a binary file shows ``-`` for both
counts). Header fields are consumed by count, so names may hold any byte; a
numstat record always starts with a digit or ``-``, so the ``\\x01`` marker at a
record boundary can only be a new commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Iterator

from coe_framework.plugin_api import decode_path, display_path

#: Header fields, in order: SHA, parents, author (mailmap applied, then raw),
#: author time, committer (mailmap applied, then raw), committer time.
LOG_FORMAT = "%x01" + "%x00".join(
    ("%H", "%P", "%aN", "%aE", "%an", "%ae", "%at", "%cN", "%cE", "%cn", "%ce", "%ct")
)
HEADER_FIELDS = 12


@dataclass(slots=True)
class FileChange:
    """One file changed by a commit; paths are JSON-safe display forms."""

    path: str
    added: int
    removed: int
    binary: bool = False
    old_path: str | None = None


@dataclass(slots=True)
class Commit:
    """The facts ``git log`` gives about one commit."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_name_raw: str
    author_email_raw: str
    author_time: int
    committer_name: str
    committer_email: str
    committer_name_raw: str
    committer_email_raw: str
    commit_time: int
    changes: list[FileChange] = field(default_factory=list)

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1


def _int(raw: str) -> int:
    try:
        return int(raw)
    except ValueError:  # a corrupt date field must not stop the walk
        return 0


def _commit_from_header(fields: list[bytes]) -> Commit:
    # One decode for all fields is markedly cheaper than twelve.
    sha, parents, an, ae, an_raw, ae_raw, at, cn, ce, cn_raw, ce_raw, ct = (
        b"\0".join(fields).decode("utf-8", "replace").split("\0")
    )
    return Commit(sha, tuple(parents.split()), an, ae, an_raw, ae_raw, _int(at), cn, ce, cn_raw, ce_raw, _int(ct))


class LogParser:
    """Turns chunks of ``git log`` bytes into :class:`Commit` objects.

    Feed chunks of any size with :meth:`feed` (it yields every commit completed
    so far) and call :meth:`finish` at the end of the stream.
    """

    def __init__(self) -> None:
        self._tail = b""
        self._header: list[bytes] | None = None
        self._commit: Commit | None = None
        self._rename: list[bytes] | None = None  # [added, removed, old path?]
        self._paths: dict[bytes, str] = {}

    def _path(self, raw: bytes) -> str:
        """Decode a path once; histories name the same paths over and over."""
        path = self._paths.get(raw)
        if path is None:
            path = self._paths[raw] = display_path(decode_path(raw))
        return path

    def _change(self, added: bytes, removed: bytes, path: bytes, old: bytes | None) -> FileChange:
        if added == b"-":
            change = FileChange(self._path(path), 0, 0, True)
        else:
            change = FileChange(self._path(path), int(added), int(removed))
        if old is not None:
            change.old_path = self._path(old)
        return change

    def feed(self, chunk: bytes) -> Iterator[Commit]:
        """Consume ``chunk`` and yield the commits it completes."""
        tokens = (self._tail + chunk).split(b"\0")
        self._tail = tokens.pop()
        header, rename, commit = self._header, self._rename, self._commit
        changes = commit.changes if commit is not None else None
        i, count = 0, len(tokens)
        paths = self._paths
        while i < count:
            if header is not None:  # a header cut by the previous chunk's end
                take = tokens[i : i + HEADER_FIELDS - len(header)]
                header.extend(take)
                i += len(take)
                if len(header) == HEADER_FIELDS:
                    commit = _commit_from_header(header)
                    changes, header = commit.changes, None
                continue
            token = tokens[i]
            i += 1
            if rename is not None:
                if len(rename) == 2:
                    rename.append(token)
                else:
                    if changes is not None:
                        changes.append(self._change(rename[0], rename[1], token, rename[2]))
                    rename = None
            elif token[:1] == b"\x01":
                if commit is not None:
                    yield commit
                    commit = changes = None
                header = tokens[i - 1 : i - 1 + HEADER_FIELDS]
                header[0] = token[1:]
                i += len(header) - 1
                if len(header) == HEADER_FIELDS:
                    commit = _commit_from_header(header)
                    changes, header = commit.changes, None
            elif changes is not None and token:
                if token[0] == 10:  # the newline git puts after the header
                    token = token[1:]
                    if not token:
                        continue
                added, removed, path = token.split(b"\t", 2)
                if not path:
                    rename = [added, removed]
                    continue
                name = paths.get(path) or self._path(path)
                if added == b"-":
                    changes.append(FileChange(name, 0, 0, True))
                else:
                    changes.append(FileChange(name, int(added), int(removed)))
        self._header, self._rename, self._commit = header, rename, commit

    def finish(self) -> Iterator[Commit]:
        """Flush the last commit once the stream has ended."""
        yield from self.feed(b"\0") if self._tail else ()
        if self._commit is not None:
            yield self._commit
            self._commit = None


def parse_log(chunks: Iterable[bytes]) -> Iterator[Commit]:
    """Parse a whole ``git log`` byte stream given as chunks."""
    parser = LogParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.finish()
