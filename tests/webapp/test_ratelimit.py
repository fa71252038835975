"""The API's request budget: counting, waiting time, shared storage and its fallback."""
from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest

from coe_webapp.ratelimit import RateLimiter, RateLimitError


def test_budget_allows_the_limit_then_says_how_long_to_wait() -> None:
    limiter = RateLimiter("3 per minute")
    assert [limiter.retry_after("t:alice") for _ in range(3)] == [None, None, None]
    wait = limiter.retry_after("t:alice")
    assert wait is not None and 1 <= wait <= 60
    assert limiter.retry_after("t:bob") is None  # budgets are per caller


def test_counting_in_memory_starts_no_thread_per_request() -> None:
    limiter = RateLimiter("100000 per hour")
    limiter.retry_after("warm-up")
    before = threading.active_count()
    for n in range(300):
        limiter.retry_after(f"a:10.0.0.{n % 7}")
    assert threading.active_count() <= before


@pytest.mark.parametrize("text", ["", "lots", "10 per fortnight", "-3 per minute"])
def test_unusable_limit_is_one_line_error(text: str) -> None:
    with pytest.raises(RateLimitError, match="COE_RATE_LIMIT"):
        RateLimiter(text)


def test_unusable_limit_stops_start_up(web_database_url: str, tmp_path: Path) -> None:
    from coe_webapp.app import StartupError

    from .conftest import build_web

    with pytest.raises(StartupError, match="COE_RATE_LIMIT"):
        build_web(web_database_url, tmp_path, rate_limit="fast please")


def test_unreachable_shared_storage_falls_back_to_memory(caplog: pytest.LogCaptureFixture) -> None:
    # Port 9 (discard) on loopback: nothing listens, the connection is refused at once.
    limiter = RateLimiter("2 per minute", "redis://127.0.0.1:9/0")
    with caplog.at_level(logging.WARNING, logger="coe_webapp.ratelimit"):
        assert [limiter.retry_after("t:carol") for _ in range(3)][:2] == [None, None]
    assert not limiter.shared
    assert limiter.retry_after("t:carol") is not None  # the fallback still counts
    assert sum("unreachable" in r.getMessage() for r in caplog.records) == 1


def _redis_url() -> str:
    url = os.environ.get("COE_TEST_REDIS_URL", "").strip()
    if not url:
        pytest.skip("COE_TEST_REDIS_URL is not set: no Redis server to test against")
    return url


def test_workers_share_one_budget_in_redis() -> None:
    url = _redis_url()
    first, second = RateLimiter("3 per minute", url), RateLimiter("3 per minute", url)  # two worker processes
    key = f"t:{uuid.uuid4().hex}"
    answers = [first.retry_after(key), second.retry_after(key), first.retry_after(key), second.retry_after(key)]
    assert answers[:3] == [None, None, None] and answers[3] is not None
    assert first.shared and second.shared


def test_api_throttled_through_redis(web_database_url: str, tmp_path: Path) -> None:
    from .conftest import build_web

    web: Any = build_web(web_database_url, tmp_path, rate_limit="2 per minute", redis_url=_redis_url())
    client = web.as_("read")
    statuses = [client.get("/api/v1/plugins").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    web.app.extensions["coe"].shutdown()


def test_a_shared_storage_that_stops_answering_falls_back_to_memory() -> None:
    import socket

    with socket.socket() as silent:  # accepts connections (the kernel's backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        limiter = RateLimiter("5 per minute", f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        assert limiter.retry_after("t:dave") is None
        assert not limiter.shared


def test_unusable_storage_address_never_shows_its_password() -> None:
    with pytest.raises(RateLimitError) as caught:
        RateLimiter("5 per minute", "nosuchscheme://user:s3cret@cache.internal:6379/0")
    assert "s3cret" not in str(caught.value) and "COE_REDIS_URL" in str(caught.value)
