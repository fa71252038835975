"""A pool of file workers in which a crash costs one file, not the analysis.

Each worker is a forked process under the file-worker caps
(:meth:`ChildLimits.file_worker`: address space, CPU time per file), in a
process group of its own and bound to die with its parent. It takes one
batch at a time and records in shared memory which file it is on and since
when. So when a worker dies (a segfault in a parser, the CPU cap, the kernel's
OOM killer) or overruns a file's time by more than a grace period, the pool
knows the file: that file fails with the reason, the rest of its batch goes
back to the queue, and a fresh worker takes the dead one's place.
"""
from __future__ import annotations

import os
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing import connection, get_context
from typing import Any, Callable, Iterator, Sequence

from ..repository.child_limits import ChildLimits, allow_cpu_for_next_unit, enter_child, kill_group
from ..plugin.context import Cancelled
from ..repository.gitutil import scrub_process_environment

#: ``(path, blob sha)`` pairs handed to one worker at a time.
Batch = Sequence[tuple[str, str]]
#: What a batch gives back: ``(path, output, cacheable)`` per file.
BatchOutput = list[tuple[str, dict[str, Any], bool]]
#: ``work(items, before_file=..., limits=...)``: it reaches the workers by fork, never pickled.
BatchFunction = Callable[..., BatchOutput]

#: A file may overrun its own time cap by this much (the cap is enforced
#: inside the worker first) before the pool kills the worker.
GRACE_SECONDS = 5.0
#: A batch whose worker keeps dying before it starts a file is failed whole.
MAX_SILENT_DEATHS = 2


@dataclass
class _Worker:
    process: Any
    conn: Any
    #: [index of the file in the current batch or -1, monotonic start of that file]
    position: Any
    batch: list[tuple[str, str]] | None = None
    #: How many workers this batch already lost before they started a file.
    silent_deaths: int = 0


def _worker_main(conn: Any, position: Any, limits: ChildLimits, parent_pid: int, work: BatchFunction) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop us
    enter_child(limits, parent_pid, cpu_per_unit=True)
    scrub_process_environment()

    def before_file(index: int) -> None:
        allow_cpu_for_next_unit(limits.cpu_seconds)
        position[1] = time.monotonic()
        position[0] = index

    try:
        while True:
            try:
                task = conn.recv()
            except (EOFError, OSError):
                break
            if task is None:
                break
            out = work(task, before_file=before_file, limits=limits)
            position[0] = -1
            conn.send(out)
    finally:
        os._exit(0)


class FilePool:
    """Runs batches of files on up to ``size`` worker processes; see the module docstring.

    Use it from one thread: the workers' parent-death signal follows the
    thread that started them.
    """

    def __init__(self, size: int, work: BatchFunction, limits: ChildLimits | None = None):
        self.size = max(1, size)
        self.work = work
        self.limits = limits or ChildLimits.file_worker()
        self._mp = get_context("fork")
        self._workers: list[_Worker] = []
        self.replaced = 0

    def _start_worker(self) -> _Worker:
        parent_conn, child_conn = self._mp.Pipe(duplex=True)
        position = self._mp.Array("d", [-1.0, 0.0], lock=False)
        process = self._mp.Process(
            target=_worker_main, args=(child_conn, position, self.limits, os.getpid(), self.work), daemon=True, name="coe-file-worker",
        )
        process.start()
        child_conn.close()
        worker = _Worker(process, parent_conn, position)
        self._workers.append(worker)
        return worker

    def run(self, batches: Sequence[Batch], file_timeout: float, cancelled: Callable[[], bool] = lambda: False) -> Iterator[BatchOutput]:
        """Yield each batch's outputs as it finishes (a dead worker's file as an output of its own).

        Raises :class:`Cancelled` between polls once ``cancelled()`` is true.
        """
        queue: deque[tuple[list[tuple[str, str]], int]] = deque((list(batch), 0) for batch in batches if batch)
        hard_limit = file_timeout + max(GRACE_SECONDS, file_timeout) if file_timeout > 0 else None
        while queue or any(w.batch is not None for w in self._workers):
            if cancelled():
                raise Cancelled("analysis cancelled")
            idle = [w for w in self._workers if w.batch is None]
            while queue and (idle or len(self._workers) < self.size):
                worker = idle.pop() if idle else self._start_worker()
                worker.batch, worker.silent_deaths = queue.popleft()
                worker.position[0] = -1
                try:
                    worker.conn.send(worker.batch)
                except (BrokenPipeError, OSError):
                    pass  # found dead below
            busy = [w for w in self._workers if w.batch is not None]
            connection.wait([w.conn for w in busy] + [w.process.sentinel for w in busy], timeout=0.2)
            now = time.monotonic()
            for worker in busy:
                if worker.conn.poll():
                    try:
                        out = worker.conn.recv()
                    except (EOFError, OSError):
                        out = None
                    if out is not None:
                        worker.batch = None
                        yield out
                        continue
                if not worker.process.is_alive():
                    worker.process.join(1)
                    reason = self._death_reason(worker.process.exitcode)
                elif hard_limit is not None and worker.position[0] >= 0 and now - worker.position[1] > hard_limit:
                    kill_group(worker.process.pid)
                    worker.process.join(5)
                    reason = f"took longer than {file_timeout:g}s and its worker was stopped"
                else:
                    continue
                failed = self._bury(worker, reason, queue)
                if failed:
                    yield failed

    def _death_reason(self, exitcode: int | None) -> str:
        if exitcode is not None and exitcode < 0:
            return f"its worker process died: {self.limits.describe_signal(-exitcode)}"
        return f"its worker process died (exit code {exitcode})"

    def _bury(self, worker: _Worker, reason: str, queue: deque[tuple[list[tuple[str, str]], int]]) -> BatchOutput:
        """Drop a dead worker; fail the file it was on and queue the rest of its batch again."""
        batch = worker.batch or []
        index = int(worker.position[0])
        self._workers.remove(worker)
        self.replaced += 1
        worker.conn.close()
        if 0 <= index < len(batch):
            rest = batch[:index] + batch[index + 1:]
            if rest:
                queue.appendleft((rest, 0))
            return [(batch[index][0], {"error": reason, "capped": True}, False)]
        if worker.silent_deaths + 1 >= MAX_SILENT_DEATHS:
            return [(path, {"error": reason, "capped": True}, False) for path, _sha in batch]
        queue.appendleft((batch, worker.silent_deaths + 1))
        return []

    def close(self) -> None:
        """Stop every worker (politely, then by force)."""
        for worker in self._workers:
            try:
                worker.conn.send(None)
            except (BrokenPipeError, OSError):
                pass
        deadline = time.monotonic() + 2
        for worker in self._workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.is_alive():
                kill_group(worker.process.pid)
                worker.process.join(1)
            worker.conn.close()
        self._workers = []

    def __enter__(self) -> "FilePool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

