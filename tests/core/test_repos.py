"""Repository sources are hostile input: a table of what is accepted and refused."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from coe_framework.repository.sources import SourceError, SourcePolicy, open_repository, parse_source, redact_url, resolve_ref
from coe_framework.testing.gitrepo import GitRepo

OFFLINE = SourcePolicy(resolve_hosts=False)  # no DNS in tests: host names are checked as written
SERVER = SourcePolicy(allow_local=False, resolve_hosts=False)


def test_https_url_is_accepted_and_credentials_are_not_kept() -> None:
    source = parse_source("https://user:s3cret@example.com/org/project.git", SERVER)
    assert source.kind == "remote"
    assert source.url == "https://example.com/org/project.git"
    assert source.name == "project"
    assert "s3cret" not in repr(source) and "s3cret" not in str(source)
    assert source.auth_header and source.auth_header.startswith("Authorization: Basic ")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("ext::sh -c touch% pwned", "remote helper transport"),
        ("file:///etc", "scheme 'file' is not allowed"),
        ("--upload-pack=touch pwned", "looks like a command-line option"),
        ("http://169.254.169.254/", "scheme 'http' is not allowed"),
        ("https://169.254.169.254/latest", "link-local address"),
        ("https://127.0.0.1/x", "loopback address"),
        ("https://localhost/x", "loopback address"),
        ("https://10.1.2.3/x", "private address"),
        ("https://[::1]/x", "loopback address"),
        ("https://[::ffff:127.0.0.1]/x", "loopback address"),
        ("ssh://git@example.com/x.git", "ssh repository URLs are not enabled"),
        ("git@example.com:org/x.git", "ssh repository URLs are not enabled"),
        ("fd::17/foo", "remote helper transport"),
        ("https://-oProxyCommand=x/y", "command-line option"),
        ("/srv/repos/project", "local paths are not allowed"),
        ("", "empty"),
        ("https://example.com/x\n--upload-pack=y", "control characters"),
    ],
)
def test_refused_sources_say_why(target: str, reason: str) -> None:
    with pytest.raises(SourceError, match=reason):
        parse_source(target, SERVER)


def test_ssh_only_when_enabled() -> None:
    policy = SourcePolicy(allow_local=False, allow_ssh=True, resolve_hosts=False)
    assert parse_source("git@example.com:org/x.git", policy).name == "x"
    assert parse_source("ssh://git@example.com/org/y.git", policy).name == "y"
    with pytest.raises(SourceError, match="loopback"):
        parse_source("git@127.0.0.1:org/x.git", policy)


def test_server_reads_only_allowed_directories(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo("allowed/inside", files={"a": "1"})
    outside = make_repo("elsewhere", files={"a": "1"})
    policy = SourcePolicy(allowed_dirs=(repo.path.parent.resolve(),), resolve_hosts=False)
    assert parse_source(str(repo.path), policy).path == repo.path.resolve()
    with pytest.raises(SourceError, match="outside the directories"):
        parse_source(str(outside.path), policy)
    with pytest.raises(SourceError, match="outside the directories"):
        parse_source(str(repo.path / ".." / ".." / "elsewhere"), policy)


def test_server_policy_from_environment(tmp_path: Path) -> None:
    policy = SourcePolicy.for_server({"COE_ALLOWED_DIRS": str(tmp_path), "COE_ALLOW_SSH": "1"})
    assert policy.allow_local and policy.allow_ssh and policy.allowed_dirs == (tmp_path.resolve(),)
    assert not SourcePolicy.for_server({}).allow_local


def test_local_repository_errors_are_one_line(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        open_repository(str(tmp_path / "missing"), policy=OFFLINE)
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(SourceError, match="is not a Git repository"):
        open_repository(str(plain), policy=OFFLINE)
    empty = make_repo("empty")
    with pytest.raises(SourceError, match="repository is empty"):
        open_repository(str(empty.path), policy=OFFLINE)
    repo = make_repo(files={"a.txt": "1"})
    with pytest.raises(SourceError, match="unknown ref 'nope'"):
        open_repository(str(repo.path), "nope", policy=OFFLINE)
    with pytest.raises(SourceError, match="invalid ref"):
        open_repository(str(repo.path), "--output=/tmp/x", policy=OFFLINE)
    (repo.path / "sub").mkdir()
    with pytest.raises(SourceError, match="not the top of a Git repository"):
        open_repository(str(repo.path / "sub"), policy=OFFLINE)


def test_refs_resolve_to_commits(make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.txt": "1"})
    first = repo.head
    repo.tag("v1")
    repo.commit({"a.txt": "2"}, message="second", author=("Bob", "bob@example.com"))
    prepared = open_repository(str(repo.path), policy=OFFLINE)
    assert prepared.commit == repo.head and prepared.default_branch == "main"
    assert prepared.author == "Bob <bob@example.com>" and prepared.message == "second"
    assert resolve_ref(prepared.git_dir, "v1") == ("v1", first)


def test_repository_config_cannot_run_code(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"a.txt": "1"})
    marker = tmp_path / "pwned"
    repo.git("config", "core.fsmonitor", f"touch {marker}")
    repo.git("config", "core.pager", f"touch {marker}")
    repo.git("config", "diff.external", f"touch {marker}")
    open_repository(str(repo.path), policy=OFFLINE)
    from coe_framework.plugin.context import list_files

    list_files(repo.path / ".git", repo.head)
    assert not marker.exists()


def test_redact_url_keeps_host_and_port() -> None:
    assert redact_url("https://u:p@[::1]:8443/x") == "https://[::1]:8443/x"
    assert redact_url("https://example.com/x") == "https://example.com/x"
