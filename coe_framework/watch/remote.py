"""The cheap check: what commit a watched ref points at, by ``git ls-remote``.

One ``ls-remote`` per repository is the floor (git has no multi-repository
form); they run concurrently, at most a bounded number at once. Each process gets the
same hardened environment as a fetch (:func:`coe_framework.repository.sources.remote_environment`:
pinned addresses, https only, no prompts), its own process group, a timeout
after which the group is killed, and a cap on the output read: a hostile
server can neither hang a pass nor flood it. One thread runs them all,
reading every pipe through one selector.

Children are started without a ``preexec_fn`` so Python can use ``vfork``:
a pass over a thousand repositories spawns a thousand processes, and a
full ``fork`` of a large server process per check would dominate the pass's
CPU. ``ls-remote`` only reads the ref advertisement, which the output cap
and timeout bound.
"""
from __future__ import annotations

import os
import selectors
import subprocess
import time
from dataclasses import dataclass, field
from typing import Sequence

from ..repository.child_limits import kill_group
from ..repository.gitutil import first_error_line, git_environment
from ..repository.sources import RepositorySource, remote_environment

#: The most output read from one ``ls-remote`` (a handful of ref lines are expected).
MAX_OUTPUT = 1024 * 1024


@dataclass(frozen=True)
class RemoteHead:
    """What one check found: the commit (or None) and, for HEAD, the branch it names; or an error."""

    commit: str | None
    branch: str | None = None
    error: str | None = None


def ref_patterns(ref: str) -> list[str]:
    """The ``ls-remote`` patterns for a watched ref: HEAD, a full ``refs/...`` name, or a branch or tag name."""
    if ref == "HEAD":
        return ["HEAD"]
    if ref.startswith("refs/"):
        return [ref]
    return [f"refs/heads/{ref}", f"refs/tags/{ref}"]


def parse_listing(ref: str, output: bytes) -> RemoteHead:
    """The commit ``ref`` points at in ``ls-remote --symref`` output (a branch wins over a tag)."""
    refs: dict[str, str] = {}
    branch = None
    for line in output.decode("utf-8", "replace").splitlines():
        left, _, name = line.partition("\t")
        if left.startswith("ref: ") and name == "HEAD":
            target = left[5:].strip()
            branch = target.removeprefix("refs/heads/")
        elif name:
            refs[name] = left.strip()
    if ref == "HEAD":
        return RemoteHead(refs.get("HEAD"), branch)
    names = [ref] if ref.startswith("refs/") else [f"refs/heads/{ref}", f"refs/tags/{ref}"]
    for name in names:
        peeled = refs.get(name + "^{}")  # an annotated tag: the commit it points at
        if peeled or name in refs:
            return RemoteHead(peeled or refs[name])
    return RemoteHead(None)


def _environment(source: RepositorySource, local_env: dict[str, str] | None = None) -> dict[str, str]:
    if source.kind == "remote":
        return remote_environment(source)
    if local_env is not None:
        return local_env
    return local_environment()


def local_environment() -> dict[str, str]:
    """The environment of an ``ls-remote`` of a local repository (built once per pass)."""
    env = git_environment()
    env["GIT_ALLOW_PROTOCOL"] = "file"
    return env


@dataclass(eq=False)  # identity: kept in a set while it runs
class _Check:
    """One running ``ls-remote``: its process, what it printed so far, its deadline."""

    index: int
    ref: str
    proc: subprocess.Popen[bytes]
    deadline: float
    out: list[bytes] = field(default_factory=list)
    err: list[bytes] = field(default_factory=list)
    size: int = 0
    open_pipes: int = 2
    stopped: str | None = None


def _start(index: int, source: RepositorySource, ref: str, env: dict[str, str] | None, timeout: float) -> _Check | RemoteHead:
    target = str(source.path) if source.kind == "local" else source.url
    try:
        proc = subprocess.Popen(
            ["git", "ls-remote", "--symref", target, *ref_patterns(ref)], env=_environment(source, env),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, process_group=0, close_fds=True,
        )
    except OSError as exc:
        return RemoteHead(None, error=f"git ls-remote could not start: {exc.strerror or exc}")
    return _Check(index, ref, proc, time.monotonic() + timeout)


