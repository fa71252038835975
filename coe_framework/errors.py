"""The errors CoE reports to people and programs, and one-line descriptions of exceptions.

Every error a user or client can act on is a :class:`CoeError` of one of four
kinds: :class:`BadInput` (fix what you sent), :class:`NotFound` (no such
thing), :class:`Conflict` (the thing is in a state that does not allow it)
and :class:`Unavailable` (something CoE needs is down: retry later). Each kind
is mapped once, in :data:`KINDS`, to the ``coe`` command's exit code and to
the HTTP status and RFC 9457 problem type of the web API. A module's own error
class derives from the kind it signals (and may keep ``ValueError`` as a second
base where callers catch that); a subclass that lists another kind first takes
that kind (``class NotFound(errors.NotFound, StoreError)``).

The message of a :class:`CoeError` is shown as it is, on the command line and
in problem details: one line, safe to show (no secrets, SQL or tracebacks).

This module is a leaf: it imports nothing from the rest of CoE.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

__all__ = [
    "KINDS", "BadInput", "CoeError", "Conflict", "ErrorKind", "NotFound", "Unavailable",
    "first_line", "is_retryable", "kind_of", "one_line",
]


class CoeError(Exception):
    """Base of every error CoE reports as one line; use one of its four kinds.

    ``field`` names the part of a request at fault, when one is (an option,
    a query parameter, a body field); None otherwise.
    """

    #: True when the same call may succeed later unchanged (a job is then retried).
    retryable: ClassVar[bool] = False
    field: str | None = None


class BadInput(CoeError):
    """The input cannot be used as given: a bad source, option, setting, cursor or file."""

    def __init__(self, message: str = "", *, field: str | None = None):
        super().__init__(message)
        if field is not None:
            self.field = field


class NotFound(CoeError):
    """The named thing (an analysis, a repository, a row) does not exist."""


class Conflict(CoeError):
    """The thing exists but its state does not allow this (already watched, still running)."""


class Unavailable(CoeError):
    """Something CoE depends on is down or busy; the same request may succeed later."""

    retryable: ClassVar[bool] = True


@dataclass(frozen=True)
class ErrorKind:
    """How one kind of error leaves CoE: on the command line and over HTTP."""

    #: The kind's name, as docs and logs spell it.
    name: str
    #: Exit code of the ``coe`` command.
    exit_code: int
    #: HTTP status of the problem response.
    status: int
    #: Last segment of the RFC 9457 problem ``type`` URI.
    problem_type: str


#: The one mapping of error kinds to exit codes and problem types. Exit code 2
#: is what the ``coe`` command has always used for input a user can fix; 75 is
#: sysexits' EX_TEMPFAIL ("try again later"). The problem types are the ones the
#: API gives the same statuses elsewhere.
KINDS: dict[type[CoeError], ErrorKind] = {
    BadInput: ErrorKind("bad input", exit_code=2, status=422, problem_type="validation-failed"),
    NotFound: ErrorKind("not found", exit_code=2, status=404, problem_type="not-found"),
    Conflict: ErrorKind("conflict", exit_code=2, status=409, problem_type="conflict"),
    Unavailable: ErrorKind("unavailable", exit_code=75, status=503, problem_type="service-unavailable"),
}


def kind_of(exc: BaseException) -> ErrorKind | None:
    """The kind of ``exc``: the first of :data:`KINDS` in its class's MRO (None for any other exception)."""
    by_class: dict[type, ErrorKind] = dict(KINDS)
    for cls in type(exc).__mro__:
        if cls in by_class:
            return by_class[cls]
    return None


def is_retryable(exc: BaseException) -> bool:
    """True for a :class:`CoeError` whose call may succeed later unchanged."""
    return isinstance(exc, CoeError) and exc.retryable


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message ("" when it has none)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


def one_line(exc: BaseException, suffix: str = "") -> str:
    """``Type: first line of the message`` plus ``suffix`` (just the type when the message is empty)."""
    text = first_line(exc)
    return f"{type(exc).__name__}: {text}{suffix}" if text else f"{type(exc).__name__}{suffix}"
