"""Small analyzers that exercise the runner's contract (ok, raising, hanging, bad data)."""
from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer, FileAnalyzer


class CountOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    suffix: str = ""


class CountResult(BaseModel):
    files: int
    bytes: int


class FileCount(Analyzer):
    name = "count"
    version = "1"
    Options = CountOptions
    Result = CountResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        files = [f for f in ctx.regular_files() if f.path.endswith(ctx.options.suffix)]
        return {"files": len(files), "bytes": sum(f.size for f in files)}

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"files": data["files"]}


class Needs(Analyzer):
    name = "needs-count"
    version = "1"
    requires = ("count",)

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"doubled": ctx.results["count"]["files"] * 2}


class Raises(Analyzer):
    name = "raises"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        raise ValueError("boom")


class Hangs(Analyzer):
    name = "hangs"
    version = "1"
    timeout = 1.0

    def analyze(self, ctx: Any) -> dict[str, Any]:
        while True:
            time.sleep(0.05)


class NotJson(Analyzer):
    name = "notjson"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"when": object()}


class WrongShape(Analyzer):
    name = "wrongshape"
    version = "1"
    Result = CountResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {"files": "many"}


class Crashes(Analyzer):
    name = "crashes"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        import os

        os._exit(3)


class CycleA(Analyzer):
    name = "cycle-a"
    version = "1"
    requires = ("cycle-b",)

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {}


class CycleB(Analyzer):
    name = "cycle-b"
    version = "1"
    requires = ("cycle-a",)

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {}


class MissingReq(Analyzer):
    name = "missing-req"
    version = "1"
    requires = ("nowhere",)

    def analyze(self, ctx: Any) -> dict[str, Any]:
        return {}


CALLS_FILE_ENV = "COE_TEST_CALLS_FILE"


class LineCounter(FileAnalyzer):
    """Counts lines per file; appends each analysed path to a log so tests can see cache hits."""

    name = "lines"
    version = "1"

    def analyze_file(self, path: str, data: bytes, options: Any) -> dict[str, Any]:
        import os

        log = os.environ.get(CALLS_FILE_ENV)
        if log:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(path + "\n")
        if path.endswith(".fail"):
            raise RuntimeError("cannot read this one")
        return {"lines": data.count(b"\n")}

    def aggregate(self, ctx: Any, files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"total": sum(f.get("lines", 0) for f in files.values()), "files": files}
