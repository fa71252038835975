"""Runs analyzers on one repository at one commit.

* Dependency order from ``requires`` (a cycle or a missing analyzer is a
  :class:`PlanError` with one clear line).
* Isolation: each analyzer runs in a forked child process with a timeout, so
  one that raises, hangs or returns bad data fails alone and the analysis ends
  ``partial``. (``isolation="thread"`` trades the hard timeout for speed.)
* File-level analyzers run on a process pool; their per-file outputs are cached
  by (analyzer, version, options, path, blob SHA), so a new commit re-runs only
  changed blobs.
* Whole results are cached by (repository, commit, analyzer, version, options).
"""
from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter
from typing import Any, Callable, Iterator, Mapping, Sequence

from pydantic import BaseModel

from ..plugin.contract import Analyzer, AnalyzerOutcome, FileAnalyzer, validate_result
from ..errors import BadInput, one_line
from .cache import KeyValueCache, MemoryCache
from ..repository.child_limits import ChildLimits, enter_child, kill_group
from ..plugin.context import AnalysisContext, BlobReader, Cancelled, FileEntry, Limits, RepositoryInfo, count_entries
from .file_pool import FilePool
from ..repository.gitutil import scrub_process_environment
from ..plugin.manager import PluginManager

log = logging.getLogger(__name__)

ProgressCallback = Callable[[float, str], None]


class PlanError(BadInput, ValueError):
    """The selected analyzers cannot be run (unknown name, missing requirement, cycle).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


class StateStore:
    """Per (analyzer, repository, ref) state for incremental analyzers; memory only.

    The database-backed store in :mod:`coe_framework.db.store` has the same
    two methods.
    """

    def __init__(self) -> None:
        self._data: dict[str, Any] = {}

    def get_state(self, key: str) -> Any:
        return self._data.get(key)

    def put_state(self, key: str, value: Any) -> None:
        self._data[key] = value


@dataclass
class RepositoryOutcome:
    """Every analyzer's outcome for one repository at one commit."""

    repository: RepositoryInfo
    commit: str
    status: str  # succeeded | partial | failed | cancelled
    outcomes: dict[str, AnalyzerOutcome] = field(default_factory=dict)
    duration: float = 0.0
    file_count: int = 0

    @property
    def errors(self) -> dict[str, str]:
        return {name: o.error for name, o in self.outcomes.items() if o.error}

    def to_dict(self) -> dict[str, Any]:
        return {
            "repository": {"url": self.repository.url, "name": self.repository.name},
            "commit": self.commit,
            "status": self.status,
            "duration": round(self.duration, 6),
            "file_count": self.file_count,
            "results": {name: o.to_dict() for name, o in self.outcomes.items()},
        }


def overall_status(statuses: Sequence[str]) -> str:
    """Fold analyzer statuses into one analysis status."""
    if not statuses:
        return "succeeded"
    if "cancelled" in statuses:
        return "cancelled"
    ok = sum(1 for s in statuses if s == "succeeded")
    if ok == len(statuses):
        return "succeeded"
    return "partial" if ok else "failed"


def plan(manager: PluginManager, names: Sequence[str] | None) -> list[Analyzer]:
    """The analyzers to run, requirements added, in dependency order."""
    available = manager.analyzers
    wanted = list(names) if names else sorted(available)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        known = ", ".join(sorted(available)) or "none"
        raise PlanError(f"unknown analyzer '{unknown[0]}' (installed: {known})")
    graph: dict[str, set[str]] = {}
    pending = list(wanted)
    while pending:
        name = pending.pop()
        if name in graph:
            continue
        analyzer = available[name]
        for req in analyzer.requires:
            if req not in available:
                raise PlanError(f"analyzer '{name}' requires '{req}', which is not installed")
            pending.append(req)
        graph[name] = set(analyzer.requires) | {u for u in analyzer.uses if u in wanted or u in graph}
    # 'uses' edges only count for analyzers that end up selected.
    for name in graph:
        graph[name] = {d for d in graph[name] if d in graph}
    try:
        sorter = TopologicalSorter(graph)
        sorter.prepare()
        order: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())  # sorted: the same order on every run
            order.extend(ready)
            sorter.done(*ready)
    except CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise PlanError(f"analyzers depend on each other in a cycle: {cycle}") from None
    return [available[name] for name in order]


