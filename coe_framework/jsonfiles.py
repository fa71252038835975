"""Reading JSON documents from files a user points at, safely.

A file is read only when it is a regular file (never through a symlink) and
no larger than the cap; anything else is a :class:`ValueError` whose text
says why, ready to be shown next to the file's name.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

#: The largest JSON file read by default.
MAX_JSON_FILE_BYTES = 16 * 1024 * 1024


def read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` when it is a regular file (not a symlink) of at most ``max_bytes``;
    :class:`ValueError` (one line) otherwise."""
    info = path.lstat()
    if not path.is_file() or path.is_symlink():
        raise ValueError("not a regular file")
    if info.st_size > max_bytes:
        raise ValueError(f"larger than {max_bytes // (1024 * 1024)} MiB" if max_bytes >= 1024 * 1024 else f"larger than {max_bytes} bytes")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(max_bytes + 1)
    if len(raw) > max_bytes:  # it grew after the check
        raise ValueError(f"larger than {max_bytes} bytes")
    return raw


def read_json_object(path: Path, max_bytes: int = MAX_JSON_FILE_BYTES) -> dict[str, Any]:
    """The JSON object in ``path``; :class:`ValueError` (one line) when it is not one."""
    raw = read_regular_file(path, max_bytes)
    try:
        document = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"not valid JSON ({exc.__class__.__name__})") from None
    if not isinstance(document, dict):
        raise ValueError("not a JSON object")
    return document
