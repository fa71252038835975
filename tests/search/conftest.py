"""Fixtures: a small generated repository analysed with the built-in plugins, and a toy embedder."""
from __future__ import annotations

import hashlib
import math
from typing import Any, Callable

import pytest

from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.search.tokenize import terms

RETRY = '''"""HTTP calls that survive flaky networks."""
import time


class RetryPolicy:
    """How often and how long to wait between attempts."""

    def __init__(self, attempts=3, base_delay=0.5):
        self.attempts = attempts
        self.base_delay = base_delay

    def delay_for(self, attempt):
        return self.base_delay * 2 ** attempt


def call_with_backoff(fn, policy):
    for attempt in range(policy.attempts):
        try:
            return fn()
        except ConnectionError:
            time.sleep(policy.delay_for(attempt))
    raise ConnectionError("gave up")
'''
BLUEPRINTS = '''"""The web application factory."""


def register_blueprints(app, blueprints):
    """Attach every blueprint under its url prefix."""
    for blueprint in blueprints:
        app.register(blueprint, prefix=blueprint.url_prefix)
    return app


def create_app(settings):
    return register_blueprints(object(), settings.get("blueprints", []))
'''
KAFKA = '''"""Events to and from the message broker."""


def consume_orders(kafka_consumer, handle):
    """Read order events from the Kafka topic and hand each to handle()."""
    for message in kafka_consumer:
        handle(message.value)
'''
README = "# Shop\n\nA small shop service.\n\n## Deployment\n\nRun it behind nginx with gunicorn.\n"

FILES = {"shop/retry.py": RETRY, "shop/web/app.py": BLUEPRINTS, "shop/events.py": KAFKA, "README.md": README}


class ToyEmbedder:
    """A deterministic provider: hashed bag of code-aware terms, unit length (a real model stands in for this)."""

    name = "toy:bag-of-terms-64"

    def __init__(self, fail: bool = False):
        self.calls: list[int] = []
        self.fail = fail

    @staticmethod
    def vector(text: str) -> list[float]:
        out = [0.0] * 64
        for term in terms(text):
            out[int(hashlib.sha256(term.encode()).hexdigest(), 16) % 64] += 1.0
        norm = math.sqrt(sum(v * v for v in out)) or 1.0
        return [v / norm for v in out]

    @hookimpl
    def coe_embedding_model(self) -> str:
        return self.name

    @hookimpl
    def coe_embed_documents(self, documents: list[dict[str, Any]]) -> None:
        if self.fail:
            raise TimeoutError("the embedding service did not answer in time")
        self.calls.append(len(documents))
        for document in documents:
            document["embedding"] = self.vector(document["text"])
            document["metadata"]["embedding_model"] = self.name


@pytest.fixture
def shop_repo(make_repo: Callable[..., Any]) -> Any:
    return make_repo("shop", files=FILES)


@pytest.fixture
def make_manager() -> Callable[..., Any]:
    from coe_framework.testing.environment import build_manager

    def factory(*extra: tuple[str, Any]) -> Any:
        return build_manager(builtins=["ast", "techspec"], objects=list(extra))

    return factory


@pytest.fixture
def analyse(store: Any) -> Callable[..., Any]:
    """Analyse repositories into ``store``; returns the report."""
    from coe_framework.analysis.service import analyze_repositories

    def run(manager: Any, *paths: str) -> Any:
        return analyze_repositories(manager, list(paths), workers=1, store=store)

    return run