@dataclass(frozen=True)
class Step:
    """One analyzer of a plan with its validated options."""

    analyzer: Analyzer
    options: BaseModel

    @property
    def name(self) -> str:
        """The analyzer's name."""
        return self.analyzer.name


def plan_steps(manager: PluginManager, names: Sequence[str] | None,
               options: Mapping[str, Mapping[str, Any]] | None = None) -> list[Step]:
    """:func:`plan` with each analyzer's options validated: what :meth:`Runner.run_steps` runs.

    Raises :class:`PlanError` (also for options of an analyzer not selected)
    or :class:`~coe_framework.plugin.contract.OptionsError` with one line.
    """
    options = options or {}
    ordered = plan(manager, names)
    unknown_opts = sorted(set(options) - {a.name for a in ordered})
    if unknown_opts:
        raise PlanError(f"options given for analyzer '{unknown_opts[0]}', which is not selected")
    return [Step(a, a.parse_options(options.get(a.name))) for a in ordered]


def cache_key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _describe_exception(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {os.path.basename(last.filename)}:{last.lineno} in {last.name})"
    return one_line(exc, where)


# --- isolation ---------------------------------------------------------------


@dataclass
class _Isolated:
    status: str
    text: str | None = None
    error: str | None = None
    state: Any = None
    state_set: bool = False


def _execute(
    analyzer: Analyzer, call: Callable[[AnalysisContext], Any], ctx: AnalysisContext, limits: ChildLimits | None = None
) -> _Isolated:
    """Run ``call(ctx)`` and validate its output; never raises.

    ``limits`` are the caps this process runs under, named when it runs out of memory.
    """
    try:
        data = call(ctx)
    except Cancelled:
        return _Isolated("cancelled", error="cancelled")
    except MemoryError:
        reason = limits.memory_error() if limits is not None else "ran out of memory"
        return _Isolated("failed", error=f"analyzer '{analyzer.name}' {reason}")
    except Exception as exc:  # noqa: BLE001 - an analyzer may raise anything
        log.debug("analyzer %s raised", analyzer.name, exc_info=True)
        return _Isolated("failed", error=_describe_exception(exc))
    _data, text, error = validate_result(analyzer, data)
    if error:
        return _Isolated("failed", error=error)
    state = ctx._state if ctx._state_set else None
    if ctx._state_set:
        try:
            json.dumps(state)
        except (TypeError, ValueError) as exc:
            return _Isolated("failed", error=f"analyzer '{analyzer.name}' saved state that is not JSON-serializable: {exc}")
    return _Isolated("succeeded", text=text, state=state, state_set=ctx._state_set)


