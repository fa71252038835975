"""A plugin module for job tests, loaded by path (COE_PLUGIN_MODULES) in worker processes too.

``jobcount`` is quick and deterministic; ``jobslow`` sleeps in small steps,
checking for cancellation, so tests can cancel or kill a worker mid-job.
"""
from __future__ import annotations

import time
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.hookspecs import hookimpl


class CountResult(BaseModel):
    files: int
    bytes: int


class JobCount(Analyzer):
    name = "jobcount"
    version = "1"
    Result = CountResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        files = ctx.regular_files()
        return {"files": len(files), "bytes": sum(f.size for f in files)}


class SlowOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = 0.5


class JobSlow(Analyzer):
    name = "jobslow"
    version = "1"
    Options = SlowOptions
    timeout = 60.0

    def analyze(self, ctx: Any) -> dict[str, Any]:
        deadline = time.monotonic() + ctx.options.seconds
        while time.monotonic() < deadline:
            ctx.check_cancelled()
            time.sleep(0.02)
        return {"slept": ctx.options.seconds}


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(JobCount())
    register(JobSlow())
