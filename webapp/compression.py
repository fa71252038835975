"""Response compression (Flask-Compress) and the locally served API docs UI.

JSON, HTML, CSS and JavaScript are compressed when the client accepts it
(zstd, br, gzip or deflate, the client's preference first). Event streams are
left alone, so progress reaches the browser at once. A compressed response's
strong ETag gets the algorithm appended (``"abc:gzip"``) and a matching
``If-None-Match`` still answers 304.
"""
from __future__ import annotations

from flask import Flask
from flask_compress import Compress

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


def install(app: Flask) -> None:
    """Compress responses and point the ``/docs`` page at the app's own Swagger UI files."""
    app.config.update(
        COMPRESS_MIMETYPES=COMPRESSED_TYPES,
        COMPRESS_MIN_SIZE=500,
        SWAGGER_UI_CSS=f"{SWAGGER_UI_ASSETS}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{SWAGGER_UI_ASSETS}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{SWAGGER_UI_ASSETS}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{SWAGGER_UI_ASSETS}/favicon-32x32.png",
    )
    Compress(app)
