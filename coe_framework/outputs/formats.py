"""An export format and its options: what a plugin gives ``coe_register_export_formats``.

The types a plugin builds (:class:`ExportFormat`, :class:`ExportOption`), the
errors a format raises, and how rendered content is encoded for a file or a
response body. :mod:`coe_framework.outputs.registry` collects the formats.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, Union

from ..errors import BadInput, NotFound

#: The framework's own formats are attributed to this plugin name.
CORE_PLUGIN = "coe"
NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
OPTION_TYPES = ("float", "int", "str", "choice")

#: What ``render`` returns: text, bytes, text in pieces (streamed to files), or a
#: JSON document (a dict or list), which each channel encodes its own way.
Rendered = Union[str, bytes, Iterable[str], Mapping[str, Any], list[Any]]


class ExportError(BadInput, ValueError):
    """A format or an option that cannot be used (bad input: one line on the CLI, 422 over HTTP)."""


class UnknownFormat(NotFound, ExportError):
    """No loaded plugin registers a format of that name."""


@dataclass(frozen=True)
class ExportOption:
    """One option of a format, given as ``NAME=VALUE`` on the CLI and as a query parameter over HTTP.

    ``type`` is ``float``, ``int``, ``str`` or ``choice`` (one of ``choices``);
    ``minimum`` bounds numbers; an option without a value takes ``default``.
    """

    name: str
    type: str = "str"
    default: Any = None
    help: str = ""
    minimum: float | None = None
    choices: tuple[str, ...] = ()

    def parse(self, value: Any) -> Any:
        """``value`` (a string, or an already typed value) checked and converted; :class:`ExportError` otherwise."""
        if value is None:
            return self.default
        try:
            if self.type == "float":
                parsed: Any = float(value)
                if not math.isfinite(parsed):
                    raise ValueError
            elif self.type == "int":
                if isinstance(value, float) and not value.is_integer():
                    raise ValueError
                parsed = int(value)
            else:
                parsed = str(value)
        except (TypeError, ValueError):
            raise ExportError(f"option '{self.name}' must be a{'n integer' if self.type == 'int' else ' number'}, not {str(value)[:40]!r}") from None
        if self.type == "choice" and parsed not in self.choices:
            raise ExportError(f"option '{self.name}' must be one of {', '.join(self.choices)}, not {parsed[:40]!r}")
        if self.minimum is not None and parsed < self.minimum:
            raise ExportError(f"option '{self.name}' must be at least {self.minimum:g}")
        return parsed

    def describe(self) -> dict[str, Any]:
        """The option as plain data (for ``coe export --list`` and the API)."""
        return {"name": self.name, "type": self.type, "default": self.default, "help": self.help,
                "minimum": self.minimum, "choices": list(self.choices)}


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    ``name`` is lowercase letters, digits, ``-`` and ``_``, unique across
    plugins; ``suffix`` is the file name suffix (``.sarif``); ``analyzers``
    are the results ``render`` reads (None: all of them), so only those are
    loaded; ``render(source, options)`` returns the content (see
    :data:`Rendered`) and may raise :class:`ExportError` or the source's
    :class:`~coe_framework.outputs.source.ExportUnavailable`.
    """

    name: str
    media_type: str
    suffix: str
    render: Callable[[Any, Mapping[str, Any]], Rendered]
    analyzers: tuple[str, ...] | None = None
    description: str = ""
    options: tuple[ExportOption, ...] = ()
    #: The plugin that registered the format (set by the registry).
    plugin: str = field(default="", compare=False)

    def parse_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared option, from ``given`` or its default; an unknown name is an :class:`ExportError`."""
        known = {option.name: option for option in self.options}
        unknown = sorted(set(given) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ExportError(f"format '{self.name}' has no option '{unknown[0]}' (its options: {names})")
        return {name: option.parse(given.get(name)) for name, option in known.items()}

    @property
    def is_text(self) -> bool:
        """True for ``text/*`` media types, which are served with ``charset=utf-8``."""
        return self.media_type.startswith("text/")

    def describe(self) -> dict[str, Any]:
        """The format as plain data (for ``coe export --list`` and ``GET /api/v1/export-formats``)."""
        return {"name": self.name, "media_type": self.media_type, "suffix": self.suffix, "description": self.description,
                "analyzers": None if self.analyzers is None else list(self.analyzers), "plugin": self.plugin,
                "options": [option.describe() for option in self.options]}


# --- encoding -------------------------------------------------------------------------


def is_document(content: Rendered) -> bool:
    """True when ``render`` returned a JSON document rather than text or bytes."""
    return isinstance(content, (Mapping, list))


def file_chunks(content: Rendered) -> Iterator[str | bytes]:
    """The content as a file holds it: a JSON document indented by two spaces with a final newline."""
    if is_document(content):
        yield json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    elif isinstance(content, (str, bytes)):
        yield content
    else:
        yield from content


def content_bytes(content: Rendered, encode_document: Callable[[Any], bytes]) -> bytes:
    """The content as one body; a JSON document is encoded with ``encode_document`` (the API's compact JSON)."""
    if is_document(content):
        return encode_document(content)
    if isinstance(content, bytes):
        return content
    if isinstance(content, str):
        return content.encode("utf-8")
    return "".join(content).encode("utf-8")


def parse_pairs(pairs: Sequence[str]) -> dict[str, str]:
    """``NAME=VALUE`` strings as a mapping; :class:`ExportError` for one without ``=``."""
    found: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ExportError(f"option '{pair}' must look like NAME=VALUE")
        found[name.strip()] = value
    return found
