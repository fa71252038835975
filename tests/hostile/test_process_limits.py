"""Child processes under faults: a crash, a cap or a hang costs one unit of work, and nothing outlives ``coe``.

The misbehaving analyzers live in :mod:`tests.hostile.faulty_plugin`.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.testing.gitrepo import GitRepo
from tests.hostile.measure import Measured, child_environment, coe_command, run_measured

pytestmark = pytest.mark.hostile

MIB = 1024 * 1024
PLUGIN = str(Path(__file__).with_name("faulty_plugin.py"))
FINE = {f"fine{i}.txt": f"{i}\n" * (i + 1) for i in range(6)}


def analyze(repo: GitRepo, tmp_path: Path, analyzer: str, *options: str, **env: str) -> Measured:
    args = ["analyze", str(repo.path), "-a", analyzer, "--format", "json", "--workers", "2"]
    for option in options:
        args += ["--set", option]
    return run_measured(coe_command(*args), env=child_environment(tmp_path, COE_PLUGIN_MODULES=PLUGIN, **env))


def outcome(measured: Measured, analyzer: str) -> dict[str, Any]:
    assert "Traceback" not in measured.stderr, measured.stderr
    return json.loads(measured.stdout)["repositories"][0]["results"][analyzer]


def assert_the_others_were_analyzed(files: dict[str, Any]) -> None:
    for name, text in FINE.items():
        assert files[name] == {"size": len(text)}, (name, files[name])


def test_a_segfaulting_file_fails_alone(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={**FINE, "crash.txt": "x\n", "crash2.txt": "y\n"})
    measured = analyze(repo, tmp_path, "faulty")
    result = outcome(measured, "faulty")
    assert result["status"] == "succeeded", result
    files = result["data"]["files"]
    for name in ("crash.txt", "crash2.txt"):
        assert files[name]["error"].startswith("its worker process died: killed by SIGSEGV"), files[name]
    assert_the_others_were_analyzed(files)
    assert result["stats"]["workers_replaced"] == 2


def test_a_file_over_the_memory_cap_fails_alone_naming_it(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={**FINE, "hog.txt": "x\n"})
    measured = analyze(repo, tmp_path, "faulty", COE_CHILD_MEMORY_LIMIT=str(1024 * MIB))
    files = outcome(measured, "faulty")["data"]["files"]
    assert files["hog.txt"]["error"] == "ran out of memory: more than 1024 MiB (COE_CHILD_MEMORY_LIMIT)"
    assert_the_others_were_analyzed(files)
    assert measured.peak_rss < 1100 * MIB, measured.peak_mib


def test_a_file_over_the_cpu_cap_fails_alone_naming_it(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={**FINE, "spin.txt": "x\n"})
    measured = analyze(repo, tmp_path, "faulty", COE_FILE_CPU_SECONDS="1")
    files = outcome(measured, "faulty")["data"]["files"]
    assert files["spin.txt"]["error"] == "its worker process died: it used more than 1s of CPU time (COE_FILE_CPU_SECONDS)"
    assert_the_others_were_analyzed(files)


def test_a_file_stuck_inside_c_code_is_stopped_after_its_timeout(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={**FINE, "stuck.txt": "x\n"})
    measured = analyze(repo, tmp_path, "faulty", "faulty.file_timeout=1")
    files = outcome(measured, "faulty")["data"]["files"]
    assert files["stuck.txt"] == {"error": "took longer than 1s and its worker was stopped", "capped": True}
    assert_the_others_were_analyzed(files)


def test_an_analyzer_over_the_memory_cap_fails_alone_naming_it(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files=FINE)
    args = ["analyze", str(repo.path), "-a", "greedy", "-a", "faulty", "--format", "json"]
    env = child_environment(tmp_path, COE_PLUGIN_MODULES=PLUGIN, COE_CHILD_MEMORY_LIMIT=str(1024 * MIB))
    measured = run_measured(coe_command(*args), env=env)
    assert measured.returncode == 1
    results = json.loads(measured.stdout)["repositories"][0]["results"]
    assert results["greedy"]["error"] == "analyzer 'greedy' ran out of memory: more than 1024 MiB (COE_CHILD_MEMORY_LIMIT)"
    assert results["faulty"]["status"] == "succeeded"
    assert measured.peak_rss < 1100 * MIB, measured.peak_mib


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(parent, []).append(int(entry))
    found: set[int] = set()
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            if child not in found:
                found.add(child)
                pending.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads the process tree from /proc (Linux)")
def test_kill_9_of_coe_analyze_leaves_no_child_behind(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={**FINE, "slow1.txt": "x\n", "slow2.txt": "y\n"})
    env = child_environment(tmp_path, COE_PLUGIN_MODULES=PLUGIN)
    proc = subprocess.Popen(
        coe_command("analyze", str(repo.path), "-a", "faulty", "-a", "git", "--workers", "2"),
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and len(children) < 2:  # both file workers are running
            time.sleep(0.2)
            children = {pid for pid in _descendants(proc.pid) if _alive(pid)}
        assert len(children) >= 2, "the analysis never started its file workers"
        time.sleep(0.5)
        children |= _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(pid) for pid in children):
            time.sleep(0.1)
        assert not [pid for pid in children if _alive(pid)], [(pid, _name(pid)) for pid in children if _alive(pid)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""
