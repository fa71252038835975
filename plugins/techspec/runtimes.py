"""Runtime and toolchain pins kept in their own small files (.python-version,
.nvmrc, rust-toolchain, .tool-versions, global.json, ...)."""
from __future__ import annotations

from typing import Callable

from .models import Runtime
from .safeload import load_json, load_toml
from .manifests.base import mapping, text_or_none


def _first_line(name: str) -> Callable[[str, str], list[Runtime]]:
    def read(path: str, text: str) -> list[Runtime]:
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                return [Runtime(name, line.removeprefix("v") if name == "node" else line, path)]
        return []
    return read


def _rust_toolchain(path: str, text: str) -> list[Runtime]:
    if path.endswith(".toml") or "[toolchain]" in text:
        channel = text_or_none(mapping(load_toml(text).get("toolchain")).get("channel"))
        return [Runtime("rust", channel, path)] if channel else []
    return _first_line("rust")(path, text)


def _tool_versions(path: str, text: str) -> list[Runtime]:
    """asdf/mise ``.tool-versions``: ``tool version [fallback...]`` per line."""
    found = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2:
            found.append(Runtime({"nodejs": "node", "golang": "go"}.get(words[0], words[0]), words[1], path))
    return found


def _global_json(path: str, text: str) -> list[Runtime]:
    version = text_or_none(mapping(mapping(load_json(text)).get("sdk")).get("version"))
    return [Runtime("dotnet-sdk", version, path)] if version else []


def _sdkmanrc(path: str, text: str) -> list[Runtime]:
    found = []
    for line in text.splitlines():
        key, sep, value = line.split("#", 1)[0].partition("=")
        if sep and key.strip() and value.strip():
            found.append(Runtime(key.strip(), value.strip(), path))
    return found


def _heroku_runtime(path: str, text: str) -> list[Runtime]:
    line = text.strip().splitlines()[0] if text.strip() else ""
    name, sep, version = line.partition("-")
    return [Runtime(name, version, path)] if sep and name in ("python", "ruby", "php", "node") else []


#: file name -> reader returning the runtimes it pins.
RUNTIME_FILES: dict[str, Callable[[str, str], list[Runtime]]] = {
    ".python-version": _first_line("python"),
    ".nvmrc": _first_line("node"),
    ".node-version": _first_line("node"),
    ".ruby-version": _first_line("ruby"),
    ".go-version": _first_line("go"),
    ".java-version": _first_line("java"),
    ".terraform-version": _first_line("terraform"),
    "rust-toolchain": _rust_toolchain,
    "rust-toolchain.toml": _rust_toolchain,
    ".tool-versions": _tool_versions,
    "global.json": _global_json,
    ".sdkmanrc": _sdkmanrc,
    "runtime.txt": _heroku_runtime,
}
