"""One-line descriptions of exceptions, for recorded errors and CLI messages."""
from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message ("" when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def one_line(exc: BaseException, suffix: str = "") -> str:
    """``Type: first line of the message`` plus ``suffix`` (just the type when the message is empty)."""
    text = first_line(exc)
    return f"{type(exc).__name__}: {text}{suffix}" if text else f"{type(exc).__name__}{suffix}"
