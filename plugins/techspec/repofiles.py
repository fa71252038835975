"""A path-indexed, size-capped view of the analysed tree for parsers.

Parsers see only this view: they look files up by repository path, read
them through the :class:`~coe_framework.plugin.context.AnalysisContext` (never the
file system, never through a symlink) and every read is capped. Oversized
and undecodable files are reported once as findings.
"""
from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Iterable

from coe_framework.plugin_api import is_binary

from .models import Finding

if TYPE_CHECKING:  # pragma: no cover
    from coe_framework.plugin_api import AnalysisContext, FileEntry


class RepoView:
    """Regular files of one commit by path, with capped text reads."""

    def __init__(self, ctx: "AnalysisContext", max_size: int):
        self.ctx = ctx
        self.max_size = max_size
        self.entries: dict[str, "FileEntry"] = {e.path: e for e in ctx.regular_files()}
        self.findings: list[Finding] = []
        self._texts: dict[str, str | None] = {}

    def paths(self) -> Iterable[str]:
        return self.entries.keys()

    def read_text(self, path: str) -> str | None:
        """The file's text, or None when missing, a symlink, binary or over the cap.

        Texts are memoized, so a file read by two parsers is fetched once.
        """
        if path in self._texts:
            return self._texts[path]
        entry = self.entries.get(path)
        text: str | None = None
        if entry is not None:
            if entry.size > self.max_size:
                self.findings.append(Finding(path, "too_large", f"{entry.size} bytes is over the {self.max_size}-byte cap; not read"))
            else:
                data = self.ctx.read(entry, self.max_size)
                if data is not None:
                    if is_binary(data):
                        self.findings.append(Finding(path, "malformed", "binary content where text was expected"))
                    else:
                        text = data.decode("utf-8-sig", "replace")
        self._texts[path] = text
        return text

    @staticmethod
    def resolve(base: str, relative: str) -> str | None:
        """``relative`` joined to the directory of ``base``; None when it leaves the tree."""
        if relative.startswith("/") or "://" in relative:
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), relative))
        if joined.startswith("../") or joined == ".." or joined == ".":
            return None
        return joined
