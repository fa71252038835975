"""Export formats: what plugins register through ``coe_register_export_formats``.

An :class:`ExportFormat` names a format, its media type and file suffix, the
analyzers whose results it reads, the options it takes, and a ``render``
function from a stored analysis (:class:`~coe_framework.outputs.source.ExportSource`)
to its content. The CLI (``coe export --format NAME``, ``coe sarif``, ``coe
report``, ``coe rag export``) and the web API (``/api/v1/analyses/{id}/exports/{name}``
and the older per-format routes) find formats here, so neither names the
plugin that provides one.

The framework's own formats (:mod:`coe_framework.outputs.builtin`: SARIF,
the Markdown report, RAG JSON Lines) are a hook implementation like any
plugin's, collected first under the plugin name ``coe``.
"""
from __future__ import annotations

import weakref
from dataclasses import replace
from typing import Any

from .builtin import coe_register_export_formats
from .formats import CORE_PLUGIN, NAME_PATTERN, OPTION_TYPES, ExportFormat, UnknownFormat


def _check(fmt: Any) -> ExportFormat:
    if not isinstance(fmt, ExportFormat):
        raise TypeError("register() expects an ExportFormat")
    if not NAME_PATTERN.match(fmt.name):
        raise ValueError(f"export format name {fmt.name!r} must be lowercase letters, digits, '-' and '_'")
    if "/" not in fmt.media_type or not fmt.suffix.startswith("."):
        raise ValueError(f"export format '{fmt.name}' needs a media type (type/subtype) and a suffix starting with '.'")
    if not callable(fmt.render):
        raise ValueError(f"export format '{fmt.name}' has no render function")
    for option in fmt.options:
        if option.type not in OPTION_TYPES:
            raise ValueError(f"option '{option.name}' of format '{fmt.name}' has an unknown type {option.type!r}")
    return fmt


_cache: "weakref.WeakKeyDictionary[Any, tuple[frozenset[int], dict[str, ExportFormat]]]" = weakref.WeakKeyDictionary()


def export_formats(manager: Any) -> dict[str, ExportFormat]:
    """Every export format by name: the framework's own, then each plugin's.

    A format that does not meet the contract, or takes a name already taken,
    is recorded as a load error of the plugin that registered it and left out.
    Collected once per set of loaded plugins.
    """
    plugins = frozenset(id(p) for p in manager.pm.get_plugins()) if manager is not None else frozenset()
    cached = _cache.get(manager) if manager is not None else None
    if cached is not None and cached[0] == plugins:
        return cached[1]
    found: dict[str, ExportFormat] = {}

    def record(plugin: str, item: Any) -> None:
        fmt = _check(item)
        if fmt.name in found:
            raise ValueError(f"export format '{fmt.name}' is already registered by plugin '{found[fmt.name].plugin}'")
        found[fmt.name] = replace(fmt, plugin=plugin)

    coe_register_export_formats(lambda item: record(CORE_PLUGIN, item))
    if manager is not None:
        manager.collect("coe_register_export_formats", record)
        _cache[manager] = (plugins, found)
    return found


def get_format(manager: Any, name: str) -> ExportFormat:
    """The format called ``name``; :class:`UnknownFormat` names the known ones."""
    formats = export_formats(manager)
    try:
        return formats[name]
    except KeyError:
        raise UnknownFormat(f"unknown export format '{name}' (available: {', '.join(sorted(formats)) or 'none'})") from None