def _finish(check: _Check, timeout: float) -> RemoteHead:
    if check.stopped:
        kill_group(check.proc.pid)
    code = check.proc.wait()
    for stream in (check.proc.stdout, check.proc.stderr):
        if stream is not None:
            stream.close()
    if check.stopped == "too-large":
        return RemoteHead(None, error=f"git ls-remote printed more than {MAX_OUTPUT // 1024} KiB; refused")
    if check.stopped == "timeout":
        return RemoteHead(None, error=f"git ls-remote timed out after {timeout:.0f}s")
    if code != 0:
        line = first_error_line(b"".join(check.err)) or f"exit code {code}"
        return RemoteHead(None, error=f"git ls-remote failed: {line}"[:500])
    found = parse_listing(check.ref, b"".join(check.out))
    if found.commit is None:
        return RemoteHead(None, found.branch, error=f"the remote has no ref '{check.ref}'")
    return found


def ls_remote(source: RepositorySource, ref: str, *, timeout: float = 30.0) -> RemoteHead:
    """The commit ``ref`` points at on ``source``; an error (never an exception) when the check fails."""
    return ls_remote_many([(source, ref)], concurrency=1, timeout=timeout)[0]


def ls_remote_many(items: Sequence[tuple[RepositorySource, str]], *, concurrency: int = 8, timeout: float = 30.0) -> list[RemoteHead]:
    """:func:`ls_remote` over ``items``, at most ``concurrency`` processes at once, results in order.

    One thread multiplexes every running check's pipes with a selector: no
    thread per process and no lock traffic between threads, so the pass's
    own CPU is little more than the spawning itself.
    """
    results: list[RemoteHead | None] = [None] * len(items)
    if not items:
        return []
    env = local_environment() if any(source.kind == "local" for source, _ in items) else None
    pending = iter(enumerate(items))
    active: set[_Check] = set()
    with selectors.DefaultSelector() as selector:

        def start_next() -> bool:
            for index, (source, ref) in pending:
                started = _start(index, source, ref, env, timeout)
                if isinstance(started, RemoteHead):
                    results[index] = started
                    continue
                selector.register(started.proc.stdout, selectors.EVENT_READ, (started, True))  # type: ignore[arg-type]
                selector.register(started.proc.stderr, selectors.EVENT_READ, (started, False))  # type: ignore[arg-type]
                active.add(started)
                return True
            return False

        def done(check: _Check) -> None:
            for stream in (check.proc.stdout, check.proc.stderr):
                try:
                    selector.unregister(stream)  # type: ignore[arg-type]
                except (KeyError, ValueError):
                    pass
            active.discard(check)
            results[check.index] = _finish(check, timeout)
            start_next()

        while len(active) < concurrency and start_next():
            pass
        while active:
            now = time.monotonic()
            for check in [c for c in active if c.deadline <= now]:
                check.stopped = "timeout"
                done(check)
            if not active:
                break
            wait = max(0.0, min(c.deadline for c in active) - time.monotonic())
            for key, _events in selector.select(wait):
                check, is_out = key.data
                if check not in active:
                    continue
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    check.open_pipes -= 1
                    if check.open_pipes == 0:
                        done(check)
                    continue
                check.size += len(data)
                (check.out if is_out else check.err).append(data)
                if check.size > MAX_OUTPUT:
                    check.stopped = "too-large"
                    done(check)
    return [r if r is not None else RemoteHead(None, error="not checked") for r in results]


def is_ancestor(git_dir: str | os.PathLike[str], older: str, newer: str) -> bool | None:
    """True/False when both commits are in ``git_dir`` and ``older`` is (not) an ancestor of ``newer``; None when unknown."""
    from ..repository.gitutil import run_git

    try:
        proc = run_git(["merge-base", "--is-ancestor", older, newer], cwd=git_dir, check=False, timeout=30)
    except Exception:  # noqa: BLE001 - unknown is an answer here
        return None
    return {0: True, 1: False}.get(proc.returncode)

