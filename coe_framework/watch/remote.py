"""The cheap check: what commit a watched ref points at, by ``git ls-remote``.

One ``ls-remote`` per repository is the floor (git has no multi-repository
form); they run concurrently on a bounded thread pool. Each process gets the
same hardened environment as a fetch (:func:`coe_framework.repos.remote_environment`:
pinned addresses, https only, no prompts), its own process group, a timeout
after which the group is killed, and a cap on the output read (both pipes
are read in the calling thread with a selector, so no helper thread is
started per process): a hostile server can neither hang a pass nor flood it.

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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Sequence

from ..child_limits import kill_group
from ..gitutil import first_error_line, git_environment
from ..repos import RepositorySource, remote_environment

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


def _read_bounded(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes, str | None]:
    """Both pipes read in this thread until EOF, the deadline or the output cap (no helper thread per process)."""
    assert proc.stdout is not None and proc.stderr is not None
    chunks: dict[int, list[bytes]] = {proc.stdout.fileno(): [], proc.stderr.fileno(): []}
    sizes = dict.fromkeys(chunks, 0)
    out_fd = proc.stdout.fileno()
    with selectors.DefaultSelector() as selector:
        for fd in chunks:
            selector.register(fd, selectors.EVENT_READ)
        while selector.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                return b"", b"", "timeout"
            for key, _events in selector.select(left):
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fd)
                    continue
                sizes[key.fd] += len(data)
                if sizes[key.fd] > MAX_OUTPUT:
                    return b"", b"", "too-large" if key.fd == out_fd else "timeout"
                chunks[key.fd].append(data)
    return b"".join(chunks[out_fd]), b"".join(chunks[proc.stderr.fileno()]), None


def ls_remote(source: RepositorySource, ref: str, *, timeout: float = 30.0, env: dict[str, str] | None = None) -> RemoteHead:
    """The commit ``ref`` points at on ``source``; an error (never an exception) when the check fails.

    ``env`` is the environment for a local source (see :func:`local_environment`).
    """
    target = str(source.path) if source.kind == "local" else source.url
    args = ["git", "ls-remote", "--symref", target, *ref_patterns(ref)]
    try:
        proc = subprocess.Popen(
            args, env=_environment(source, env), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            process_group=0, close_fds=True,
        )
    except OSError as exc:
        return RemoteHead(None, error=f"git ls-remote could not start: {exc.strerror or exc}")
    try:
        out, err, stopped = _read_bounded(proc, time.monotonic() + timeout)
        if stopped:
            kill_group(proc.pid)
        code = proc.wait()
    finally:
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]
    if stopped == "too-large":
        return RemoteHead(None, error=f"git ls-remote printed more than {MAX_OUTPUT // 1024} KiB; refused")
    if stopped == "timeout":
        return RemoteHead(None, error=f"git ls-remote timed out after {timeout:.0f}s")
    if code != 0:
        line = first_error_line(err) or f"exit code {code}"
        return RemoteHead(None, error=f"git ls-remote failed: {line}"[:500])
    found = parse_listing(ref, out)
    if found.commit is None:
        return RemoteHead(None, found.branch, error=f"the remote has no ref '{ref}'")
    return found


def ls_remote_many(items: Sequence[tuple[RepositorySource, str]], *, concurrency: int = 8, timeout: float = 30.0) -> list[RemoteHead]:
    """:func:`ls_remote` over ``items`` with at most ``concurrency`` processes at once, in order."""
    if not items:
        return []
    env = local_environment() if any(source.kind == "local" for source, _ in items) else None
    workers = max(1, min(concurrency, len(items)))
    if workers == 1:
        return [ls_remote(source, ref, timeout=timeout, env=env) for source, ref in items]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="coe-ls-remote") as pool:
        return list(pool.map(lambda item: ls_remote(item[0], item[1], timeout=timeout, env=env), items))


def is_ancestor(git_dir: str | os.PathLike[str], older: str, newer: str) -> bool | None:
    """True/False when both commits are in ``git_dir`` and ``older`` is (not) an ancestor of ``newer``; None when unknown."""
    from ..gitutil import run_git

    try:
        proc = run_git(["merge-base", "--is-ancestor", older, newer], cwd=git_dir, check=False, timeout=30)
    except Exception:  # noqa: BLE001 - unknown is an answer here
        return None
    return {0: True, 1: False}.get(proc.returncode)

