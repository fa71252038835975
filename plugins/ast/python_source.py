"""Decoding Python source bytes the way the interpreter does.

PEP 263 encoding cookies and a UTF-8 byte-order mark decide the encoding;
without either, UTF-8 is assumed (PEP 3120).
"""
from __future__ import annotations

import io
import tokenize


class SourceDecodeError(ValueError):
    """The bytes cannot be decoded with the encoding the file declares."""


def decode_python_source(data: bytes) -> str:
    """Return the text of a Python file given its bytes.

    Raises :class:`SourceDecodeError` with one line when the declared encoding
    is unknown or the bytes are not valid in it.
    """
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:  # unknown codec or a BOM that contradicts the cookie
        raise SourceDecodeError(f"cannot determine the encoding: {exc.msg}") from None
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceDecodeError(f"not valid {encoding}: {exc.reason if hasattr(exc, 'reason') else exc}") from None
