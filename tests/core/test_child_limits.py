"""Caps, process groups and parent-death for the processes CoE starts."""
from __future__ import annotations

import os
import resource
import signal
import sys
import time
from pathlib import Path

import pytest

from coe_framework.repository.child_limits import ChildLimits, setting
from coe_framework.repository.gitutil import GitError, run_git


def test_settings_default_parse_and_turn_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COE_GIT_MEMORY_LIMIT", raising=False)
    assert setting("COE_GIT_MEMORY_LIMIT") == 3 * 1024**3
    monkeypatch.setenv("COE_GIT_MEMORY_LIMIT", "1e9")
    assert ChildLimits.git().memory == 1_000_000_000
    monkeypatch.setenv("COE_GIT_MEMORY_LIMIT", "0")
    assert ChildLimits.git().memory == 0
    monkeypatch.setenv("COE_GIT_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="COE_GIT_MEMORY_LIMIT must be a number"):
        setting("COE_GIT_MEMORY_LIMIT")


def test_reasons_name_the_setting() -> None:
    limits = ChildLimits(1024**3, 7, "COE_CHILD_MEMORY_LIMIT", "COE_FILE_CPU_SECONDS")
    assert limits.describe_signal(signal.SIGXCPU) == "it used more than 7s of CPU time (COE_FILE_CPU_SECONDS)"
    assert "1024 MiB: COE_CHILD_MEMORY_LIMIT" in limits.describe_signal(signal.SIGSEGV)
    assert limits.memory_error() == "ran out of memory: more than 1024 MiB (COE_CHILD_MEMORY_LIMIT)"
    assert limits.describe_signal(signal.SIGTERM) == "killed by SIGTERM"


def test_git_runs_under_its_caps_in_a_group_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """What git's process sees, read back through a shell git runs as an alias."""
    monkeypatch.setenv("COE_GIT_MEMORY_LIMIT", str(2 * 1024**3))
    monkeypatch.setenv("COE_GIT_CPU_SECONDS", "100")
    probe = (
        f"!{sys.executable} -c \"import os, resource; print(resource.getrlimit(resource.RLIMIT_AS)[1], "
        "resource.getrlimit(resource.RLIMIT_CPU)[0] <= 100, os.getpgid(0))\""
    )
    out = run_git(["-c", f"alias.probe={probe}", "probe"], timeout=30).stdout.decode().split()
    assert out[:2] == [str(2 * 1024**3), "True"]
    assert int(out[2]) != os.getpgid(0)
    assert resource.getrlimit(resource.RLIMIT_AS)[1] != 2 * 1024**3  # the caller is untouched


def test_a_git_timeout_kills_its_whole_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    with pytest.raises(GitError, match="timed out after 1s"):
        run_git(["-c", f"alias.hang=!sleep 30 & echo $! > {pid_file}; sleep 30", "hang"], timeout=1)
    grandchild = int(pid_file.read_text())  # started by git's shell, in git's group
    deadline = time.monotonic() + 5
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False
