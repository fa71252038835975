"""Edges of the HTTP API: huge ids, huge request lines, loose booleans, the event stream's shape."""
from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Iterator

import jsonschema
import pytest

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisRequest, Repository, RepositoryAnalysis, utcnow
from tests.webapp.conftest import sqlite_web  # noqa: F401 - a fixture, used through `web`

pytestmark = pytest.mark.hostile

BEYOND_64_BITS = "99999999999999999999"


@pytest.fixture
def web(sqlite_web: Any) -> Any:
    """The app on a migrated SQLite database (the web tests' own fixture)."""
    return sqlite_web


def _int_routes(app: Any) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if "<int:" not in rule.rule:
            continue
        path = re.sub(r"<[^>]+>", "git", re.sub(r"<int:[^>]+>", BEYOND_64_BITS, rule.rule))
        routes.extend((method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"}))
    return routes


def test_an_id_beyond_64_bits_is_404_on_every_route(web: Any) -> None:
    client = web.app.test_client()
    headers = {"Authorization": f"Bearer {web.tokens['admin']}"}
    routes = _int_routes(web.app)
    assert ("DELETE", f"/api/v1/analyses/{BEYOND_64_BITS}") in routes
    assert client.post("/dashboard/sign-in", data={"token": web.tokens["admin"]}).status_code == 303
    for method, path in routes:
        response = client.open(path, method=method, headers=headers, json={} if method in ("POST", "PUT", "PATCH") else None)
        # The dashboard answers its own 404 page; every other route a problem.
        expected = "text/html" if path.startswith("/dashboard/") else "application/problem+json"
        assert (response.status_code, response.mimetype) == (404, expected), (method, path)


@pytest.mark.parametrize("value", [0, 1, "true", "false", None, [], {}])
def test_is_active_must_be_a_json_boolean(web: Any, value: Any) -> None:
    client = web.as_("write")
    created = client.post("/api/v1/flows", json={"name": f"flow-{abs(hash(repr(value))) % 10**6}", "is_active": value})
    assert created.status_code == 422 and created.mimetype == "application/problem+json"
    assert [e["field"] for e in created.get_json()["errors"]] == ["is_active"]
    ok = client.post("/api/v1/flows", json={"name": "flow-ok", "is_active": False})
    assert ok.status_code == 201 and ok.get_json()["is_active"] is False
    patched = client.patch(f"/api/v1/flows/{ok.get_json()['id']}", json={"is_active": value},
                           headers={"Content-Type": "application/merge-patch+json"})
    if value is None:  # JSON null in a merge patch: "leave it"
        assert patched.status_code == 200
    else:
        assert patched.status_code == 422 and [e["field"] for e in patched.get_json()["errors"]] == ["is_active"]


def _seed(web: Any, status: str, message: str | None) -> int:
    with unit_of_work(web.engine) as session:
        repo = Repository(url=f"https://example.org/edges-{status}.git", name="edges")
        session.add(repo)
        session.flush()
        request = AnalysisRequest(repositories=[{"url": repo.url, "name": "edges", "ref": None}], status=status, source="api",
                                  progress=1.0 if status == "succeeded" else 0.5, progress_message=message,
                                  finished_at=utcnow() if status == "succeeded" else None)
        session.add(request)
        session.flush()
        session.add(RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha="b" * 40, status=status, ref="main"))
        return int(request.id)


def _events(body: str) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for block in body.strip().split("\n\n"):
        lines = [ln for ln in block.splitlines() if not ln.startswith(":")]
        if not lines:
            continue
        name = next(ln[len("event: "):] for ln in lines if ln.startswith("event: "))
        data = json.loads(next(ln[len("data: "):] for ln in lines if ln.startswith("data: ")))
        events.append((name, data))
    return events


def test_event_stream_matches_its_openapi_schema(web: Any) -> None:
    spec = web.app.test_client().get("/openapi.json").get_json()
    media = spec["paths"]["/api/v1/analyses/{analysis_id}/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]
    validator = jsonschema.Draft202012Validator({**media["x-event-data"], "components": spec["components"]})
    client = web.as_("read")
    for status, message in (("running", "ast: 3/10 files"), ("succeeded", "stale: should not show")):
        analysis = _seed(web, status, message)
        body = client.get(f"/api/v1/analyses/{analysis}/events").get_data(as_text=True)
        events = _events(body)
        assert events and {name for name, _ in events} <= set(media["x-event-names"])
        for _name, data in events:
            validator.validate(data)
        assert events[-1][0] == ("done" if status == "succeeded" else "timeout")
        assert events[0][1]["progress_message"] == (message if status == "running" else None)


def test_a_finished_analysis_keeps_no_progress_message(web: Any) -> None:
    from coe_framework.analysis.process_store import store_for

    store = store_for(web.engine)
    analysis = _seed(web, "running", "git: 10/20 commits")
    assert store.update_request(analysis, status="succeeded", progress=1.0, expect_status=("running",))
    assert store.get_analysis(analysis)["progress_message"] is None
    assert web.as_("read").get(f"/api/v1/analyses/{analysis}").get_json()["progress_message"] is None


# --- what gunicorn answers itself, through a real `coe serve` ----------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[int]:
    from tests.webapp.conftest import migrate

    url = f"sqlite:///{tmp_path / 'served.sqlite3'}"
    migrate(url)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "COE_DEBUG"}
    env.update(COE_DATABASE_URL=url, COE_FLOWS_DIR=str(tmp_path / "flows"), COE_EXECUTOR="inline")
    proc = subprocess.Popen([sys.executable, "-m", "coe_framework", "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", "1", "--threads", "2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"coe serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            try:
                if _raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")[0] == 200:
                    break
            except OSError:
                time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        proc.wait(30)


def _raw(port: int, request: bytes) -> tuple[int, str, bytes]:
    """Send raw bytes; (status, content type, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    return int(lines[0].split()[1]), headers.get("content-type", ""), body


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"GET /api/v1/analyses?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 20000 + b"\r\n\r\n", 431),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n", 400),
    ],
)
def test_what_gunicorn_refuses_is_problem_json(served: int, request_bytes: bytes, status: int) -> None:
    code, media, body = _raw(served, request_bytes)
    assert code == status and media == "application/problem+json"
    problem = json.loads(body)
    assert problem["status"] == status and problem["type"].startswith("https://coe.invalid/problems/")
    assert b"aaaa" not in body and b"bbbb" not in body  # nothing the client sent is echoed
