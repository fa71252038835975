"""The settings object: environment over coe.toml over defaults, sources shown, secrets masked, bad files one line."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework import settings
from coe_framework.db.engine import EngineSettings
from coe_framework.queue.settings import JobSettings
from coe_framework.analysis.repo_config import repository_options
from coe_framework.testing.gitrepo import GitRepo
from tests.core.sample_analyzers import FileCount

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / "coe.toml"
        path.write_text(text)
        os.utime(path, ns=(os.stat(path).st_mtime_ns + 10**9,) * 2)  # a rewrite within one tick is seen too
        monkeypatch.setenv("COE_CONFIG", str(path))
        return path

    monkeypatch.delenv("COE_JOB_THREADS", raising=False)
    monkeypatch.delenv("COE_EXECUTOR", raising=False)
    return write


def test_the_file_fills_what_the_environment_leaves_unset(config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    config('job_threads = 4\nexecutor = "inline"\ndb_pool_size = 3\ndb_echo = true\n')
    assert JobSettings.from_env().threads == 4 and JobSettings.from_env().executor == "inline"
    monkeypatch.delenv("COE_DATABASE_URL")
    monkeypatch.setenv("COE_DATABASE_URL", "sqlite://")
    engine = EngineSettings.from_env()
    assert engine.pool_size == 3 and engine.echo is True
    monkeypatch.setenv("COE_JOB_THREADS", "7")
    assert JobSettings.from_env().threads == 7, "the environment wins, and a change is seen at once"
    monkeypatch.setenv("COE_JOB_THREADS", "")
    assert JobSettings.from_env().threads == 2, "a variable that is set wins even empty: the default applies"
    monkeypatch.delenv("COE_JOB_THREADS")
    assert settings.get("COE_JOB_THREADS") == "4" and settings.current().COE_EXECUTOR == "inline"
    assert JobSettings.from_env({}).threads == 2, "an explicit mapping is all there is"


def test_without_a_file_nothing_changes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COE_CONFIG", raising=False)
    assert settings.environ() == dict(os.environ)
    assert settings.config_path() is None


def test_explain_names_sources_and_masks_secrets(config: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    path = config('# settings\nredis_url = "redis://:hunter2@cache:6379/0"\n\nembeddings_key = "sk-live-123"\njob_threads = 3\n')
    monkeypatch.setenv("COE_DATABASE_URL", "postgresql://coe:s3cret@db/coe")
    rows = {row["name"]: row for row in settings.explain()}
    assert rows["COE_REDIS_URL"] == {**rows["COE_REDIS_URL"], "value": "redis://:***@cache:6379/0", "source": f"file:{path}:2"}
    assert rows["COE_EMBEDDINGS_KEY"]["value"] == "***" and rows["COE_EMBEDDINGS_KEY"]["source"] == f"file:{path}:4"
    assert rows["COE_DATABASE_URL"]["value"] == "postgresql://coe:***@db/coe" and rows["COE_DATABASE_URL"]["source"] == "env"
    assert rows["COE_JOB_THREADS"]["value"] == "3"
    assert rows["COE_DB_POOL_SIZE"] == {**rows["COE_DB_POOL_SIZE"], "value": None, "source": "default", "default": "10"}
    assert rows["COE_CONFIG"]["value"] == str(path) and rows["COE_CONFIG"]["source"] == "env"
    assert "hunter2" not in json.dumps(rows) and "s3cret" not in json.dumps(rows) and "sk-live" not in json.dumps(rows)


@pytest.mark.parametrize("text, expected", [
    ('job_threads = 4\ndatabse_url = "x"\n', ":2: unknown setting 'databse_url'"),
    ("job_threads = 4\n\nexecutor = [\n", ":3: "),
    ("job_threads = 4\n[jobs]\nthreads = 2\n", ":2: unknown table [jobs]"),
    ("job_threads = {a = 1}\n", ":1: 'job_threads' must be a string"),
    ("executor = = 1\n", ":1: "),
])
def test_a_bad_file_is_one_line_naming_file_and_line(config: Callable[[str], Path], text: str, expected: str) -> None:
    path = config(text)
    with pytest.raises(settings.ConfigFileError) as caught:
        settings.environ()
    assert str(caught.value).startswith(str(path)) and expected in str(caught.value)
    assert "\n" not in str(caught.value)


def coe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k != "COE_CONFIG"}
    full.update({"PYTHONPATH": str(ROOT), **(env or {})})
    return subprocess.run([sys.executable, "-m", "coe_framework", *args], capture_output=True, text=True, cwd=cwd, env=full, timeout=120)


def test_config_show_and_bad_files_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "coe.toml").write_text('job_threads = 5\nbroker_url = "amqp://coe:pw@mq:5672//"\n')
    shown = coe("config", "show", cwd=tmp_path, env={"COE_JOB_LEASE_SECONDS": "90"})
    assert shown.returncode == 0, shown.stderr
    lines = {line.split()[0]: line.split() for line in shown.stdout.splitlines()[1:]}
    assert lines["COE_JOB_THREADS"][1:] == ["5", "file:coe.toml:1"]
    assert lines["COE_BROKER_URL"][1:] == ["amqp://coe:***@mq:5672//", "file:coe.toml:2"]
    assert lines["COE_JOB_LEASE_SECONDS"][1:] == ["90", "env"]
    assert lines["COE_DB_POOL_SIZE"][-1] == "default" and "pw@" not in shown.stdout
    as_json = json.loads(coe("config", "show", "--format", "json", "--changed", cwd=tmp_path).stdout)
    assert {row["name"] for row in as_json} >= {"COE_JOB_THREADS", "COE_BROKER_URL"}
    assert all(row["source"] != "default" for row in as_json)

    (tmp_path / "coe.toml").write_text("job_threads = 5\nthreads = 2\n")
    for args in (["config", "show"], ["analyze", str(tmp_path)], ["analyses", "list"]):
        proc = coe(*args, cwd=tmp_path)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.strip() == "coe: error: coe.toml:2: unknown setting 'threads'", proc.stderr
    missing = coe("config", "show", cwd=tmp_path, env={"COE_CONFIG": str(tmp_path / "nope.toml")})
    assert missing.returncode == 2 and "nope.toml: COE_CONFIG names a file that does not exist" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_repository_options_come_from_pyproject(make_repo: Callable[..., GitRepo]) -> None:
    analyzers: dict[str, Any] = {"count": FileCount()}
    repo = make_repo(files={"a.py": "1\n", "pyproject.toml": '[tool.coe.analyzers.count]\nsuffix = ".txt"\n[tool.coe.analyzers.other]\nx = 1\n'})
    found = repository_options(repo.path / ".git", repo.head, analyzers, ["count"], "demo")
    assert found.options == {"count": {"suffix": ".txt"}} and found.notes == []
    repo.commit({"pyproject.toml": '[tool.coe.analyzers.count]\ncolour = "red"\n'})
    refused = repository_options(repo.path / ".git", repo.head, analyzers, ["count"], "demo")
    assert refused.options == {} and "[tool.coe.analyzers.count] ignored" in refused.notes[0]
    repo.commit({"pyproject.toml": "[tool.coe\n"})
    broken = repository_options(repo.path / ".git", repo.head, analyzers, ["count"], "demo")
    assert broken.options == {} and "pyproject.toml ignored" in broken.notes[0]


def test_analyze_uses_the_repository_options_under_the_command_line(make_repo: Callable[..., GitRepo], manager_with: Any) -> None:
    from coe_framework.analysis.service import analyze_repositories

    repo = make_repo(files={"a.py": "1\n", "b.txt": "2\n", "c.txt": "3\n", "pyproject.toml": '[tool.coe.analyzers.count]\nsuffix = ".txt"\n'})
    manager = manager_with(FileCount())
    own = analyze_repositories(manager, [str(repo.path)], workers=1, store=None)
    assert own.repositories[0].outcomes["count"].data["files"] == 2
    given = analyze_repositories(manager, [str(repo.path)], workers=1, store=None, options={"count": {"suffix": ".py"}})
    assert given.repositories[0].outcomes["count"].data["files"] == 1
