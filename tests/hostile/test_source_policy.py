"""Hostile repository sources: refused before any connection, and git never goes elsewhere.

Every address form here is refused by the policy itself (no DNS: names are
resolved through a patched resolver), and no git process is started for a
refused source. The loopback HTTPS Git server proves the two transfer pins:
a redirect is not followed, and git connects to the address CoE checked,
never resolving the name itself.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from coe_framework.repository import addresses
from coe_framework.repository.sources import MAX_URL_LENGTH, SourceError, SourcePolicy, open_repository, parse_source
from coe_framework.testing.gitrepo import GitRepo
from tests.core.git_https_server import GitHttpsServer, make_certificate, openssl_available

pytestmark = pytest.mark.hostile

SERVER = SourcePolicy(allow_local=False)


@pytest.fixture
def no_git(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Fail the test if any process is started (a refused source must never reach git)."""
    started: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Any:
        started.append(args)
        raise AssertionError(f"a process was started for a refused source: {args!r}")

    monkeypatch.setattr(subprocess, "Popen", refuse)
    return started


def fake_dns(monkeypatch: pytest.MonkeyPatch, table: dict[str, list[str]]) -> list[str]:
    """Resolve names from ``table`` only; any other lookup fails the test (no real DNS)."""
    asked: list[str] = []

    def getaddrinfo(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        asked.append(host)
        if host not in table:
            raise AssertionError(f"unexpected DNS lookup of {host!r}")
        return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 0)) for a in table[host]]

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)
    return asked


REFUSED_HOSTS = [
    # shared address space (cloud metadata lives here), the case that used to pass
    ("100.100.100.200", "shared"),
    ("100.64.0.1", "shared"),
    # loopback in every spelling the C library and curl accept
    ("127.0.0.1", "loopback"),
    ("127.1", "loopback"),
    ("2130706433", "loopback"),
    ("0177.0.0.1", "loopback"),
    ("0x7f.0.0.1", "loopback"),
    ("0x7f000001", "loopback"),
    ("017700000001", "loopback"),
    ("localhost", "loopback"),
    ("api.localhost", "loopback"),
    ("[::1]", "loopback"),
    ("[0:0:0:0:0:0:0:1]", "loopback"),
    # IPv6 forms that carry an IPv4 address
    ("[::ffff:127.0.0.1]", "loopback"),
    ("[::ffff:7f00:1]", "loopback"),
    ("[::ffff:100.100.100.200]", "shared"),
    ("[2002:7f00:1::]", "loopback"),
    ("[2002:a9fe:a9fe::1]", "link-local"),
    ("[64:ff9b::a9fe:a9fe]", "link-local"),
    ("[64:ff9b::10.0.0.1]", "private"),
    ("[64:ff9b:1::a00:1]", "NAT64"),
    ("[::10.0.0.1]", "private"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "carried in"),
    # the rest of the non-public space
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("192.168.1.1", "private"),
    ("169.254.169.254", "link-local"),
    ("[fe80::1]", "link-local"),
    ("[fd00::1]", "private"),
    ("0.0.0.0", "unspecified"),
    ("[::]", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("[ff02::1]", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "not allowed"),
    ("198.18.0.1", "not allowed"),
    ("192.0.2.1", "not allowed"),
    ("[2001:db8::1]", "not allowed"),
]


@pytest.mark.parametrize(("host", "reason"), REFUSED_HOSTS)
def test_non_public_hosts_are_refused_before_any_connection(host: str, reason: str, no_git: list[Any],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {})  # literals need no lookup; names other than localhost fail the test
    with pytest.raises(SourceError, match="not allowed") as refused:
        open_repository(f"https://{host}/org/x.git", policy=SERVER)
    assert reason in str(refused.value) and "\n" not in str(refused.value)
    assert no_git == []


@pytest.mark.parametrize(
    "answers",
    [["100.100.100.200"], ["93.184.216.34", "10.0.0.7"], ["2606:4700::1111", "::ffff:169.254.169.254"], ["64:ff9b::7f00:1"]],
)
def test_a_name_is_refused_when_any_of_its_addresses_is_not_public(answers: list[str], no_git: list[Any],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    asked = fake_dns(monkeypatch, {"git.example.org": answers})
    with pytest.raises(SourceError, match="'git.example.org' is .* and is not allowed"):
        open_repository("https://git.example.org/org/x.git", policy=SERVER)
    assert asked == ["git.example.org"] and no_git == []


def test_a_public_name_is_pinned_to_the_addresses_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"git.example.org": ["93.184.216.34", "2606:2800:220:1::248"]})
    source = parse_source("https://git.example.org:8443/org/x.git", SERVER)
    assert source.resolve_pin == "git.example.org:8443:93.184.216.34,[2606:2800:220:1::248]"
    assert parse_source("https://93.184.216.34/org/x.git", SERVER).resolve_pin is None  # a literal needs no pin


