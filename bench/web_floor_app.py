"""The floor for bench/web_bench.py: the smallest WSGI app, served by the same gunicorn settings.

It answers every request with a fixed JSON body, so its throughput is what
gunicorn and the load generator can do on this machine with no framework,
database or logging in between.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

BODY = b'{"items":[],"next_cursor":null}'


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]
