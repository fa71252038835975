"""A repository on a loopback Git server, watched, pushed to and re-analyzed through a signed webhook."""
from __future__ import annotations

import hashlib
import hmac
import json
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from cryptography.fernet import Fernet

from coe_framework.db.models import utcnow
from coe_framework.jobs.executors import JobRuntime
from coe_framework.queue.settings import JobSettings
from coe_framework.plugin.manager import get_manager
from coe_framework.testing.gitrepo import GitRepo
from coe_framework.watch.scheduler import WatchScheduler
from coe_framework.watch.settings import WatchSettings
from tests.core.git_https_server import GitHttpsServer, make_certificate, openssl_available

SECRET = "an-end-to-end-webhook-secret"
pytestmark = pytest.mark.skipif(not openssl_available(), reason="needs the openssl command for the loopback TLS server")


@pytest.fixture
def git_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[GitHttpsServer, Path]]:
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("COE_GIT_CA_BUNDLE", str(cert))
    monkeypatch.setenv("COE_ALLOW_PRIVATE_HOSTS", "1")  # the server is on loopback
    monkeypatch.setenv("COE_WEBHOOK_SECRET_KEY", Fernet.generate_key().decode())
    root = tmp_path / "served"
    root.mkdir()
    with GitHttpsServer(root, cert, key) as running:
        yield running, cert


def push(repo: GitRepo, url: str, cert: Path) -> None:
    """``git push`` over smart HTTP to the loopback server."""
    repo.git("-c", f"http.sslCAInfo={cert}", "push", "-q", url, "main")


def test_push_webhook_analysis_stored(web: Any, git_server: tuple[GitHttpsServer, Path], make_repo: Callable[..., GitRepo],
                                      tmp_path: Path) -> None:
    server, cert = git_server
    upstream = make_repo(files={"app.py": "def f():\n    return 1\n"})
    bare = server.root / "app.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream.path), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
    url = f"{server.url}/app.git"

    runtime = JobRuntime(JobSettings(executor="inline"), web.coe.store, get_manager())
    ran: list[str] = []
    web.coe.submit = lambda request_id: ran.append(runtime.run_request(request_id, "test").status)

    created = web.as_("write").post("/api/v1/watches", json={"url": url, "ref": "main", "analyzers": ["git"], "secret": SECRET})
    assert created.status_code == 201, created.get_json()
    watch_id = created.get_json()["id"]

    # The first scheduler pass finds the ref and analyzes it.
    scheduler = WatchScheduler(web.engine, WatchSettings(concurrency=2), submit=web.coe.submit)
    first = scheduler.run_once()
    assert first is not None and list(first.queued) == [watch_id] and ran == ["succeeded"]

    # A push, then the host's signed delivery: the pushed commit is analyzed.
    before = upstream.head
    upstream.commit({"app.py": "def f():\n    return 2\n", "util.py": "X = 1\n"}, message="second")
    push(upstream, url, cert)
    payload = {"ref": "refs/heads/main", "before": before, "after": upstream.head,
               "repository": {"clone_url": url, "default_branch": "main"}}
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
               "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    response = web.client.post("/api/v1/hooks/github", data=body, headers=headers, content_type="application/json")
    assert response.status_code == 202, response.get_json()
    analysis_id = response.get_json()["analyses"][0]
    assert ran == ["succeeded", "succeeded"]

    analysis = web.as_("read").get(f"/api/v1/analyses/{analysis_id}").get_json()
    assert analysis["status"] == "succeeded"
    results = web.as_("read").get(f"/api/v1/analyses/{analysis_id}/results/git").get_json()["results"]
    assert len(results) == 1 and results[0]["status"] == "succeeded"
    history = web.as_("read").get("/api/v1/repositories").get_json()["items"]
    assert [r["url"] for r in history] == [url]
    commits = [a["commit"] for a in web.as_("read").get(f"/api/v1/repositories/{history[0]['id']}/analyses").get_json()["items"]]
    assert commits[0] == upstream.head and len(commits) == 2

    shown = web.as_("read").get(f"/api/v1/watches/{watch_id}").get_json()
    assert shown["last_commit"] == upstream.head and shown["last_request_id"] == analysis_id

    # A later pass with nothing new submits nothing.
    later = WatchScheduler(web.engine, WatchSettings(), submit=web.coe.submit, clock=lambda: utcnow() + timedelta(hours=2),
                           owner=scheduler.lease.owner)
    report = later.run_once()
    assert report is not None and report.unchanged == [watch_id] and report.queued == {} and len(ran) == 2


