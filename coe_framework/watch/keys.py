"""One spelling per repository, so a webhook payload finds the watch it concerns.

Git hosts name a repository several ways in a payload (``clone_url``,
``html_url``, ``ssh_url``, ``git_http_url``...). Each is reduced to host
(with a non-default port), then path, lowercased, without user info, a
trailing slash or ``.git``: ``https://GitHub.com/Org/App.git`` and
``git@github.com:org/app`` are both ``github.com/org/app``.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCP = re.compile(r"^(?:[A-Za-z0-9._-]+@)?(?P<host>[A-Za-z0-9.-]+):(?P<path>[^/\\].*)$")
_DEFAULT_PORTS = {"https": 443, "http": 80, "ssh": 22, "git": 9418}
#: The column's width; longer keys are cut (a lookup then compares the cut form).
MAX_KEY_LENGTH = 512


def _clean_path(path: str) -> str:
    path = path.strip().strip("/")
    if path.lower().endswith(".git"):
        path = path[:-4]
    return path.rstrip("/")


def match_key(url: str) -> str:
    """The reduced form of a repository URL or local path."""
    text = (url or "").strip()
    if "://" in text:
        parts = urlsplit(text)
        try:
            port = parts.port
        except ValueError:
            port = None
        host = (parts.hostname or "").lower().rstrip(".")
        if port and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
            host = f"{host}:{port}"
        key = f"{host}/{_clean_path(parts.path)}"
    elif (scp := _SCP.match(text)) and not text.startswith(("/", ".", "~")):
        key = f"{scp.group('host').lower()}/{_clean_path(scp.group('path'))}"
    else:
        key = "/" + _clean_path(text)
    return key.lower()[:MAX_KEY_LENGTH]
