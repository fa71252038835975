"""Analysis results to RAG documents: collection, ids, metadata, embeddings, JSONL.

After an analysis, :func:`build_documents` asks every plugin implementing
``coe_rag_documents`` for documents about one repository, plugin by plugin,
so each document is attributed to the plugin that made it and one failing
plugin never costs the others their documents. The framework adds its own
repository overview (:mod:`coe_framework.outputs.rag.overview`) under the plugin
name ``coe``.

Ids are stable: ``sha256(repository URL, commit, plugin, key)``, so the same
commit always gives the same ids and a retrieval index can upsert.

Every document's metadata carries :data:`METADATA_KEYS` (``None`` where a
key does not apply, e.g. the line range of a summary), and every value is a
JSON scalar so any vector store accepts it.

Document kinds made by the built-ins: ``overview``, ``techspec``,
``git_summary``, ``code`` and ``docs``; plugins may add their own.
"""
from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import IO, Any, Callable, Iterable, Mapping

from ...errors import BadInput, one_line
from ...plugin.rag_helpers import truncate

log = logging.getLogger(__name__)

#: Metadata every document carries, in this order.
METADATA_KEYS = (
    "document_id", "kind", "repository_url", "repository_name", "commit_sha",
    "path", "line_start", "line_end", "language", "analyzer", "plugin",
)
#: The framework's own contributions are attributed to this plugin name.
CORE_PLUGIN = "coe"
#: A document's text is cut (with a marker) beyond this many characters.
MAX_DOCUMENT_CHARS = 32_000
#: Documents kept from one plugin for one repository; the rest are dropped with a note.
MAX_DOCUMENTS_PER_PLUGIN = 50_000
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
#: Record layouts for JSONL export: both loaders at once, or one of them.
RECORD_LAYOUTS = ("jsonl", "langchain", "llamaindex")

Scalar = str | int | float | bool | None


class DocumentError(BadInput, ValueError):
    """A plugin registered a document the contract does not allow.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


class DocumentLimitReached(Exception):
    """Raised inside ``register`` once a plugin reached :data:`MAX_DOCUMENTS_PER_PLUGIN`."""


def document_id(repository_url: str, commit: str, plugin: str, key: str) -> str:
    """The stable id of a document: the same inputs give the same id on every run."""
    raw = "\0".join((repository_url, commit, plugin, key)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(raw).hexdigest()


@dataclass
class Document:
    """One retrieval document: text plus flat metadata, attributed to a plugin."""

    id: str
    kind: str
    text: str
    metadata: dict[str, Scalar]
    plugin: str
    key: str
    embedding: list[float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The stored form: ``id``, ``kind``, ``text``, ``metadata`` (and ``embedding``)."""
        data: dict[str, Any] = {"id": self.id, "kind": self.kind, "text": self.text, "metadata": dict(self.metadata)}
        if self.embedding is not None:
            data["embedding"] = list(self.embedding)
        return data


@dataclass
class DocumentSet:
    """The documents of one repository and the plugins that failed to contribute."""

    documents: list[Document] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def _scalar_metadata(metadata: Any) -> dict[str, Scalar]:
    if metadata is None:
        return {}
    if not isinstance(metadata, Mapping):
        raise DocumentError("metadata must be a mapping")
    clean: dict[str, Scalar] = {}
    for name, value in metadata.items():
        if not isinstance(name, str):
            raise DocumentError("metadata keys must be strings")
        if value is not None and not isinstance(value, (str, int, float, bool)):
            raise DocumentError(f"metadata '{name}' must be a string, number, boolean or null, not {type(value).__name__}")
        if isinstance(value, float) and value != value:  # NaN is not JSON
            value = None
        clean[name] = value
    return clean


class _Collector:
    """The ``register`` callback handed to one plugin."""

    def __init__(self, repository: Mapping[str, Any], plugin: str):
        self.repository = repository
        self.plugin = plugin
        self.documents: list[Document] = []
        self.keys: set[str] = set()

    def __call__(self, *, text: str, metadata: Mapping[str, Any] | None = None, kind: str, key: str) -> None:
        if len(self.documents) >= MAX_DOCUMENTS_PER_PLUGIN:
            raise DocumentLimitReached(f"stopped at {MAX_DOCUMENTS_PER_PLUGIN} documents (the cap per plugin and repository)")
        if not isinstance(text, str) or not text.strip():
            raise DocumentError("text must be a non-empty string")
        if not isinstance(kind, str) or not KIND_PATTERN.match(kind):
            raise DocumentError(f"kind {kind!r} must be lowercase letters, digits and underscores")
        if not isinstance(key, str) or not key:
            raise DocumentError("key must be a non-empty string")
        if key in self.keys:
            raise DocumentError(f"key {key!r} registered twice (keys must be unique per plugin)")
        self.keys.add(key)
        repo = self.repository
        doc_id = document_id(str(repo.get("url", "")), str(repo.get("commit", "")), self.plugin, key)
        extra = _scalar_metadata(metadata)
        body, cut = truncate(text, MAX_DOCUMENT_CHARS, "document")
        standard: dict[str, Scalar] = {
            "document_id": doc_id,
            "kind": kind,
            "repository_url": repo.get("url"),
            "repository_name": repo.get("name"),
            "commit_sha": repo.get("commit"),
            "path": extra.pop("path", None),
            "line_start": extra.pop("line_start", None),
            "line_end": extra.pop("line_end", None),
            "language": extra.pop("language", None),
            "analyzer": extra.pop("analyzer", None),
            "plugin": self.plugin,
        }
        for reserved in ("document_id", "kind", "repository_url", "repository_name", "commit_sha", "plugin"):
            extra.pop(reserved, None)
        if cut:
            extra["truncated"] = True
        self.documents.append(Document(doc_id, kind, body, {**standard, **extra}, self.plugin, key))