def test_operators_may_allow_private_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_dns(monkeypatch, {"git.internal": ["100.100.1.2"]})
    policy = SourcePolicy.for_server({"COE_ALLOW_PRIVATE_HOSTS": "1"})
    assert parse_source("https://100.100.100.200/x.git", policy).url == "https://100.100.100.200/x.git"
    assert parse_source("https://git.internal/x.git", policy).resolve_pin == "git.internal:443:100.100.1.2"


@pytest.mark.parametrize(
    ("source", "reason"),
    [
        ("ext::sh -c touch% /tmp/pwned", "remote helper"),
        ("fd::17/x", "remote helper"),
        ("transport::https://93.184.216.34/x", "remote helper"),
        ("--upload-pack=touch /tmp/pwned", "command-line option"),
        ("-c core.sshCommand=x", "command-line option"),
        ("https://-oProxyCommand=x/y", "command-line option"),
        ("https://93.184.216.34/-x", "command-line option"),
        ("ssh://-oProxyCommand=x/y", "ssh repository URLs are not enabled"),
        ("file:///etc", "scheme 'file' is not allowed"),
        ("http://93.184.216.34/x.git", "scheme 'http' is not allowed"),
        ("git://93.184.216.34/x.git", "scheme 'git' is not allowed"),
        ("https://93.184.216.34/x\tgit", "control characters"),
        ("https://93.184.216.34/x\x1b[31m.git", "control characters"),
        ("https://93.184.216.34/x\x7f.git", "control characters"),
        ("https://93.184.216.34/x\x85.git", "control characters"),
        ("https://93.184.216.34/x\u202e.git", "control characters"),
        ("https://93.184.216.34/x.git\t", "control characters"),
        ("https://93.184.216.34/x\0.git", "control characters"),
        ("https://93.184.216.34/" + "a" * MAX_URL_LENGTH, f"longer than {MAX_URL_LENGTH}"),
        ("https://93.184.216.34:99999/x", "invalid port"),
    ],
)
def test_hostile_urls_are_refused(source: str, reason: str, no_git: list[Any]) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_source(source, SourcePolicy(allow_local=False, resolve_hosts=False))
    assert no_git == []


def _coe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    run_env = {**os.environ, **(env or {})}
    run_env.pop("COE_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "coe_framework", *args], capture_output=True, text=True, env=run_env, timeout=120)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("https://100.100.100.200/x.git", "shared"),
        ("https://0x7f000001/x.git", "loopback"),
        ("https://93.184.216.34/x\tgit", "control characters"),
        ("https://93.184.216.34/" + "a" * 3000, "longer than"),
    ],
)
def test_the_cli_refuses_in_one_line(url: str, reason: str) -> None:
    result = _coe("analyze", url)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("coe: error: ") and reason in lines[0], result.stderr


