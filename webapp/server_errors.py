"""Errors gunicorn answers itself (before the app sees a request), as problem+json.

A request line over ``limit_request_line`` (4094 bytes), headers over their
limits, or bytes that are not HTTP never reach Flask: gunicorn answers them
with an HTML page. The worker class here answers them in RFC 9457
``application/problem+json`` like every other error of the API, with a fixed
detail that never echoes what the client sent.
"""
from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from .problems import PROBLEM_MIMETYPE, TYPE_BASE

_DETAILS = {
    400: ("invalid-http", "the request is not valid HTTP"),
    403: ("forbidden", "the request was refused"),
    414: ("request-line-too-long", "the request line (method, path and query) is too long"),
    417: ("expectation-failed", "the Expect header cannot be met"),
    431: ("headers-too-large", "the request headers are too large or too many"),
    500: ("internal-server-error", "an internal error occurred"),
    501: ("not-implemented", "the transfer coding is not supported"),
}


def problem_bytes(status: int, reason: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document for ``status``."""
    kind, detail = _DETAILS.get(status, ("error", reason))
    body = json.dumps({"type": TYPE_BASE + kind, "title": reason, "status": status, "detail": detail}).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_MIMETYPE}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


def write_problem(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """Drop-in for ``gunicorn.util.write_error``: the same response, as problem+json."""
    util.write_nonblock(sock, problem_bytes(int(status_int), reason))


class ProblemThreadWorker(ThreadWorker):
    """gunicorn's gthread worker, answering its own errors in problem+json."""

    def init_process(self) -> None:
        util.write_error = write_problem  # this worker process only; gunicorn calls it for every error it answers
        super().init_process()
