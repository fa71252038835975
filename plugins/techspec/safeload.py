"""Size- and shape-capped loaders for the structured formats manifests use.

Repository contents are hostile input: every loader here takes text or bytes
that were already size-capped by the caller, refuses documents nested deeper
than :data:`MAX_DEPTH` or (YAML) using more than :data:`MAX_ALIASES` aliases,
refuses XML with a DTD or entities (defusedxml), and turns every failure into
one :class:`ManifestError` with a one-line message, never a crash or a hang.
"""
from __future__ import annotations

import json
import tomllib
from typing import Any
from xml.etree.ElementTree import Element, ParseError

import yaml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as _xml_fromstring

#: Deepest nesting accepted in JSON, TOML and YAML documents.
MAX_DEPTH = 64
#: Most YAML aliases accepted in one stream (alias bombs expand exponentially).
MAX_ALIASES = 200
#: Most nodes a YAML document may hold once its aliases are expanded.
MAX_EXPANDED_NODES = 1_000_000
#: Most YAML documents read from one multi-document stream.
MAX_DOCUMENTS = 200


class ManifestError(ValueError):
    """A manifest could not be read; the message is one line for a finding."""


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300] if text else type(exc).__name__


def _depth(value: Any, limit: int = MAX_DEPTH) -> None:
    """Raise ManifestError when ``value`` nests deeper than ``limit`` (iterative)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if level > limit:
            raise ManifestError(f"nested deeper than {limit} levels")
        if isinstance(item, dict):
            stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, level + 1) for child in item)


def _raw_depth(text: str, openers: str, closers: str) -> None:
    """Cheap bracket-depth scan before a recursive parser sees the text.

    Brackets inside strings are counted too, which can only over-estimate, so
    the check is conservative but never lets a deep document through.
    """
    level = 0
    deepest = 0
    for char in text:
        if char in openers:
            level += 1
            if level > deepest:
                deepest = level
                if deepest > MAX_DEPTH * 4:
                    raise ManifestError(f"nested deeper than {MAX_DEPTH} levels")
        elif char in closers:
            level -= 1


def load_json(text: str) -> Any:
    """Parse JSON text; invalid or too deeply nested input raises ManifestError."""
    _raw_depth(text, "[{", "]}")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ManifestError(f"invalid JSON: {_one_line(exc)}") from None
    _depth(value)
    return value


def load_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; invalid or too deeply nested input raises ManifestError."""
    _raw_depth(text, "[{", "]}")
    try:
        value = tomllib.loads(text)
    except (tomllib.TOMLDecodeError, RecursionError, ValueError) as exc:
        raise ManifestError(f"invalid TOML: {_one_line(exc)}") from None
    _depth(value)
    return value


class _CappedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with caps on nesting depth and alias count."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._level = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise ManifestError(f"more than {MAX_ALIASES} YAML aliases")
        self._level += 1
        if self._level > MAX_DEPTH:
            raise ManifestError(f"nested deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)
        finally:
            self._level -= 1


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """Nodes a document holds once aliases are expanded (memoized, so cheap
    even for a billion-laughs document; depth is already capped)."""
    known = memo.get(id(node))
    if known is not None:
        return known
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(child, memo) for child in node.value)
    else:
        size = 1
    memo[id(node)] = size
    return size


def load_yaml_all(text: str) -> list[Any]:
    """Every document of a YAML stream (safe types only), capped as documented.

    Aliases are allowed (CI files use anchors) but a document whose expanded
    size passes :data:`MAX_EXPANDED_NODES` is refused, so consumers walking
    the data can never be made to loop over billions of shared nodes.
    """
    loader = _CappedLoader(text)
    documents: list[Any] = []
    try:
        while loader.check_node():
            if len(documents) >= MAX_DOCUMENTS:
                raise ManifestError(f"more than {MAX_DOCUMENTS} YAML documents")
            node = loader.get_node()
            if node is not None and _expanded_size(node, {}) > MAX_EXPANDED_NODES:
                raise ManifestError(f"YAML aliases expand to more than {MAX_EXPANDED_NODES} nodes")
            documents.append(loader.construct_document(node) if node is not None else None)
    except ManifestError:
        raise
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        raise ManifestError(f"invalid YAML: {_one_line(exc)}") from None
    finally:
        loader.dispose()
    return documents


def load_yaml(text: str) -> Any:
    """The first document of a YAML stream (None when empty)."""
    documents = load_yaml_all(text)
    return documents[0] if documents else None


def parse_xml(text: str | bytes) -> Element:
    """Parse XML refusing DTDs, entities and external references."""
    try:
        return _xml_fromstring(text, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise ManifestError(f"refused XML: {_one_line(exc)}") from None
    except (ParseError, ValueError, RecursionError) as exc:
        raise ManifestError(f"invalid XML: {_one_line(exc)}") from None


def local_name(element: Element) -> str:
    """An element's tag without its ``{namespace}``."""
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]