def _child_main(conn: Any, analyzer: Analyzer, call: Callable[[AnalysisContext], Any], ctx: AnalysisContext, parent_pid: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop us
    limits = ChildLimits.analyzer()
    enter_child(limits, parent_pid)
    scrub_process_environment()
    ctx._reader = None  # never share the parent's cat-file pipe
    ctx._progress = lambda done, total, message: conn.send(("progress", done, total, message))
    try:
        outcome = _execute(analyzer, call, ctx, limits)
        conn.send(("done", outcome))
    except BaseException as exc:  # noqa: BLE001 - report anything, even while sending
        with contextlib.suppress(Exception):
            conn.send(("done", _Isolated("failed", error=_describe_exception(exc))))
    finally:
        conn.close()
        os._exit(0)


def _run_in_child(
    analyzer: Analyzer,
    call: Callable[[AnalysisContext], Any],
    ctx: AnalysisContext,
    timeout: float,
    progress: Callable[[int, int | None, str], None] | None,
    cancelled: Callable[[], bool],
) -> _Isolated:
    mp = multiprocessing.get_context("fork")
    receiver, sender = mp.Pipe(duplex=False)
    proc = mp.Process(target=_child_main, args=(sender, analyzer, call, ctx, os.getpid()), daemon=True)
    proc.start()
    sender.close()
    deadline = time.monotonic() + timeout
    result: _Isolated | None = None
    try:
        while result is None:
            if receiver.poll(0.05):
                try:
                    message = receiver.recv()
                except EOFError:
                    break
                if message[0] == "progress":
                    if progress is not None:
                        progress(*message[1:])
                else:
                    result = message[1]
                continue
            if not proc.is_alive() and not receiver.poll():
                break
            if cancelled():
                result = _Isolated("cancelled", error="cancelled")
            elif time.monotonic() > deadline:
                result = _Isolated("timed_out", error=f"analyzer '{analyzer.name}' timed out after {timeout:g}s")
    finally:
        if proc.pid is not None and proc.is_alive() and (result is None or result.status in ("cancelled", "timed_out")):
            kill_group(proc.pid)  # the child and the git processes it started
        proc.join(5)
        receiver.close()
    if result is None:
        code = proc.exitcode
        reason = ChildLimits.analyzer().describe_signal(-code) if code is not None and code < 0 else f"exit code {code}"
        result = _Isolated("failed", error=f"analyzer '{analyzer.name}' process died ({reason})")
    return result


def _run_in_thread(
    analyzer: Analyzer,
    call: Callable[[AnalysisContext], Any],
    ctx: AnalysisContext,
    timeout: float,
    progress: Callable[[int, int | None, str], None] | None,
    cancelled: Callable[[], bool],
) -> _Isolated:
    box: list[_Isolated] = []
    stop = threading.Event()
    ctx._progress = progress
    outer_cancelled = ctx._cancelled
    ctx._cancelled = lambda: stop.is_set() or bool(outer_cancelled and outer_cancelled())
    worker = threading.Thread(target=lambda: box.append(_execute(analyzer, call, ctx)), daemon=True, name=f"coe-{analyzer.name}")
    worker.start()
    deadline = time.monotonic() + timeout
    while worker.is_alive():
        worker.join(0.05)
        if cancelled():
            stop.set()
            worker.join(1)
            return box[0] if box else _Isolated("cancelled", error="cancelled")
        if time.monotonic() > deadline:
            # A thread cannot be killed; it is told to stop and abandoned.
            stop.set()
            return _Isolated("timed_out", error=f"analyzer '{analyzer.name}' timed out after {timeout:g}s")
    return box[0]


# --- file-level analyzers ------------------------------------------------------

_worker_readers: dict[str, BlobReader] = {}


@contextlib.contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """SIGALRM-based cap; only in a process's main thread (pool workers are)."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(_signum: int, _frame: Any) -> None:
        raise TimeoutError

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def analyze_file_batch(
    analyzer: FileAnalyzer,
    options: BaseModel,
    repo_path: str,
    items: Sequence[tuple[str, str]],
    *,
    file_timeout: float,
    before_file: Callable[[int], None] | None = None,
    limits: ChildLimits | None = None,
) -> list[tuple[str, dict[str, Any], bool]]:
    """Run ``analyze_file`` over ``(path, blob sha)`` pairs inside a worker.

    Returns ``(path, output, cacheable)`` per file; failures become outputs
    with an ``error`` key so one bad file never sinks the batch.
    ``before_file(index)`` is told which file starts (the pool watches it).
    """
    reader = _worker_readers.get(repo_path)
    if reader is None:
        reader = _worker_readers[repo_path] = BlobReader(repo_path)
    out: list[tuple[str, dict[str, Any], bool]] = []
    for index, (path, sha) in enumerate(items):
        if before_file is not None:
            before_file(index)
        try:
            data = reader.read(sha)
            with _time_limit(file_timeout):
                result = analyzer.analyze_file(path, data, options)
            if not isinstance(result, dict):
                raise TypeError(f"analyze_file returned {type(result).__name__}, expected dict")
            json.dumps(result, allow_nan=False)
            out.append((path, result, True))
        except TimeoutError:
            out.append((path, {"error": f"took longer than {file_timeout:g}s", "capped": True}, False))
        except MemoryError:
            out.append((path, {"error": (limits or ChildLimits.file_worker()).memory_error(), "capped": True}, False))
        except Exception as exc:  # noqa: BLE001
            out.append((path, {"error": _describe_exception(exc)}, True))
    return out


def _batches(entries: Sequence[FileEntry], workers: int) -> list[list[FileEntry]]:
    """Split work into batches small enough to balance, large enough to amortize IPC."""
    if not entries:
        return []
    per_batch = max(1, min(64, len(entries) // max(1, workers * 8) or 1))
    total_bytes = sum(e.size for e in entries) or 1
    byte_cap = max(256 * 1024, total_bytes // max(1, workers * 8))
    batches: list[list[FileEntry]] = []
    current: list[FileEntry] = []
    size = 0
    for entry in entries:
        current.append(entry)
        size += entry.size
        if len(current) >= per_batch or size >= byte_cap:
            batches.append(current)
            current, size = [], 0
    if current:
        batches.append(current)
    return batches


def _aggregating(analyzer: FileAnalyzer, files: dict[str, dict[str, Any]]) -> Callable[[AnalysisContext], Any]:
    """The call that combines ``files`` (path -> output) with ``analyzer``'s aggregate."""
    return lambda ctx: analyzer.aggregate(ctx, files)


class Runner:
    """Runs analyzers with caching, isolation and a shared process pool."""

    def __init__(
        self,
        manager: PluginManager,
        *,
        result_cache: KeyValueCache | None = None,
        blob_cache: KeyValueCache | None = None,
        state_store: Any = None,
        workers: int | None = None,
        isolation: str = "process",
        limits: Limits | None = None,
        keep_file_pools: bool = False,
    ):
        self.manager = manager
        # Whole results can be megabytes each: keep only a few in memory (the database keeps them all).
        self.result_cache = result_cache if result_cache is not None else MemoryCache(256)
        self.blob_cache = blob_cache if blob_cache is not None else MemoryCache(200_000)
        self.state_store = state_store if state_store is not None else StateStore()
        self.workers = workers if workers is not None else (os.cpu_count() or 1)
        if isolation not in ("process", "thread"):
            raise ValueError("isolation must be 'process' or 'thread'")
        if isolation == "process" and "fork" not in multiprocessing.get_all_start_methods():
            isolation = "thread"
        self.isolation = isolation
        self.limits = limits or Limits()
        #: Keep each file analyzer's workers from run to run (one thread running many commits of
        #: one repository, as ``coe history`` does): a run then forks no new workers.
        self.keep_file_pools = keep_file_pools
        self._pools: dict[tuple[Any, ...], FilePool] = {}

    # -- pool --------------------------------------------------------------

    def close(self) -> None:
        """Release what the runner holds: the file workers kept with ``keep_file_pools``."""
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- running -----------------------------------------------------------

    def run(
        self,
        repo_path: str,
        commit: str,
        repository: RepositoryInfo,
        analyzers: Sequence[str] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        ref: str = "HEAD",
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        use_cache: bool = True,
    ) -> RepositoryOutcome:
        """Run ``analyzers`` (all when None) on ``commit`` and return every outcome.

        Raises :class:`PlanError` or :class:`~coe_framework.plugin.contract.OptionsError`
        before anything runs when the request itself is wrong.
        """
        steps = plan_steps(self.manager, analyzers, options)
        return self.run_steps(repo_path, commit, repository, steps, ref=ref, progress=progress, cancelled=cancelled,
                              use_cache=use_cache)

    def run_steps(
        self,
        repo_path: str,
        commit: str,
        repository: RepositoryInfo,
        steps: Sequence[Step],
        *,
        ref: str = "HEAD",
        progress: ProgressCallback | None = None,
        cancelled: Callable[[], bool] | None = None,
        use_cache: bool = True,
    ) -> RepositoryOutcome:
        """Run a plan made beforehand (:func:`plan_steps`, a submission's) on ``commit``.

        The steps are run in their order with their options as given: nothing
        is planned or validated again.
        """
        ordered = [step.analyzer for step in steps]
        parsed = {step.name: step.options for step in steps}
        is_cancelled = cancelled or (lambda: False)
        started = time.monotonic()
        outcomes: dict[str, AnalyzerOutcome] = {}
        count = len(ordered)
        file_count = 0
        tracked: list[int] = []  # the commit's entry count, found at most once per run

        def tracked_entries(ctx: AnalysisContext | None = None) -> int:
            """A commit's entries never change: kept in the blob cache, so a cached run need not list them."""
            if not tracked:
                key = cache_key("entries", commit)
                if ctx is not None:
                    tracked.append(len(ctx.files))
                else:
                    hit = self.blob_cache.get_many([key]).get(key)
                    count = hit.get("entries") if isinstance(hit, dict) else None
                    tracked.append(count if isinstance(count, int) else count_entries(repo_path, commit))
                    if count == tracked[0]:
                        return tracked[0]
                self.blob_cache.put_many({key: {"entries": tracked[0]}})
            return tracked[0]

        for index, analyzer in enumerate(ordered):
            def step(fraction: float, message: str, _i: int = index, _name: str = analyzer.name) -> None:
                if progress is not None:
                    progress(min(1.0, (_i + max(0.0, min(1.0, fraction))) / count), f"{_name}: {message}" if message else _name)

            step(0.0, "starting")
            opts = parsed[analyzer.name]
            ohash = analyzer.options_hash(opts)
            key = cache_key(repository.url, commit, analyzer.name, analyzer.version, ohash)
            failed_req = [r for r in analyzer.requires if not outcomes.get(r) or not outcomes[r].ok]
            if is_cancelled():
                outcomes[analyzer.name] = AnalyzerOutcome(analyzer.name, analyzer.version, ohash, "cancelled", error="cancelled", cache_key=key)
                continue
            if failed_req:
                outcomes[analyzer.name] = AnalyzerOutcome(
                    analyzer.name, analyzer.version, ohash, "skipped",
                    error=f"requires '{failed_req[0]}', which did not succeed", cache_key=key,
                )
                continue
            if use_cache:
                hit = self.result_cache.get_many([key]).get(key)
                if hit is not None:
                    outcomes[analyzer.name] = AnalyzerOutcome(
                        analyzer.name, analyzer.version, ohash, "succeeded", data=hit, cache_key=key, cached=True
                    )
                    if isinstance(analyzer, FileAnalyzer):  # a cached run covers the same files as a fresh one
                        file_count = max(file_count, tracked_entries())
                    step(1.0, "cached")
                    continue
            inputs = {name: outcomes[name].data for name in (*analyzer.requires, *analyzer.uses) if name in outcomes and outcomes[name].ok}
            state_key = cache_key("state", analyzer.name, repository.url, ref)
            ctx = AnalysisContext(
                repo_path=repo_path,
                commit=commit,
                repository=repository,
                options=opts,
                results=inputs,
                limits=self.limits,
                previous_state=self.state_store.get_state(state_key),
                plugins=self.manager,
                _cancelled=is_cancelled,
            )
            t0 = time.monotonic()
            stats: dict[str, Any] = {}
            tree_key: str | None = None
            reused: dict[str, Any] | None = None
            try:
                if isinstance(analyzer, FileAnalyzer):
                    files, stats, tree_key = self._run_files(analyzer, opts, ohash, ctx, step, is_cancelled)
                    file_count = max(file_count, tracked_entries(ctx))
                    if analyzer.pure_aggregate:
                        reused = self.result_cache.get_many([tree_key]).get(tree_key)
                    call: Callable[[AnalysisContext], Any] = _aggregating(analyzer, files)
                else:
                    call = analyzer.analyze
                if reused is not None:
                    isolated = _Isolated("succeeded")  # same files, same outputs: the same aggregate
                else:
                    raw_progress = lambda done, total, message: step(done / total if total else 0.0, message)  # noqa: E731
                    runner_fn = _run_in_child if self.isolation == "process" else _run_in_thread
                    isolated = runner_fn(analyzer, call, ctx, float(analyzer.timeout), raw_progress, is_cancelled)
            except Cancelled:
                isolated = _Isolated("cancelled", error="cancelled")
            except Exception as exc:  # noqa: BLE001 - framework-side failure for this analyzer only
                log.exception("running analyzer %s failed", analyzer.name)
                isolated = _Isolated("failed", error=_describe_exception(exc))
            finally:
                ctx.close()
            outcome = AnalyzerOutcome(
                analyzer.name, analyzer.version, ohash, isolated.status,
                error=isolated.error, duration=time.monotonic() - t0, cache_key=key, stats=stats,
            )
            if reused is not None:
                outcome.data, outcome.cached = reused, True
                self.result_cache.put_many({key: reused})
            elif isolated.status == "succeeded" and isolated.text is not None:
                outcome.data = json.loads(isolated.text)
                fresh = {key: outcome.data}
                if tree_key is not None and isinstance(analyzer, FileAnalyzer) and analyzer.pure_aggregate:
                    fresh[tree_key] = outcome.data
                self.result_cache.put_many(fresh)
                if isolated.state_set:
                    self.state_store.put_state(state_key, isolated.state)
            outcomes[analyzer.name] = outcome
            step(1.0, outcome.status)

        status = overall_status([o.status for o in outcomes.values()])
        return RepositoryOutcome(repository, commit, status, outcomes, time.monotonic() - started, file_count)

    def _run_on_kept_pool(self, key: tuple[Any, ...], work: Any, batches: list[Any], file_timeout: float,
                          is_cancelled: Callable[[], bool], absorb: Callable[[Any], None], stats: dict[str, Any]) -> None:
        """Run ``batches`` on the pool kept for ``key`` (same analyzer, options and repository: the
        workers were forked with exactly this work); a run that does not end cleanly drops it."""
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = FilePool(self.workers, work)
        replaced = pool.replaced
        try:
            for batch_out in pool.run(batches, file_timeout, is_cancelled):
                absorb(batch_out)
        except BaseException:
            self._pools.pop(key, None)
            pool.close()
            raise
        if pool.replaced > replaced:
            stats["workers_replaced"] = pool.replaced - replaced

    def _run_files(
        self,
        analyzer: FileAnalyzer,
        opts: BaseModel,
        ohash: str,
        ctx: AnalysisContext,
        step: Callable[[float, str], None],
        is_cancelled: Callable[[], bool],
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any], str]:
        """Per-file outputs (cached or fresh), counts, and a key naming this exact set of inputs."""
        entries = [e for e in ctx.regular_files() if analyzer.select(e, opts)]
        own_max, file_timeout = analyzer.file_limits(opts)
        max_size = min(own_max, self.limits.max_file_size)
        keys = {e.path: cache_key(analyzer.name, analyzer.version, ohash, e.path, e.sha) for e in entries}
        cached = self.blob_cache.get_many(keys.values())
        files: dict[str, dict[str, Any]] = {}
        todo: list[FileEntry] = []
        for entry in entries:
            hit = cached.get(keys[entry.path])
            if hit is not None:
                files[entry.path] = hit
            elif entry.size > max_size:
                files[entry.path] = {"error": f"larger than {max_size} bytes", "capped": True, "size": entry.size}
            else:
                todo.append(entry)
        stats = {"files": len(entries), "cached": len(cached), "analyzed": len(todo)}
        total = len(todo)
        done = 0
        fresh: dict[str, Any] = {}

        def absorb(batch_out: list[tuple[str, dict[str, Any], bool]]) -> None:
            nonlocal done
            for path, result, cacheable in batch_out:
                files[path] = result
                if cacheable:
                    fresh[keys[path]] = result
            done += len(batch_out)
            step(0.9 * done / max(1, total), f"{done}/{total} files")

        batches = [[(e.path, e.sha) for e in batch] for batch in _batches(todo, self.workers)]
        step(0.0, f"{total} files to analyze, {len(cached)} cached")
        try:  # whatever happens, what was analysed goes into the cache
            if self.isolation == "thread":
                for batch in batches:
                    if is_cancelled():
                        raise Cancelled("analysis cancelled")
                    absorb(analyze_file_batch(analyzer, opts, ctx.repo_path, batch, file_timeout=file_timeout))
            elif batches:
                work = functools.partial(analyze_file_batch, analyzer, opts, ctx.repo_path, file_timeout=file_timeout)
                if self.keep_file_pools:
                    self._run_on_kept_pool((analyzer.name, ohash, ctx.repo_path, file_timeout), work, batches, file_timeout,
                                           is_cancelled, absorb, stats)
                else:
                    # A pool per run: its workers die with this thread, which waits for them.
                    with FilePool(min(self.workers, len(batches)), work) as pool:
                        for batch_out in pool.run(batches, file_timeout, is_cancelled):
                            absorb(batch_out)
                        if pool.replaced:
                            stats["workers_replaced"] = pool.replaced
        finally:
            if fresh:
                self.blob_cache.put_many(fresh)
        tree_key = cache_key("files", analyzer.name, analyzer.version, ohash, *sorted(keys.values()))
        return dict(sorted(files.items())), stats, tree_key