def test_a_repository_that_moves_or_vanishes_backs_off(web: Any, git_server: tuple[GitHttpsServer, Path],
                                                       make_repo: Callable[..., GitRepo]) -> None:
    server, _cert = git_server
    upstream = make_repo(files={"a.txt": "1\n"})
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream.path), str(server.root / "gone.git")], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream.path), str(server.root / "new-home.git")], check=True)
    ids = {}
    for name in ("gone", "moved"):
        created = web.as_("write").post("/api/v1/watches", json={"url": f"{server.url}/{name}.git", "ref": "main"})
        ids[name] = created.get_json()["id"]
    shutil.rmtree(server.root / "gone.git")
    server.redirects["/moved.git"] = f"{server.url}/new-home.git"
    report = WatchScheduler(web.engine, WatchSettings(concurrency=2), submit=web.coe.submit).run_once()
    assert report is not None and set(report.failed) == set(ids.values())
    for watch_id in ids.values():
        shown = web.as_("read").get(f"/api/v1/watches/{watch_id}").get_json()
        assert shown["last_outcome"] == "failed" and shown["failure_count"] == 1 and shown["backoff_seconds"] == 3600
        assert shown["last_error"].startswith("git ls-remote failed")
    assert web.jobs.submitted == []


def test_a_push_through_the_webhook_shows_in_the_trend_and_fails_the_gate(web: Any, git_server: tuple[GitHttpsServer, Path],
                                                                          make_repo: Callable[..., GitRepo]) -> None:
    from click.testing import CliRunner

    from coe_framework.cli.main import cli
    from tests.measures.test_trend_gate_history import SIMPLE, WORSE

    server, cert = git_server
    upstream = make_repo(files={"app.py": SIMPLE})
    bare = server.root / "app.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(upstream.path), str(bare)], check=True)
    subprocess.run(["git", "-C", str(bare), "config", "http.receivepack", "true"], check=True)
    url = f"{server.url}/app.git"
    runtime = JobRuntime(JobSettings(executor="inline"), web.coe.store, get_manager())
    web.coe.submit = lambda request_id: runtime.run_request(request_id, "test")
    created = web.as_("write").post("/api/v1/watches", json={"url": url, "ref": "main", "analyzers": ["ast", "git"], "secret": SECRET})
    assert created.status_code == 201, created.get_json()
    assert WatchScheduler(web.engine, WatchSettings(concurrency=1), submit=web.coe.submit).run_once() is not None

    before = upstream.head
    upstream.commit({"app.py": WORSE}, message="worse")
    push(upstream, url, cert)
    body = json.dumps({"ref": "refs/heads/main", "before": before, "after": upstream.head, "repository": {"clone_url": url}}).encode()
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": str(uuid.uuid4()),
               "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert web.client.post("/api/v1/hooks/github", data=body, headers=headers, content_type="application/json").status_code == 202

    repository_id = web.as_("read").get("/api/v1/repositories").get_json()["items"][0]["id"]
    trend = web.as_("read").get(f"/api/v1/repositories/{repository_id}/measures", query_string={"key": "mean_complexity"}).get_json()
    assert [(p["commit"], p["value"]) for p in trend["items"]] == [(upstream.head, round(26 / 3, 3)), (before, 1.5)]  # newest first

    # The CI job of the same push: coe gate on its checkout, against the commit before the push.
    env = {"COE_DATABASE_URL": web.engine.url.render_as_string(hide_password=False)}
    gate = CliRunner().invoke(cli, ["gate", str(upstream.path), "--baseline", before, "--condition", "delta(mean_complexity) <= 0",
                                    "--condition", "truck_factor >= 1"], env=env)
    assert gate.exit_code == 1, gate.output
    assert any(line.startswith("FAIL  delta(mean_complexity) <= 0") for line in gate.stdout.splitlines())
    assert any(line.startswith("PASS  truck_factor >= 1") for line in gate.stdout.splitlines())
