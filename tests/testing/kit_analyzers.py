"""Analyzers for the test kit's own tests: one that conforms, and one per way to break the contract.

They live at module level so file analyzers can be pickled to worker processes.
"""
from __future__ import annotations

import os
import random
import time
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer, AnyResult, FileAnalyzer


class ByteOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suffix: str = ""


class ByteResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: int
    bytes: int
    largest: list[str]


class ByteCounter(Analyzer):
    """A well-behaved repository analyzer: reads through ctx, sorts its output, honours cancellation."""

    name = "bytes"
    version = "1"
    description = "Counts tracked bytes"
    Options = ByteOptions
    Result = ByteResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        sizes = {}
        wanted = [e for e in ctx.regular_files() if e.path.endswith(ctx.options.suffix)]
        for entry, data in ctx.iter_contents(wanted):
            sizes[entry.path] = entry.size if data is None else len(data)
        largest = sorted(sizes, key=lambda p: (-sizes[p], p))[:3]
        return {"files": len(sizes), "bytes": sum(sizes.values()), "largest": largest}

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"files": data["files"], "bytes": data["bytes"]}


class LineResult(BaseModel):
    total: int
    files: dict[str, dict[str, Any]]


class LineCounter(FileAnalyzer):
    """A well-behaved file analyzer that fills the code_files table."""

    name = "linecount"
    version = "1"
    Result = LineResult

    def select(self, entry: Any, options: Any) -> bool:
        return entry.extension in (".py", ".md", ".txt")

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        return {"lines": data.count(b"\n")}

    def aggregate(self, ctx: Any, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"total": sum(f.get("lines", 0) for f in files.values()), "files": files}

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"code_files": [{"path": p, "lines": f.get("lines")} for p, f in data["files"].items()]}


# --- broken ones ------------------------------------------------------------------


class Clocked(ByteCounter):
    """Not deterministic: a random value in the result."""

    name = "clocked"
    Result = AnyResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {**super().analyze(ctx), "run_id": random.random()}


class SetOrdered(ByteCounter):
    """Deterministic within one process, not across processes: paths listed in set order."""

    name = "set-ordered"
    Result = AnyResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        paths = {entry.path for entry in ctx.regular_files()}
        return {**super().analyze(ctx), "paths": list(paths)}


class WritesHome(ByteCounter):
    """Leaves a cache file in HOME and a stray temporary file behind."""

    name = "writes-home"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        cache = Path.home() / ".cache" / "writes-home"
        cache.mkdir(parents=True, exist_ok=True)
        (cache / "last.json").write_text("{}")
        tempfile.mkstemp(prefix="leak-")
        return super().analyze(ctx)


class WritesRepo(ByteCounter):
    """Writes into the repository's git directory."""

    name = "writes-repo"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        Path(ctx.repo_path, "coe-was-here").write_text("oops")
        return super().analyze(ctx)


class Ignores(ByteCounter):
    """Never checks for cancellation and swallows it."""

    name = "ignores-cancel"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        total = 0
        for entry in ctx.regular_files():
            total += entry.size
        return {"files": len(ctx.regular_files()), "bytes": total, "largest": []}


class EmptyCrash(ByteCounter):
    """Assumes there is at least one file."""

    name = "empty-crash"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        data = super().analyze(ctx)
        data["largest"] = [data["largest"][0]]
        return data


class StringCount(BaseModel):
    files: int


class LaxResult(Analyzer):
    """Returns a string where its published schema says integer (pydantic would coerce it)."""

    name = "lax-result"
    version = "1"
    Result = StringCount

    def analyze(self, ctx: Any) -> dict[str, Any]:
        ctx.check_cancelled()
        return {"files": str(len(ctx.files))}


class RawPaths(Analyzer):
    """Decodes raw paths itself, so a non-UTF-8 name becomes a lone surrogate."""

    name = "raw-paths"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        ctx.check_cancelled()
        return {"paths": sorted(os.fsdecode(e.raw_path) for e in ctx.files)}


class LooseOptions(BaseModel):
    threshold: int  # required, and unknown keys accepted


class BadOptions(ByteCounter):
    name = "bad-options"
    Options = LooseOptions


class BadTables(ByteCounter):
    name = "bad-tables"

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        return {"code_files": [{"path": "x", "colour": "red"}], "gadgets": []}


class BadName(ByteCounter):
    name = "Bad Name!"
    version = ""


class Hangs(Analyzer):
    """Never returns and never checks for cancellation."""

    name = "hangs"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        while True:
            time.sleep(0.05)


class IgnoresCap(ByteCounter):
    """Reads every blob through the raw reader, going around the size cap."""

    name = "ignores-cap"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        ctx.check_cancelled()
        sizes = {e.path: len(ctx.reader.read(e.sha)) for e in ctx.regular_files()}
        return {"files": len(sizes), "bytes": sum(sizes.values()), "largest": sorted(sizes)[:3]}
