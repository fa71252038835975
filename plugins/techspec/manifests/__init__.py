"""Manifest and lock file parsers, one module per ecosystem family.

Every parser is a :class:`ManifestParser`; other plugins add their own
through the ``coe_techspec_manifest_parsers`` hook.
"""
from __future__ import annotations

from . import javascript, jvm, native, php_dotnet, python, ruby
from .base import ManifestParser, ManifestSource

__all__ = ["ManifestParser", "ManifestSource", "builtin_parsers"]


def builtin_parsers() -> list[ManifestParser]:
    """The parsers that ship with techspec, in a stable order."""
    return [*python.PARSERS, *javascript.PARSERS, *jvm.PARSERS, *native.PARSERS, *ruby.PARSERS, *php_dotnet.PARSERS]