def _contribute(
    repository: Mapping[str, Any],
    plugin: str,
    call: Callable[[_Collector], None],
    out: DocumentSet,
) -> None:
    """Run one contributor; on any error its documents are dropped and the error kept."""
    collector = _Collector(repository, plugin)
    try:
        call(collector)
    except DocumentLimitReached as exc:
        # Not the plugin's fault: keep what fits, say what was left out.
        out.errors[plugin] = str(exc)
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything
        out.errors[plugin] = one_line(exc)
        log.warning("plugin %s failed to contribute RAG documents: %s", plugin, out.errors[plugin])
        return
    out.documents.extend(collector.documents)


def _call_hookimpl(impl: Any, repository: Mapping[str, Any], results: Mapping[str, Any], register: _Collector) -> None:
    """Call one plugin's ``coe_rag_documents`` with just the arguments it names."""
    available = {"repository": repository, "results": results, "register": register}
    impl.function(**{name: available[name] for name in impl.argnames})


def build_documents(
    manager: Any,
    repository: Mapping[str, Any],
    results: Mapping[str, Any],
    *,
    embed: bool = True,
) -> DocumentSet:
    """Every document for one repository at one commit.

    ``repository`` holds ``url``, ``name``, ``commit`` and ``path`` (the git
    directory, or None when the files cannot be read); ``results`` maps an
    analyzer name to its payload. With ``embed``, embedding plugins
    (``coe_embed_documents``) may attach vectors afterwards.
    """
    from .overview import contribute_overview

    repo_view = MappingProxyType(dict(repository))
    results_view = MappingProxyType({name: data for name, data in results.items() if data is not None})
    out = DocumentSet()
    _contribute(repo_view, CORE_PLUGIN, lambda register: contribute_overview(repo_view, results_view, register), out)
    if manager is not None:
        caller = manager.hook.coe_rag_documents
        for impl in sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name):
            _contribute(repo_view, impl.plugin_name, functools.partial(_call_hookimpl, impl, repo_view, results_view), out)
    if embed and manager is not None and out.documents:
        attach_embeddings(manager, out.documents)
    return out


def attach_embeddings(manager: Any, documents: list[Document]) -> None:
    """Let ``coe_embed_documents`` plugins add vectors; malformed vectors are dropped."""
    if not manager.hook.coe_embed_documents.get_hookimpls():
        return
    payload: list[dict[str, Any]] = [{"id": d.id, "text": d.text, "metadata": dict(d.metadata)} for d in documents]
    manager.call_listeners("coe_embed_documents", documents=payload)
    for document, item in zip(documents, payload):
        vector = item.get("embedding")
        if isinstance(vector, (list, tuple)) and vector and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vector):
            document.embedding = [float(v) for v in vector]
            model = item.get("metadata", {}).get("embedding_model")
            if isinstance(model, str):
                document.metadata["embedding_model"] = model
        elif vector is not None:
            log.warning("embedding for document %s is not a list of numbers; ignored", document.id)


# --- JSONL records -----------------------------------------------------------------


def to_record(document: Mapping[str, Any] | Document, layout: str = "jsonl") -> dict[str, Any]:
    """A record that LangChain and/or LlamaIndex load directly.

    ``langchain``: ``{"id", "page_content", "metadata"}`` for
    ``langchain_core.documents.Document(**record)``. ``llamaindex``:
    ``{"id_", "text", "metadata", "embedding"}`` for
    ``llama_index.core.schema.TextNode(**record)``. ``jsonl`` (the default)
    carries both sets of keys, so one file feeds either (each loader ignores
    the other's keys), at the price of the text appearing twice.
    """
    data = document.to_dict() if isinstance(document, Document) else document
    if layout not in RECORD_LAYOUTS:
        raise ValueError(f"unknown record layout '{layout}' (choose from {', '.join(RECORD_LAYOUTS)})")
    metadata = dict(data.get("metadata") or {})
    record: dict[str, Any] = {}
    if layout in ("jsonl", "langchain"):
        record.update({"id": data["id"], "page_content": data["text"], "metadata": metadata})
    if layout in ("jsonl", "llamaindex"):
        record.update({"id_": data["id"], "text": data["text"], "metadata": metadata})
        if data.get("embedding") is not None:
            record["embedding"] = data["embedding"]
    return record


def write_jsonl(documents: Iterable[Mapping[str, Any] | Document], handle: IO[str], layout: str = "jsonl") -> int:
    """Write one record per line; returns how many were written."""
    count = 0
    for document in documents:
        handle.write(json.dumps(to_record(document, layout), ensure_ascii=False, sort_keys=True) + "\n")
        count += 1
    return count
