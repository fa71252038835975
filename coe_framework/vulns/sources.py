"""OSV records from a directory, a zip export (as OSV publishes them per ecosystem) or a file.

Archives are hostile input. A member whose name is absolute or climbs out
with ``..`` is refused (nothing is ever extracted to disk, but such a name
marks a crafted archive), and so is a member that inflates beyond
:data:`MAX_MEMBER_BYTES` or by more than :data:`MAX_RATIO` times its
compressed size, or an archive whose members together inflate beyond
:data:`MAX_ARCHIVE_BYTES`; sizes are counted while reading, never trusted
from the header. Every refusal is a :class:`Skipped` item and reading goes
on with the next member.
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Iterator

#: The largest JSON document read, from a file or an archive member.
MAX_MEMBER_BYTES = 64 * 1024 * 1024
#: The most a member may inflate (uncompressed / compressed) once it is past one MiB.
MAX_RATIO = 200
#: The most all members of one archive may inflate to together.
MAX_ARCHIVE_BYTES = 8 * 1024 * 1024 * 1024
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Skipped:
    """Something that was not read, and why (one line)."""

    where: str
    reason: str


@dataclass(frozen=True)
class RawRecord:
    """One record as read, with the place it came from."""

    where: str
    record: Any


Item = RawRecord | Skipped


def read_records(path: str | os.PathLike[str]) -> Iterator[Item]:
    """Every record below ``path`` (a directory, a ``.zip`` or a ``.json`` file), in a stable order."""
    root = Path(path)
    if root.is_dir():
        for directory, dirs, files in os.walk(root, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                file = Path(directory, name)
                if name.endswith((".json", ".zip")) and not file.is_symlink():
                    yield from _read_file(file, str(file.relative_to(root)))
    elif root.is_file():
        yield from _read_file(root, root.name)
    else:
        raise FileNotFoundError(f"{root}: no such file or directory")


def _read_file(file: Path, where: str) -> Iterator[Item]:
    if file.suffix == ".zip" or zipfile.is_zipfile(file):
        yield from _read_archive(file, where)
        return
    try:
        size = file.stat().st_size
        if size > MAX_MEMBER_BYTES:
            yield Skipped(where, f"larger than {MAX_MEMBER_BYTES // (1024 * 1024)} MiB")
            return
        data = file.read_bytes()
    except OSError as exc:
        yield Skipped(where, f"cannot read: {exc.strerror or exc}")
        return
    yield from _decode(data, where)


def _unsafe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return True
    return ".." in PurePosixPath(name).parts


def _read_archive(file: Path, where: str) -> Iterator[Item]:
    try:
        archive = zipfile.ZipFile(file)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Skipped(where, f"not a readable zip archive: {exc}")
        return
    budget = MAX_ARCHIVE_BYTES
    with archive:
        for info in archive.infolist():
            label = f"{where}:{info.filename[:300]}"
            if info.is_dir():
                continue
            if _unsafe_name(info.filename):
                yield Skipped(label, "unsafe member name (absolute or climbing out with '..')")
                continue
            if not info.filename.endswith(".json"):
                continue
            data = _read_member(archive, info, budget)
            if isinstance(data, str):
                yield Skipped(label, data)
                if data.startswith("the archive inflates"):
                    return
                continue
            budget -= len(data)
            yield from _decode(data, label)


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes | str:
    """The member's bytes, or the reason it was refused."""
    cap = min(MAX_MEMBER_BYTES, budget)
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as stream:
            while True:
                chunk = stream.read(_READ_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > cap:
                    if cap < MAX_MEMBER_BYTES:
                        return f"the archive inflates beyond {MAX_ARCHIVE_BYTES // (1024 ** 3)} GiB; the rest is not read"
                    return f"decompression bomb: inflates beyond {MAX_MEMBER_BYTES // (1024 * 1024)} MiB"
                if total > _READ_CHUNK and total > MAX_RATIO * max(info.compress_size, 1):
                    return f"decompression bomb: inflates more than {MAX_RATIO} times"
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        return f"cannot read member: {exc}"
    return b"".join(chunks)


def _decode(data: bytes, where: str) -> Iterator[Item]:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError) as exc:
        yield Skipped(where, f"not JSON: {str(exc)[:120]}")
        return
    if isinstance(document, list):  # a file holding several records
        for index, record in enumerate(document):
            yield RawRecord(f"{where}[{index}]", record)
    else:
        yield RawRecord(where, document)
