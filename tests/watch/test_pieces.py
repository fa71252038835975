"""The small parts: intervals, match keys, refs, secrets, ls-remote output."""
from __future__ import annotations

from typing import Any

import pytest
from cryptography.fernet import Fernet

from coe_framework.watch.intervals import format_interval, parse_interval
from coe_framework.watch.keys import match_key
from coe_framework.watch.registry import WatchError, backoff_delay, check_ref
from coe_framework.watch.remote import parse_listing, ref_patterns
from coe_framework.watch.secrets import SecretKeyError, check_secret, decrypt_secret, encrypt_secret, hash_secret, same
from coe_framework.watch.settings import WatchConfigError, WatchSettings


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("30m", 1800), ("1h", 3600), ("1d", 86400), ("1h30m", 5400), ("120", 120)])
def test_intervals(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds
    assert parse_interval(format_interval(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "5s", "31d", "1 h", "1x", "h", "-1h", "1h-", "9" * 50])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


@pytest.mark.parametrize(
    "url",
    ["https://GitHub.com/Org/App.git", "https://github.com/org/app", "https://github.com:443/org/app/",
     "git@github.com:org/app.git", "ssh://git@github.com/org/app.git", "git://github.com/org/app.git",
     "https://user:token@github.com/org/app.git"],
)
def test_every_spelling_of_a_repository_has_one_key(url: str) -> None:
    assert match_key(url) == "github.com/org/app"


def test_keys_keep_what_tells_repositories_apart() -> None:
    assert match_key("https://git.example.org:8443/a/b.git") == "git.example.org:8443/a/b"
    assert match_key("https://github.com/org/app") != match_key("https://github.com/org/app2")
    assert match_key("/srv/repos/app.git") == "/srv/repos/app"


@pytest.mark.parametrize("ref", ["main", "release/1.2", "v1.0", "HEAD", "refs/heads/main"])
def test_good_refs(ref: str) -> None:
    assert check_ref(ref) == ref


@pytest.mark.parametrize("ref", ["-x", "a..b", "a b", "a~1", "x^", "a:b", "a\x00", "/a", "a/", "a.lock", "a//b", "0" * 40])
def test_bad_refs(ref: str) -> None:
    with pytest.raises(WatchError):
        check_ref(ref)


def test_secrets_round_trip_and_refuse_the_wrong_key() -> None:
    key = Fernet.generate_key().decode()
    token = encrypt_secret("a-secret-of-sixteen", key)
    assert "a-secret" not in token and decrypt_secret(token, key) == "a-secret-of-sixteen"
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        decrypt_secret(token, Fernet.generate_key().decode())
    with pytest.raises(SecretKeyError, match="not a Fernet key"):
        encrypt_secret("a-secret-of-sixteen", "short")
    with pytest.raises(SecretKeyError, match="not set"):
        encrypt_secret("a-secret-of-sixteen", None)
    assert same(hash_secret("x"), hash_secret("x")) and not same(hash_secret("x"), hash_secret("y"))
    with pytest.raises(ValueError):
        check_secret("short")


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_delay(n, 600, 3000) for n in range(1, 6)] == [600, 1200, 2400, 3000, 3000]


def test_listing_parse() -> None:
    output = (b"ref: refs/heads/trunk\tHEAD\n" + b"a" * 40 + b"\tHEAD\n" + b"b" * 40 + b"\trefs/heads/main\n"
              + b"c" * 40 + b"\trefs/tags/main\n" + b"d" * 40 + b"\trefs/tags/v1\n" + b"e" * 40 + b"\trefs/tags/v1^{}\n")
    head = parse_listing("HEAD", output)
    assert head.commit == "a" * 40 and head.branch == "trunk"
    assert parse_listing("main", output).commit == "b" * 40  # a branch wins over a tag of the same name
    assert parse_listing("v1", output).commit == "e" * 40  # an annotated tag: the commit it points at
    assert parse_listing("nope", output).commit is None
    assert ref_patterns("main") == ["refs/heads/main", "refs/tags/main"] and ref_patterns("HEAD") == ["HEAD"]


def test_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert WatchSettings.from_env({}).enabled is True
    assert WatchSettings.from_env({"COE_WATCH_SCHEDULER": "off"}).enabled is False
    assert WatchSettings.from_env({"COE_WEBHOOK_MAX_BYTES": "4096"}).webhook_max_bytes == 4096
    for name, value in [("COE_WATCH_SCHEDULER", "maybe"), ("COE_WATCH_CONCURRENCY", "0"), ("COE_WATCH_TICK_SECONDS", "x")]:
        with pytest.raises(WatchConfigError, match=name):
            WatchSettings.from_env({name: value})


def test_a_server_that_never_answers_times_out() -> None:
    import socket

    from coe_framework.repository.sources import SourcePolicy, parse_source
    from coe_framework.watch.remote import ls_remote

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)  # accepts connections, never answers a byte
    try:
        source = parse_source(f"https://127.0.0.1:{listener.getsockname()[1]}/x.git", SourcePolicy(allow_private_hosts=True))
        head = ls_remote(source, "main", timeout=1.5)
    finally:
        listener.close()
    assert head.commit is None and "timed out after 2s" in head.error


def test_a_flood_of_matching_refs_is_cut_off(make_repo: Any) -> None:
    from coe_framework.repository.sources import parse_source
    from coe_framework.watch.remote import MAX_OUTPUT, ls_remote

    repo = make_repo(files={"a.py": "x = 1\n"})
    head = repo.head  # a git call each time it is read
    lines = [f"{head} refs/tags/t{i:06d}/refs/heads/main" for i in range(MAX_OUTPUT // 60 + 2000)]
    (repo.path / ".git" / "packed-refs").write_text("# pack-refs with: peeled fully-peeled sorted\n" + "\n".join(sorted(lines)) + "\n")
    found = ls_remote(parse_source(str(repo.path)), "main")
    assert found.commit is None and "printed more than" in found.error
