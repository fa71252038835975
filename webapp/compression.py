"""Response compression (Flask-Compress) and the locally served API docs UI.

JSON, HTML, CSS and JavaScript are compressed when the client accepts it
(zstd, br, gzip or deflate, the client's preference first). Event streams are
left alone, so progress reaches the browser at once. A compressed response's
strong ETag gets the algorithm appended (``"abc:gzip"``) and a matching
``If-None-Match`` still answers 304.

Finished result documents are immutable and served again and again, some
of them megabytes long: each is compressed once per algorithm and the
compressed body kept (Flask-Compress's cache, keyed by the document's strong
ETag, so a changed document can never be served from it). A view marks a
response cacheable with :func:`compress_once`; every other response is
compressed as it goes.
"""
from __future__ import annotations

from typing import Any

from flask import Flask, Request, g
from flask_compress import Compress

from coe_framework.analysis.cache import MemoryCache

#: Media types worth compressing; everything the API and the dashboard send that is text.
COMPRESSED_TYPES = [
    "application/json",
    "application/problem+json",
    "application/sarif+json",
    "application/vnd.cyclonedx+json",
    "application/javascript",
    "text/javascript",
    "text/css",
    "text/html",
    "text/markdown",
    "text/plain",
    "image/svg+xml",
]

#: Where the app serves the vendored Swagger UI (see webapp/static/vendor and .ci/vendor-assets).
SWAGGER_UI_ASSETS = "/static/vendor/swagger-ui"


#: Key prefix of the responses whose compressed body is kept.
_ONCE = "etag="


def compress_once(etag: str) -> None:
    """Keep this response's compressed body, by algorithm and ``etag`` (a strong ETag of its exact bytes)."""
    g.compress_once_etag = etag


def _cache_key(request: Request) -> str:
    etag = g.get("compress_once_etag")
    return f"{_ONCE}{etag}" if etag else f"per-request:{id(request)}"


class CompressedBodies:
    """Flask-Compress's cache backend: keeps only bodies marked by :func:`compress_once`, at most
    ``max_entries`` of them (least recently used dropped first)."""

    def __init__(self, max_entries: int):
        self.cache = MemoryCache(max_entries=max_entries)

    def get(self, key: str) -> Any:
        return self.cache.get(key) if _ONCE in key else None

    def set(self, key: str, value: bytes) -> None:
        if _ONCE in key:
            self.cache.put(key, value)


def install(app: Flask, kept_bodies: int = 1024) -> None:
    """Compress responses and point the ``/docs`` page at the app's own Swagger UI files;
    keep up to ``kept_bodies`` compressed result documents."""
    bodies = app.extensions["coe_compressed_bodies"] = CompressedBodies(kept_bodies)
    app.config.update(
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_MIN_SIZE=500,
        COMPRESS_CACHE_BACKEND=lambda: bodies,
        COMPRESS_CACHE_KEY=_cache_key,
        SWAGGER_UI_CSS=f"{SWAGGER_UI_ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{SWAGGER_UI_ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{SWAGGER_UI_ASSETS}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{SWAGGER_UI_ASSETS}/favicon-32x32.png",
    )
    Compress(app)
