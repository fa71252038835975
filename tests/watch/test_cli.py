"""``coe watch`` end to end in a subprocess: one line for every bad input, a pass that analyzes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from cryptography.fernet import Fernet

from coe_framework.testing.gitrepo import GitRepo
from tests.core.test_cli import assert_one_line_error, coe


def test_watch_add_list_check_remove(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    env = {"COE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}", "COE_WEBHOOK_SECRET_KEY": Fernet.generate_key().decode()}
    added = coe("watch", "add", str(repo.path), "--ref", "main", "--every", "2h", "-a", "git", "--generate-secret", env=env)
    assert added.returncode == 0, added.stderr
    lines = added.stdout.splitlines()
    assert lines[0].startswith("watch 1: ") and lines[0].endswith("ref main every 2h") and lines[1].startswith("whsec_")
    listed = json.loads(coe("watch", "list", "--json", env=env).stdout)["items"]
    assert listed[0]["has_secret"] is True and lines[1] not in json.dumps(listed)

    first = coe("watch", "check", "--run", "--json", env=env)
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["queued"] == {"1": 1}
    status = coe("jobs", "status", "--json", env=env)
    assert json.loads(status.stdout)["counts"]["succeeded"] == 1
    # Checked again at once (still due? no: due in 2h): nothing to do, and the lease was handed back.
    again = coe("watch", "check", env=env)
    assert again.returncode == 0 and again.stdout.startswith("checked 0:"), again.stderr
    table = coe("watch", "list", env=env).stdout
    assert repo.head[:12] in table and "queued" in table

    removed = coe("watch", "remove", str(repo.path), env=env)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert coe("watch", "list", env=env).stdout.strip() == "no watched repositories"


def test_bad_input_is_one_line(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    env = {"COE_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    assert coe("watch", "add", str(repo.path), env=env).returncode == 0
    secret_file = tmp_path / "secret"
    secret_file.write_text("long-enough-secret-value\n")
    cases = [
        (("watch", "add", str(repo.path)), "is already watched"),
        (("watch", "add", str(repo.path), "--ref", "dev", "--every", "1s"), "between 1 minute and 30 days"),
        (("watch", "add", "https://127.0.0.1/x.git"), "loopback"),
        (("watch", "add", "file:///etc"), "scheme 'file' is not allowed"),
        (("watch", "add", str(tmp_path / "missing")), "does not exist"),
        (("watch", "add", str(repo.path), "--ref", "a..b"), "invalid ref"),
        (("watch", "add", str(repo.path), "--ref", "dev", "-a", "nope"), "unknown analyzer 'nope'"),
        (("watch", "add", str(repo.path), "--ref", "dev", "--set", "bad"), "ANALYZER.KEY=VALUE"),
        (("watch", "add", str(repo.path), "--ref", "dev", "--secret-file", str(secret_file)), "COE_WEBHOOK_SECRET_KEY is not set"),
        (("watch", "add", str(repo.path), "--ref", "dev", "--secret-file", str(tmp_path)), "not a regular file"),
        (("watch", "remove", "999"), "no watch '999'"),
    ]
    for args, expected in cases:
        assert_one_line_error(coe(*args, env=env), expected)