def test_the_api_refuses_shared_addresses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.webapp.conftest import build_web, migrate

    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    migrate(url)
    web = build_web(url, tmp_path)
    try:
        response = web.as_("write").post("/api/v1/analyses", json={"repositories": [{"url": "https://100.100.100.200/x.git"}]})
        assert response.status_code == 422 and response.mimetype == "application/problem+json"
        assert "shared" in response.get_json()["errors"][0]["message"]
        long = web.as_("write").post("/api/v1/analyses", json={"repositories": [{"url": "https://93.184.216.34/x\x1b.git"}]})
        assert long.status_code == 422 and "control characters" in long.get_json()["errors"][0]["message"]
        assert web.jobs.submitted == []
    finally:
        web.coe.shutdown()
        web.engine.dispose()


# --- the transfer itself, against a loopback HTTPS server --------------------------------


needs_openssl = pytest.mark.skipif(not openssl_available(), reason="needs the openssl command to make a test certificate")
PIN_ADDRESS = "127.0.0.2"  # any 127/8 address reaches the loopback interface on Linux
PIN_NAME = "git.coe-pin.test"  # a name no resolver knows: only the pin can take git to the server


def _publish(repo: GitRepo, bare: Path) -> None:
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(bare)], check=True)


@pytest.fixture
def https_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], GitHttpsServer]]:
    servers: list[GitHttpsServer] = []

    def start(address: str) -> GitHttpsServer:
        cert, key = make_certificate(tmp_path, names=[PIN_NAME], address=address)
        monkeypatch.setenv("COE_GIT_CA_BUNDLE", str(cert))
        root = tmp_path / "served"
        root.mkdir(exist_ok=True)
        server = GitHttpsServer(root, cert, key, address=address).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)


@needs_openssl
def test_a_redirect_is_not_followed(https_server: Callable[[str], GitHttpsServer], make_repo: Callable[..., GitRepo],
                                    tmp_path: Path) -> None:
    server = https_server("127.0.0.1")
    _publish(make_repo(files={"a.txt": "1\n"}), server.root / "project.git")
    server.redirects["/moved/"] = f"{server.url}/"
    policy = SourcePolicy(allow_local=False, allow_private_hosts=True)
    with pytest.raises(SourceError, match="git clone failed"):
        open_repository(f"{server.url}/moved/project.git", policy=policy, workspace=tmp_path / "mirrors")
    assert server.seen_paths and all(p.startswith("/moved/") for p in server.seen_paths)
    assert list((tmp_path / "mirrors").glob("*.git")) == []
    # the same repository without the redirect clones: the refusal was the redirect's
    assert open_repository(f"{server.url}/project.git", policy=policy, workspace=tmp_path / "mirrors").commit


@needs_openssl
def test_git_connects_to_the_address_checked_not_a_new_lookup(https_server: Callable[[str], GitHttpsServer],
                                                              make_repo: Callable[..., GitRepo], tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        server = https_server(PIN_ADDRESS)
    except OSError as exc:  # pragma: no cover - a kernel without the 127/8 loopback range
        pytest.skip(f"cannot listen on {PIN_ADDRESS}: {exc}")
    upstream = make_repo(files={"a.txt": "1\n"})
    _publish(upstream, server.root / "project.git")
    asked = fake_dns(monkeypatch, {PIN_NAME: [PIN_ADDRESS]})
    policy = SourcePolicy(allow_local=False, allow_private_hosts=True)  # loopback is the only place tests may reach
    url = f"https://{PIN_NAME}:{server.port}/project.git"
    first = open_repository(url, policy=policy, workspace=tmp_path / "mirrors")
    assert first.commit == upstream.head and asked == [PIN_NAME]
    assert first.source.resolve_pin == f"{PIN_NAME}:{server.port}:{PIN_ADDRESS}"
    # a fetch is pinned too: the name exists nowhere but in the checked answer
    upstream.commit({"a.txt": "2\n"})
    upstream.git("push", "-q", str(server.root / "project.git"), "main")
    second = open_repository(url, policy=policy, workspace=tmp_path / "mirrors")
    assert second.commit == upstream.head != first.commit
