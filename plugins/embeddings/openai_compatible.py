"""Embeddings from an OpenAI-compatible ``/v1/embeddings`` endpoint (``COE_EMBEDDINGS_PROVIDER=openai``).

Settings: ``COE_EMBEDDINGS_URL`` (the API base such as
``https://api.example.com/v1``, or the full ``.../embeddings`` URL),
``COE_EMBEDDINGS_KEY`` (sent as a bearer token; optional for servers that
need none), ``COE_EMBEDDINGS_MODEL`` (required) and
``COE_EMBEDDINGS_REQUEST_TIMEOUT`` (seconds per request, default 30). The
request is ``{"model", "input": [texts]}``; the answer's ``data[].embedding``
are matched to inputs by ``index``.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from coe_framework.plugin_api import environ, hookimpl

from . import ProviderError, selected

NAME = "openai"
DEFAULT_REQUEST_TIMEOUT = 30.0
#: Texts are cut to this many characters (endpoints cap input tokens; code is dense).
MAX_INPUT_CHARS = 8000
#: Largest answer read, in bytes (a batch of 64 large vectors is a few MB).
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


def endpoint() -> str:
    """The embeddings URL from ``COE_EMBEDDINGS_URL``."""
    base = environ().get("COE_EMBEDDINGS_URL", "").strip()
    if not base.startswith(("http://", "https://")):
        raise ProviderError("COE_EMBEDDINGS_URL must be an http(s) URL of an OpenAI-compatible API")
    base = base.rstrip("/")
    return base if base.endswith("/embeddings") else base + "/embeddings"


def model_name() -> str:
    model = environ().get("COE_EMBEDDINGS_MODEL", "").strip()
    if not model:
        raise ProviderError("COE_EMBEDDINGS_MODEL must name the model to request")
    return model


def request_timeout() -> float:
    try:
        value = float(environ().get("COE_EMBEDDINGS_REQUEST_TIMEOUT", "") or DEFAULT_REQUEST_TIMEOUT)
    except ValueError:
        return DEFAULT_REQUEST_TIMEOUT
    return value if value > 0 else DEFAULT_REQUEST_TIMEOUT


def embed(texts: list[str]) -> list[list[float]]:
    """One request for ``texts``; the vectors in input order."""
    body = json.dumps({"model": model_name(), "input": [t[:MAX_INPUT_CHARS] for t in texts]}).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    key = environ().get("COE_EMBEDDINGS_KEY", "").strip()
    if key:
        headers["Authorization"] = f"Bearer {key}"
    request = urllib.request.Request(endpoint(), data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=request_timeout()) as response:  # noqa: S310 - operator-configured URL
            raw = response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise ProviderError(f"embeddings endpoint answered HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise ProviderError(f"embeddings endpoint unreachable: {getattr(exc, 'reason', exc)}") from None
    if len(raw) > MAX_RESPONSE_BYTES:
        raise ProviderError("embeddings endpoint answer is too large")
    try:
        data = json.loads(raw)["data"]
        vectors: list[Any] = [None] * len(texts)
        for item in data:
            vectors[int(item["index"])] = [float(v) for v in item["embedding"]]
    except (ValueError, KeyError, TypeError, IndexError):
        raise ProviderError("embeddings endpoint answer is not an OpenAI embeddings response") from None
    if any(v is None for v in vectors):
        raise ProviderError("embeddings endpoint answered fewer vectors than inputs")
    return vectors


@hookimpl
def coe_embedding_model() -> str | None:
    """``openai:<model>`` when this provider is selected."""
    if not selected(NAME):
        return None
    return f"{NAME}:{model_name()}"


@hookimpl
def coe_embed_documents(documents: list[dict[str, Any]]) -> None:
    """Embed ``documents`` with one request to the configured endpoint."""
    if not selected(NAME) or not documents:
        return
    model = f"{NAME}:{model_name()}"
    for document, vector in zip(documents, embed([d["text"] for d in documents])):
        document["embedding"] = vector
        document["metadata"]["embedding_model"] = model
