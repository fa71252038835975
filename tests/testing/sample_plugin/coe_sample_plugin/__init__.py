"""A third-party CoE plugin that implements every hook, the way an outside author would."""
from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any, Callable

import click
from pydantic import BaseModel, ConfigDict

from coe_framework.plugin.contract import Analyzer
from coe_framework.plugin.hookspecs import hookimpl

#: When set, lifecycle events are appended to this file as JSON lines.
EVENTS_ENV = "COE_SAMPLE_EVENTS"


class ExtensionOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    top: int = 10


class ExtensionResult(BaseModel):
    model_config = ConfigDict(extra="forbid")
    files: int
    extensions: dict[str, int]


class Extensions(Analyzer):
    """Counts tracked regular files by extension."""

    name = "extensions"
    version = "1.2"
    description = "Files by extension"
    Options = ExtensionOptions
    Result = ExtensionResult

    def analyze(self, ctx: Any) -> dict[str, Any]:
        counts: Counter[str] = Counter()
        for index, entry in enumerate(ctx.regular_files()):
            if index % 100 == 0:
                ctx.check_cancelled()
            counts[entry.extension or "(none)"] += 1
        top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[: ctx.options.top]
        return {"files": sum(counts.values()), "extensions": dict(top)}

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"files": data["files"], "kinds": len(data["extensions"])}


@hookimpl
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """The extensions analyzer."""
    register(Extensions())


@hookimpl
def coe_register_commands(register: Callable[[Any], None]) -> None:
    """``coe sample-hello``."""

    @click.command("sample-hello")
    @click.argument("who", default="world")
    def hello(who: str) -> None:
        """Greet from the sample plugin."""
        click.echo(f"hello {who} from the sample plugin")

    register(hello)


@hookimpl
def coe_register_routes(register: Callable[[Any], None]) -> None:
    """``GET /plugins/sample/hello``."""
    from flask import Blueprint

    blueprint = Blueprint("sample", __name__)

    @blueprint.get("/hello")
    def hello() -> dict[str, str]:
        return {"hello": "from the sample plugin"}

    register(blueprint)


@hookimpl
def coe_rag_documents(repository: dict[str, Any], results: dict[str, Any], register: Callable[..., None]) -> None:
    """One document describing the file mix."""
    data = results.get("extensions")
    if not data:
        return
    mix = ", ".join(f"{count} {ext}" for ext, count in data["extensions"].items())
    register(
        text=f"{repository['name']} tracks {data['files']} files: {mix}.",
        metadata={"analyzer": "extensions", "commit": repository.get("commit")},
        kind="file_mix",
        key="file-mix",
    )


@hookimpl
def coe_embed_documents(documents: list[dict[str, Any]]) -> None:
    """A toy embedding: text length and vowel share (real plugins call a model)."""
    for document in documents:
        text = document["text"]
        vowels = sum(ch in "aeiou" for ch in text.lower())
        document["embedding"] = [float(len(text)), vowels / max(1, len(text))]
        document["metadata"]["embedding_model"] = "sample-toy"


def _record(event: dict[str, Any]) -> None:
    path = os.environ.get(EVENTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event) + "\n")


@hookimpl
def coe_analysis_started(analysis: dict[str, Any]) -> None:
    """Record the start event."""
    _record({"event": "started", "analyzers": analysis["analyzers"]})


@hookimpl
def coe_analysis_finished(analysis: dict[str, Any], status: str) -> None:
    """Record the end event."""
    _record({"event": "finished", "status": status, "errors": analysis.get("errors", {})})
