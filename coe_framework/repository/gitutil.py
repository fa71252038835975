"""Running git safely against repositories we do not trust.

Analyzed repositories are hostile input: their own ``.git/config`` may name a
pager, an fsmonitor hook, an external diff or textconv program. Every git
process CoE starts gets the environment built here, which ignores system and
global configuration and pins the settings that could run code or change
output, through ``GIT_CONFIG_*`` variables (command-line scope, which beats
repository configuration).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Mapping, Sequence

from .child_limits import ChildLimits, git_preexec, kill_group

#: Settings forced on every git invocation (command-line scope).
HARDENED_CONFIG: tuple[tuple[str, str], ...] = (
    ("safe.directory", "*"),
    ("core.hooksPath", os.devnull),
    ("core.fsmonitor", "false"),
    ("core.pager", "cat"),
    ("core.askPass", ""),
    ("credential.helper", ""),
    ("diff.external", ""),
    ("color.ui", "false"),
    ("log.showSignature", "false"),
    ("submodule.recurse", "false"),
    ("protocol.allow", "never"),
    ("protocol.https.allow", "always"),
    ("protocol.file.allow", "never"),
    ("protocol.ext.allow", "never"),
    # A checked host must not send git elsewhere: redirects would reach hosts never validated.
    ("http.followRedirects", "false"),
    ("uploadpack.allowFilter", "true"),
    ("transfer.fsckObjects", "true"),
    ("fetch.fsckObjects", "true"),
    ("gc.auto", "0"),
    ("maintenance.auto", "false"),
    # Pack windows stay well inside the address-space cap git runs with.
    ("core.packedGitLimit", "512m"),
)


class GitError(RuntimeError):
    """A git command failed; ``str()`` is one line fit for a user."""


def git_environment(extra_config: Sequence[tuple[str, str]] = (), base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return an environment for git that no user or repository config can steer."""
    env = {k: v for k, v in (base if base is not None else os.environ).items() if not k.startswith("GIT_")}
    config = list(HARDENED_CONFIG) + list(extra_config)
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ASKPASS": "",
            "SSH_ASKPASS": "",
            "GIT_PAGER": "cat",
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_OPTIONAL_LOCKS": "0",
            "GIT_ALLOW_PROTOCOL": "https",
            "LC_ALL": "C",
            "LANG": "C",
            "GIT_CONFIG_COUNT": str(len(config)),
        }
    )
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def scrub_process_environment() -> None:
    """Remove inherited ``GIT_*`` variables from this process's environment.

    GitPython starts its commands from ``os.environ`` plus its own overrides,
    so a ``GIT_DIR`` or ``GIT_CONFIG_PARAMETERS`` inherited from the caller
    would reach them; the runner's analyzer and file-worker processes call
    this before any analyzer code runs.
    """
    for key in [k for k in os.environ if k.startswith("GIT_")]:
        del os.environ[key]


def git_process_options(limits: ChildLimits | None = None) -> dict[str, Any]:
    """``Popen`` keywords for a git child: its own process group, the git caps, death with us."""
    return {"process_group": 0, "preexec_fn": git_preexec(limits or ChildLimits.git(), os.getpid())}


def run_git(
    args: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    *,
    timeout: float | None = 120.0,
    env: Mapping[str, str] | None = None,
    check: bool = True,
    input: bytes | None = None,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git ARGS`` with the hardened environment and capture bytes output.

    Raises :class:`GitError` with git's own first error line when ``check`` is
    true and git fails or times out. git runs in a process group of its own
    (a timeout kills the group), dies with its parent and under the caps of
    :meth:`ChildLimits.git`; a death by a cap is reported naming the setting.
    """
    cmd = ["git", *args]
    limits = ChildLimits.git()
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else git_environment(),
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            **git_process_options(limits),
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    try:
        stdout, stderr = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.communicate()
        raise GitError(f"git {args[0]} timed out after {timeout:.0f}s") from None
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    if check and proc.returncode < 0:
        raise GitError(f"git {args[0]} failed: {limits.describe_signal(-proc.returncode)}")
    if check and proc.returncode != 0 and _out_of_memory(stderr):
        raise GitError(f"git {args[0]} {limits.memory_error()}")
    if check and proc.returncode != 0:
        raise GitError(first_error_line(stderr) or f"git {args[0]} failed with exit code {proc.returncode}")
    return subprocess.CompletedProcess(cmd, proc.returncode, stdout, stderr)


def _out_of_memory(stderr: bytes) -> bool:
    """git's own words for a failed allocation (what hitting the address-space cap looks like)."""
    text = stderr.lower()
    return b"out of memory" in text or b"cannot allocate memory" in text or b"mmap failed" in text


def first_error_line(stderr: bytes) -> str:
    """The most telling line of git's stderr (its ``fatal:``/``error:`` line)."""
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return lines[-1] if lines else ""


def decode_path(raw: bytes) -> str:
    """Decode a path from git output so that non-UTF-8 names survive round trips."""
    return raw.decode("utf-8", "surrogateescape")


def encode_path(path: str) -> bytes:
    """Inverse of :func:`decode_path`."""
    return path.encode("utf-8", "surrogateescape")


def display_path(path: str) -> str:
    """A printable (JSON-safe) form of a path that may hold undecodable bytes."""
    return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
