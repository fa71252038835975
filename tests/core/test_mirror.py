"""Remote repositories are mirrored once, fetched later, and credentials never stored."""
from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Callable, Iterator

import pytest

from coe_framework.repository.sources import SourceError, SourcePolicy, mirror, open_repository, parse_source
from coe_framework.testing.gitrepo import GitRepo

from .git_https_server import GitHttpsServer, make_certificate, openssl_available

pytestmark = pytest.mark.skipif(not openssl_available(), reason="needs the openssl command to make a test certificate")

LOOPBACK = SourcePolicy(allow_local=False, allow_private_hosts=True)


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHttpsServer]:
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("COE_GIT_CA_BUNDLE", str(cert))
    root = tmp_path / "served"
    (root / "private").mkdir(parents=True)
    with GitHttpsServer(root, cert, key) as running:
        yield running


def publish(repo: GitRepo, bare: Path) -> None:
    if not bare.exists():
        subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)
    else:
        repo.git("push", "-q", str(bare), "main")


def test_mirror_then_fetch(server: GitHttpsServer, make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    upstream = make_repo(files={"a.txt": "1\n"})
    bare = server.root / "project.git"
    publish(upstream, bare)
    workspace = tmp_path / "mirrors"
    first = open_repository(f"{server.url}/project.git", policy=LOOPBACK, workspace=workspace)
    assert first.commit == upstream.head and first.source.name == "project"
    assert first.git_dir.parent == workspace

    upstream.commit({"a.txt": "2\n"})
    publish(upstream, bare)
    second = open_repository(f"{server.url}/project.git", policy=LOOPBACK, workspace=workspace)
    assert second.git_dir == first.git_dir  # the same mirror, fetched
    assert second.commit == upstream.head != first.commit


def test_credentials_are_used_but_never_stored(server: GitHttpsServer, make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    upstream = make_repo(files={"a.txt": "1\n"})
    publish(upstream, server.root / "private" / "secret.git")
    workspace = tmp_path / "mirrors"
    with pytest.raises(SourceError, match="git clone failed"):
        open_repository(f"{server.url}/private/secret.git", policy=LOOPBACK, workspace=workspace)
    prepared = open_repository(f"https://user:secret@127.0.0.1:{server.url.rsplit(':', 1)[1]}/private/secret.git",
                               policy=LOOPBACK, workspace=workspace)
    assert prepared.commit == upstream.head
    assert "secret@" not in prepared.source.url
    stored = "".join(p.read_text(errors="replace") for p in prepared.git_dir.rglob("*") if p.is_file() and p.stat().st_size < 100_000)
    assert "user:secret" not in stored and "dXNlcjpzZWNyZXQ=" not in stored
    assert server.seen_auth  # the header did reach the server


def test_size_cap_stops_a_clone_and_leaves_nothing(server: GitHttpsServer, make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    import os

    upstream = make_repo(files={"big.bin": os.urandom(3 * 1024 * 1024)})
    publish(upstream, server.root / "big.git")
    workspace = tmp_path / "mirrors"
    source = parse_source(f"{server.url}/big.git", LOOPBACK)
    with pytest.raises(SourceError, match="larger than the 1 MiB limit"):
        mirror(source, workspace, max_bytes=1024 * 1024)
    assert not [p for p in workspace.iterdir() if p.suffix == ".git"]


def test_unreachable_host_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="git clone failed"):
        open_repository("https://127.0.0.1:9/nothing.git", policy=LOOPBACK, workspace=tmp_path)
