"""Resource limits for every process CoE starts, and death with the parent.

Analyzer processes, file workers and git subprocesses work on hostile input,
so each runs with an address-space cap (``RLIMIT_AS``) and a CPU-time cap
(``RLIMIT_CPU``), in a process group of its own (so a timeout can stop it and
everything it started), and with a parent-death signal (``PR_SET_PDEATHSIG``
on Linux), so that even ``kill -9`` of ``coe analyze`` leaves nothing behind.

Settings (bytes or seconds; ``0`` turns a cap off):

* ``COE_CHILD_MEMORY_LIMIT``: address space of an analyzer process or file worker.
* ``COE_CHILD_CPU_SECONDS``: CPU time of an analyzer process.
* ``COE_FILE_CPU_SECONDS``: CPU time one file may take in a file worker.
* ``COE_GIT_MEMORY_LIMIT`` and ``COE_GIT_CPU_SECONDS``: the same for each git process.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import resource
import signal
import sys
from dataclasses import dataclass
from typing import Callable

GIB = 1024**3

#: Defaults sized for a small shared machine (2 cores, 24 GB): a few children
#: at once stay well below the physical memory.
DEFAULTS = {
    "COE_CHILD_MEMORY_LIMIT": 4 * GIB,
    "COE_CHILD_CPU_SECONDS": 3600,
    "COE_FILE_CPU_SECONDS": 60,
    "COE_GIT_MEMORY_LIMIT": 3 * GIB,
    "COE_GIT_CPU_SECONDS": 1800,
}

_PR_SET_PDEATHSIG = 1
_libc: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    try:  # loaded now: a forked child must not take the loader's locks
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:  # pragma: no cover - a libc we cannot load: no parent-death signal
        _libc = None


def setting(name: str) -> int:
    """An integer ``COE_*`` limit from the environment, or its default; ``0`` means no cap."""
    from ..settings import environ

    raw = environ().get(name, "").strip()
    if not raw:
        return DEFAULTS[name]
    try:
        value = int(float(raw))
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    return max(0, value)


@dataclass(frozen=True)
class ChildLimits:
    """The caps one kind of child runs with (``0``: none)."""

    memory: int
    cpu_seconds: int
    memory_setting: str
    cpu_setting: str

    @classmethod
    def analyzer(cls) -> "ChildLimits":
        return cls(setting("COE_CHILD_MEMORY_LIMIT"), setting("COE_CHILD_CPU_SECONDS"), "COE_CHILD_MEMORY_LIMIT", "COE_CHILD_CPU_SECONDS")

    @classmethod
    def file_worker(cls) -> "ChildLimits":
        return cls(setting("COE_CHILD_MEMORY_LIMIT"), setting("COE_FILE_CPU_SECONDS"), "COE_CHILD_MEMORY_LIMIT", "COE_FILE_CPU_SECONDS")

    @classmethod
    def git(cls) -> "ChildLimits":
        return cls(setting("COE_GIT_MEMORY_LIMIT"), setting("COE_GIT_CPU_SECONDS"), "COE_GIT_MEMORY_LIMIT", "COE_GIT_CPU_SECONDS")

    def describe_signal(self, signum: int) -> str:
        """Why a child killed by ``signum`` died, naming the limit when one explains it."""
        if signum == signal.SIGXCPU and self.cpu_seconds:
            return f"it used more than {self.cpu_seconds}s of CPU time ({self.cpu_setting})"
        name = _signal_name(signum)
        if signum in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT) and self.memory:
            return f"killed by {name} (a crash, or memory beyond {self.memory // (1024 * 1024)} MiB: {self.memory_setting})"
        if signum == signal.SIGKILL:
            return f"killed by {name} (out of memory, or stopped from outside)"
        return f"killed by {name}"

    def memory_error(self) -> str:
        """The reason given when a child ran out of its address space."""
        if self.memory:
            return f"ran out of memory: more than {self.memory // (1024 * 1024)} MiB ({self.memory_setting})"
        return "ran out of memory"


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def die_with_parent(parent_pid: int | None = None) -> None:
    """Ask the kernel for SIGKILL when the parent goes (Linux); exit now if it already went.

    The signal follows the thread that forked us, so callers fork from a
    thread that outlives the child (the runner's own thread does).
    """
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the signal was armed


def apply_limits(limits: ChildLimits) -> None:
    """Set this process's address-space and CPU caps (soft and hard)."""
    if limits.memory:
        _lower(resource.RLIMIT_AS, limits.memory)
    if limits.cpu_seconds:
        used = int(_cpu_used()) + limits.cpu_seconds
        # The hard cap is a little above the soft one: SIGXCPU first, SIGKILL if ignored.
        _lower(resource.RLIMIT_CPU, used, used + 5)


def allow_cpu_for_next_unit(seconds: int) -> None:
    """Move the soft CPU cap to ``seconds`` from now (a worker does this before each file).

    The hard cap stays unlimited for file workers, so the soft one can move on.
    """
    if seconds:
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(_cpu_used()) + seconds
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _lower(which: int, soft: int, hard: int | None = None) -> None:
    current_soft, current_hard = resource.getrlimit(which)
    hard = soft if hard is None else hard
    if current_hard != resource.RLIM_INFINITY:
        hard = min(hard, current_hard)
    soft = min(soft, hard)
    if current_soft != resource.RLIM_INFINITY and current_soft < soft:
        soft = current_soft
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):  # pragma: no cover - below what is already in use
        pass


def enter_child(limits: ChildLimits, parent_pid: int, *, cpu_per_unit: bool = False) -> None:
    """Everything a forked analyzer process or file worker does first.

    Own process group, parent-death signal, memory cap, and a CPU cap that is
    either for the process's life or (``cpu_per_unit``) moved before each unit.
    """
    try:
        os.setpgid(0, 0)
    except OSError:  # pragma: no cover - already a group leader
        pass
    die_with_parent(parent_pid)
    if cpu_per_unit:
        apply_limits(ChildLimits(limits.memory, 0, limits.memory_setting, limits.cpu_setting))
        allow_cpu_for_next_unit(limits.cpu_seconds)
    else:
        apply_limits(limits)


def git_preexec(limits: ChildLimits, parent_pid: int) -> Callable[[], None]:
    """A ``preexec_fn`` for git: parent-death signal and the git caps.

    Runs between fork and exec, so it only makes system calls (the process
    group comes from ``process_group=0``).
    """

    def prepare() -> None:
        die_with_parent(parent_pid)
        apply_limits(limits)

    return prepare


def kill_group(pid: int) -> None:
    """SIGKILL the process group led by ``pid`` (the child and what it started)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
