"""Running git for the analyzer: one streaming ``git log`` per analysis.

Every flag that user or repository configuration could otherwise change is
given explicitly (rename detection and its limit, diff algorithm, no textconv
or external diff, no colour, output encoding, merge diffs), and the mailmap is
read from the analysed commit only, so the same commit always gives the same
facts.
"""
from __future__ import annotations

import threading
from typing import IO, Callable, Iterator

import git

from coe_framework.plugin_api import AnalyzerError, first_error_line

from .logparse import LOG_FORMAT, Commit, LogParser

CHUNK_SIZE = 1 << 16
#: Bytes of git's stderr kept for the error message.
STDERR_KEEP = 16 * 1024


def mailmap_config(commit: str) -> list[str]:
    """``-c`` flags that read .mailmap from ``commit`` and nowhere else."""
    return ["-c", f"mailmap.blob={commit}:.mailmap", "-c", "mailmap.file="]


def log_command(head: str, exclude: str | None, mailmap_commit: str, rename_limit: int, first_parent: bool) -> list[str]:
    """The ``git log`` command line for ``exclude..head`` (all of ``head`` when None)."""
    command = [
        "git", *mailmap_config(mailmap_commit), "log",
        "-z", "--numstat", "--root", f"--format={LOG_FORMAT}", "--encoding=UTF-8",
        "-M", f"-l{rename_limit}", "--diff-algorithm=myers",
        "--no-color", "--no-textconv", "--no-ext-diff", "--no-relative", "--no-notes", "--no-show-signature",
        "--ignore-submodules=none",
    ]
    if first_parent:
        command += ["--first-parent", "--diff-merges=first-parent"]
    else:
        command.append("--diff-merges=off")
    command += [head] + ([f"^{exclude}"] if exclude else []) + ["--"]
    return command


def _drain(stream: IO[bytes], keep: bytearray) -> None:
    """Read stderr to the end so git never blocks on a full pipe; keep the tail."""
    for line in iter(lambda: stream.read(4096), b""):
        keep.extend(line)
        if len(keep) > STDERR_KEEP:
            del keep[: len(keep) - STDERR_KEEP]


def stream_commits(
    handle: git.Git,
    command: list[str],
    check_cancelled: Callable[[], None],
    on_commit: Callable[[int], None] | None = None,
) -> Iterator[Commit]:
    """Run ``command`` and yield parsed commits as git writes them.

    ``check_cancelled`` is called between chunks (it raises to stop); the git
    process is killed whenever the caller stops early.
    """
    try:
        # GIT_FLUSH=0: git would otherwise flush after every commit on a pipe,
        # costing both processes a system call and a wake-up per commit.
        process = handle.execute(command, as_process=True, universal_newlines=False, env={"GIT_FLUSH": "0"})
    except git.GitCommandNotFound:
        raise AnalyzerError("git is not installed or not on PATH") from None
    popen = process.proc
    errors = bytearray()
    drainer = threading.Thread(target=_drain, args=(popen.stderr, errors), daemon=True)
    drainer.start()
    parser = LogParser()
    count = 0
    finished = False
    try:
        read = popen.stdout.read1
        while True:
            chunk = read(CHUNK_SIZE)
            if not chunk:
                break
            check_cancelled()
            for commit in parser.feed(chunk):
                count += 1
                yield commit
            if on_commit is not None:
                on_commit(count)
        for commit in parser.finish():
            count += 1
            yield commit
        finished = True
    finally:
        if not finished and popen.poll() is None:
            popen.kill()
        status = popen.wait()
        drainer.join(timeout=5)
        popen.stdout.close()
    if status != 0:
        message = first_error_line(bytes(errors)) or f"git log failed with exit code {status}"
        raise AnalyzerError(message)


def git_status(handle: git.Git, *args: str) -> tuple[int, str, str]:
    """Run a short git command: ``(exit status, stdout, stderr)`` as text."""
    try:
        status, out, err = handle.execute(
            ["git", *args], with_extended_output=True, with_exceptions=False, stdout_as_string=True
        )
    except git.GitCommandNotFound:
        raise AnalyzerError("git is not installed or not on PATH") from None
    return status, out.strip(), err if isinstance(err, str) else err.decode("utf-8", "replace")


def run_text(handle: git.Git, *args: str) -> str:
    """Run a short git command and return its stripped output; one-line errors."""
    status, out, err = git_status(handle, *args)
    if status != 0:
        raise AnalyzerError(first_error_line(err.encode()) or f"git {args[0]} failed with exit code {status}")
    return out


def is_ancestor(handle: git.Git, older: str, newer: str) -> bool:
    """True when ``older`` is an ancestor of (or equal to) ``newer``; False if unknown."""
    return git_status(handle, "merge-base", "--is-ancestor", older, newer)[0] == 0


def count_commits(handle: git.Git, head: str, exclude: str | None, first_parent: bool) -> int:
    """How many commits the log will show, for progress."""
    args = ["rev-list", "--count", *(["--first-parent"] if first_parent else []), head]
    if exclude:
        args.append(f"^{exclude}")
    text = run_text(handle, *args, "--")
    return int(text) if text.isdigit() else 0
