"""Analyzers that misbehave on purpose, loaded through COE_PLUGIN_MODULES.

``faulty`` is a file analyzer whose behaviour follows the file name: ``crash*``
segfaults its worker, ``hog*`` allocates without bound, ``spin*`` burns CPU
in Python, ``stuck*`` burns CPU inside one C call (PBKDF2) that no signal handler can interrupt, ``slow*`` sleeps; any other
file gives its size. ``greedy`` is a whole-repository analyzer that
allocates without bound.
"""
from __future__ import annotations

import ctypes
import hashlib
import os
import time
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer, FileAnalyzer
from coe_framework.plugin.hookspecs import hookimpl


class FaultyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    file_timeout: float = 300.0


def _allocate_forever() -> None:
    hoard = []
    while True:
        hoard.append(bytearray(64 * 1024 * 1024))


class Faulty(FileAnalyzer):
    name = "faulty"
    version = "1"
    Options = FaultyOptions

    def file_limits(self, options: BaseModel) -> tuple[int, float]:
        assert isinstance(options, FaultyOptions)
        return self.max_file_size, options.file_timeout

    def analyze_file(self, path: str, data: bytes, options: BaseModel) -> dict[str, Any]:
        name = os.path.basename(path)
        if name.startswith("crash"):
            ctypes.string_at(0)  # a read of address 0: SIGSEGV
        if name.startswith("hog"):
            _allocate_forever()
        if name.startswith("spin"):
            while True:
                pass
        if name.startswith("stuck"):
            hashlib.pbkdf2_hmac("sha256", b"key", b"salt", 200_000_000)  # minutes in C, no signal checks
        if name.startswith("slow"):
            time.sleep(120)
        return {"size": len(data)}


class Greedy(Analyzer):
    name = "greedy"
    version = "1"

    def analyze(self, ctx: Any) -> dict[str, Any]:
        _allocate_forever()
        return {}


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    register(Faulty())
    register(Greedy())
