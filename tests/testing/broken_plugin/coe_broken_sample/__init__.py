"""A plugin whose analyzer loads fine but breaks the contract in several ways at once."""
from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Callable

from pydantic import BaseModel

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.hookspecs import hookimpl


class SloppyOptions(BaseModel):
    depth: int = 1  # unknown keys silently accepted


class Sloppy(Analyzer):
    name = "sloppy"
    version = "0.0.1"
    Options = SloppyOptions

    def analyze(self, ctx: Any) -> dict[str, Any]:
        cache = Path.home() / ".sloppy-cache"
        cache.write_text("last run")  # writes outside its sandbox
        sizes = [entry.size for entry in ctx.regular_files()]  # never checks for cancellation
        return {
            "largest": max(sizes),  # crashes on an empty tree
            "sampled_at": random.random(),  # not deterministic
        }


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(Sloppy())
