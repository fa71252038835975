"""The analyzer conformance suite: does an analyzer meet the CoE contract?

:func:`assert_analyzer_conforms` runs an analyzer through the real framework
path (:class:`~coe_framework.analysis.runner.Runner`: process isolation, timeouts, the
per-file pool and blob cache) on repositories built to be awkward, and raises
one AssertionError listing every problem found, each saying what to fix.

Checks (names usable in ``skip=``):

``contract``      metadata well-formed (:func:`coe_framework.plugin.contract.contract_problems`)
``schemas``       option and result schemas are valid JSON Schema; empty options are
                  accepted and unknown ones refused; file analyzers can be pickled
``sample``        a mixed history (renames, a merge, two authors, a binary file, a
                  non-UTF-8 path, a symbolic link, a file over the size cap) analyses
                  successfully without reading the oversized file, into JSON matching
                  the Result model and the published result schema, with valid
                  ``table_rows`` and ``summary``
``deterministic`` a second run on another copy of the same history, in a new interpreter with
                  another ``PYTHONHASHSEED`` (set and dict-of-hash order changes), returns
                  identical JSON; in this process when the analyzer cannot be rebuilt there
``empty_tree``    a commit whose tree has no files analyses successfully
``cancellation``  cancelling while the analyzer runs ends it as ``cancelled``
``sandbox``       nothing is written to the repository, HOME, TMPDIR, the working
                  directory or the analyzer's own package
"""
from __future__ import annotations

import atexit
import contextlib
import functools
import inspect
import json
import os
import pickle
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import jsonschema
from pydantic import BaseModel, ValidationError

from ..plugin.contract import NORMALIZED_TABLES, Analyzer, AnalyzerOutcome, FileAnalyzer, contract_problems
from ..plugin.context import BlobReader, Limits
from ..analysis.runner import PlanError, Runner
from .environment import AnalyzerPlugin, CoeEnv, build_manager, prepare_target
from .fresh_run import FreshRunSpec, FreshRunUnavailable, run_fresh
from .gitrepo import OVERSIZED_PATH, GitRepo, GitRepoFactory
from .sandbox import Sandbox, changes, snapshot

CHECKS = ("contract", "schemas", "sample", "deterministic", "empty_tree", "cancellation", "sandbox")
#: The checks that need the analyzer to run.
RUN_CHECKS = ("sample", "deterministic", "empty_tree", "cancellation", "sandbox")

#: The size cap used for conformance runs, and the size of the file that exceeds it.
CONFORMANCE_MAX_FILE_SIZE = 64 * 1024
OVERSIZED_FILE_BYTES = 256 * 1024
#: How long one conformance run may take before it counts as hung.
RUN_TIME_LIMIT = 120.0
#: How long a cancelled analyzer may keep running before it counts as hung.
CANCEL_GRACE_SECONDS = 10.0
SUMMARY_SCALARS = (str, int, float, bool, type(None))
#: Recognisable framework errors and what usually causes them.
ERROR_HINTS = (
    ("unicode string", "a string in the result is not valid UTF-8, usually a path decoded from raw bytes; "
     "use FileEntry.path, which is already display-safe, instead of decoding raw_path yourself"),
    ("not JSON-serializable", "return only dicts, lists, str, int, float, bool and None (convert dates, sets and "
     "paths first)"),
    ("does not match its Result schema", "make analyze() return what the Result model declares, or fix the model"),
)


@dataclass
class Problem:
    """One way the analyzer falls short, with what to do about it."""

    check: str
    message: str


class ConformanceError(AssertionError):
    """The analyzer does not meet the contract; ``problems`` lists why."""

    def __init__(self, analyzer: str, problems: list[Problem]):
        self.analyzer = analyzer
        self.problems = problems
        lines = [f"analyzer '{analyzer}' does not conform to the CoE analyzer contract ({len(problems)} problem(s)):"]
        lines += [f"  {i}. [{p.check}] {p.message}" for i, p in enumerate(problems, 1)]
        super().__init__("\n".join(lines))


class _CancelWhenStarted:
    """A ``cancelled()`` that turns true just after the analyzer under test starts.

    The runner reports ``"<name>: starting"`` through progress, then asks
    ``cancelled()`` once before running it; every later question (from the
    runner or from the analyzer's own ``ctx.check_cancelled()``) gets True.
    """

    def __init__(self, name: str):
        self.prefix = f"{name}: starting"
        self.armed = False
        self.answers_left = 1
        self.lock = threading.Lock()

    def progress(self, fraction: float, message: str) -> None:
        if message.startswith(self.prefix):
            with self.lock:
                self.armed = True

    def __call__(self) -> bool:
        with self.lock:
            if not self.armed:
                return False
            if self.answers_left:
                self.answers_left -= 1
                return False
            return True


@dataclass
class _Suite:
    analyzer: Analyzer
    env: CoeEnv
    options: Mapping[str, Any] | None
    workdir: Path
    skip: frozenset[str]
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.analyzer.name

    def fail(self, check: str, message: str) -> None:
        self.problems.append(Problem(check, message))

    def wants(self, check: str) -> bool:
        return check not in self.skip

    # -- running ---------------------------------------------------------------

    def runner(self, isolation: str = "process") -> Runner:
        limits = Limits(max_file_size=CONFORMANCE_MAX_FILE_SIZE)
        return Runner(self.env.manager, workers=2, isolation=isolation, limits=limits)

    def run(self, repo: Any, runner: Runner, *, cancelled: Any = None, progress: Any = None) -> AnalyzerOutcome:
        """One run; one that outlasts :data:`RUN_TIME_LIMIT` is stopped and reported as timed out.

        The analyzer's own ``timeout`` may be half an hour; the conformance
        repositories hold a dozen small files, so a run that long is a hang.
        """
        target = prepare_target(repo)
        options = {self.name: dict(self.options)} if self.options else None
        deadline = time.monotonic() + RUN_TIME_LIMIT
        expired = lambda: time.monotonic() > deadline  # noqa: E731
        outcome = runner.run(
            target.git_dir, target.commit, target.info, [self.name], options,
            cancelled=lambda: expired() or bool(cancelled and cancelled()), progress=progress, use_cache=False,
        ).outcomes[self.name]
        if outcome.status == "cancelled" and expired():
            outcome.status = "timed_out"
            outcome.error = f"still running after {RUN_TIME_LIMIT:g}s on a repository of a dozen small files"
        return outcome

    # -- checks ------------------------------------------------------------------

    def check_schemas(self) -> bool:
        """Schema and options checks; returns whether the analyzer can be run with the options given."""
        cls = type(self.analyzer)
        for attr in ("Options", "Result"):
            model: type[BaseModel] = getattr(cls, attr)
            schema = model.model_json_schema()
            try:
                jsonschema.validators.validator_for(schema).check_schema(schema)
            except jsonschema.SchemaError as exc:
                self.fail("schemas", f"{cls.__name__}.{attr} produces an invalid JSON Schema ({exc.message}); "
                          "use plain pydantic field types so model_json_schema() is valid")
        try:
            cls.Options.model_validate({})
        except ValidationError as exc:
            field_name = ".".join(str(p) for p in exc.errors()[0]["loc"])
            self.fail("schemas", f"{cls.__name__}.Options needs a value for '{field_name}'; give every option a default "
                      "so the analyzer runs when no options are passed (coe analyze runs every analyzer that way)")
        if cls.Options.model_config.get("extra") != "forbid":
            self.fail("schemas", f"{cls.__name__}.Options accepts unknown keys, so a misspelt option is silently ignored; "
                      "set model_config = ConfigDict(extra='forbid') on it")
        runnable = True
        try:
            cls.Options.model_validate(dict(self.options or {}))
        except ValidationError as exc:
            runnable = False
            if self.options:
                self.fail("schemas", f"the options given to the conformance suite are invalid for {cls.__name__}: {exc.errors()[0]['msg']}")
        if isinstance(self.analyzer, FileAnalyzer):
            try:
                pickle.loads(pickle.dumps(self.analyzer))
            except Exception as exc:  # noqa: BLE001 - any pickling failure is the same problem
                self.fail("schemas", f"{cls.__name__} cannot be pickled ({type(exc).__name__}: {exc}); file analyzers are "
                          "sent to worker processes, so define the class at module level and keep only picklable attributes")
        try:
            json.dumps(cls.describe())
        except (TypeError, ValueError) as exc:
            self.fail("schemas", f"{cls.__name__}.describe() is not JSON-serializable ({exc}); keep name, version and description plain strings")
        return runnable

    def check_result(self, check: str, where: str, outcome: AnalyzerOutcome) -> dict[str, Any] | None:
        """A succeeded outcome with data that the published schema and helpers accept."""
        if outcome.status != "succeeded" or outcome.data is None:
            self.fail(check, f"on {where} it ended '{outcome.status}': {outcome.error or 'no data'}; {self.hint(outcome)}")
            return None
        data = outcome.data
        schema = type(self.analyzer).describe()["result_schema"]  # exactly what coe plugins and the API publish
        error = jsonschema.exceptions.best_match(jsonschema.validators.validator_for(schema)(schema).iter_errors(data))
        if error is not None:
            at = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            self.fail(check, f"on {where} the result does not match the published result schema at {at}: {error.message}; "
                      "make the Result model describe exactly what analyze() returns (types are not coerced for API readers)")
        self.check_table_rows(check, where, data)
        self.check_summary(check, where, data)
        return data

    def hint(self, outcome: AnalyzerOutcome) -> str:
        """What to change, for an outcome that did not succeed."""
        if outcome.status == "timed_out":
            return "make it faster, and look for a loop that never ends or a call that waits forever"
        if outcome.status == "cancelled":
            return "it was cancelled although nothing asked it to stop"
        error = outcome.error or ""
        for marker, hint in ERROR_HINTS:
            if marker in error:
                return hint
        return "fix what the error names (the file and line where it broke)"

    def check_table_rows(self, check: str, where: str, data: dict[str, Any]) -> None:
        try:
            tables = self.analyzer.table_rows(data)
        except Exception as exc:  # noqa: BLE001 - report whatever it raised
            self.fail(check, f"table_rows() raised {type(exc).__name__}: {exc} on {where}; it must accept any result analyze() returns")
            return
        if not isinstance(tables, dict):
            self.fail(check, f"table_rows() returned {type(tables).__name__}; return {{table: [row, ...]}}")
            return
        for table, rows in tables.items():
            if table not in NORMALIZED_TABLES:
                self.fail(check, f"table_rows() names unknown table '{table}'; use one of {', '.join(NORMALIZED_TABLES)}")
                continue
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                self.fail(check, f"table_rows()['{table}'] must be a list of dicts")
                continue
            allowed = set(NORMALIZED_TABLES[table])
            unknown = sorted({k for r in rows for k in r} - allowed)
            if unknown:
                self.fail(check, f"table_rows()['{table}'] rows use unknown keys {unknown}; allowed: {sorted(allowed)}")
            try:
                json.dumps(rows, allow_nan=False)
            except (TypeError, ValueError) as exc:
                self.fail(check, f"table_rows()['{table}'] is not JSON-serializable: {exc}")

    def check_summary(self, check: str, where: str, data: dict[str, Any]) -> None:
        try:
            summary = self.analyzer.summary(data)
        except Exception as exc:  # noqa: BLE001
            self.fail(check, f"summary() raised {type(exc).__name__}: {exc} on {where}; it must accept any result analyze() returns")
            return
        if not isinstance(summary, dict) or not all(isinstance(v, SUMMARY_SCALARS) for v in summary.values()):
            self.fail(check, "summary() must return a dict of short scalars such as {'files': 12}")

    def sandbox_targets(self) -> dict[str, Path]:
        """Directories whose contents the analyzer must leave alone, besides the sandbox."""
        targets: dict[str, Path] = {}
        try:
            module_file = Path(inspect.getfile(type(self.analyzer)))
        except (TypeError, OSError):
            return targets
        if (module_file.parent / "__init__.py").exists():
            targets[f"its own package ({module_file.parent})"] = module_file.parent
        return targets

    def check_sample_and_sandbox(self, factory: GitRepoFactory) -> dict[str, Any] | None:
        repo = factory.clone(_sample_template(OVERSIZED_FILE_BYTES), "first/sample")
        sandbox = Sandbox(self.workdir / "sandbox")
        watched = {"the repository": repo.path, **self.sandbox_targets()}
        before_dirs = {label: snapshot(path, ignore_dirs=frozenset({"__pycache__"})) for label, path in watched.items()}
        before_sandbox = sandbox.snapshot()
        oversized_sha = repo.git("rev-parse", f"HEAD:{OVERSIZED_PATH}").strip()
        reads_log = self.workdir / "oversized-reads.log"
        runner = self.runner()
        try:
            with sandbox.active(), _logging_blob_reads(oversized_sha, reads_log):
                outcome = self.run(repo, runner)
        finally:
            runner.close()
        data = self.check_result("sample", "the sample repository", outcome) if self.wants("sample") else outcome.data
        if self.wants("sample") and reads_log.exists():
            self.fail("sample", f"read {OVERSIZED_PATH} ({OVERSIZED_FILE_BYTES // 1024} KiB) although it is over the "
                      f"{CONFORMANCE_MAX_FILE_SIZE // 1024} KiB size cap; read blobs through ctx.read(), ctx.read_text() "
                      "or ctx.iter_contents(), which return None above the cap, not through ctx.reader")
        if self.wants("sandbox"):
            after_sandbox = sandbox.snapshot()
            for label in before_sandbox:
                diff = changes(before_sandbox[label], after_sandbox[label])
                if diff:
                    self.fail("sandbox", f"wrote to {label} ({'; '.join(diff[:5])}); an analyzer must not write files — "
                              "keep intermediate data in memory, or use tempfile.TemporaryDirectory() and let it clean up")
            for label, path in watched.items():
                diff = changes(before_dirs[label], snapshot(path, ignore_dirs=frozenset({"__pycache__"})))
                if label != "the repository":
                    diff = [d for d in diff if d.startswith("created ")]  # others may edit sources meanwhile
                if diff:
                    self.fail("sandbox", f"changed {label} ({'; '.join(diff[:5])}); analyzers read the repository "
                              "through ctx and must never write to it, to the repository's git directory or to their own package")
        return data

    def check_deterministic(self, factory: GitRepoFactory, first: dict[str, Any]) -> None:
        copy = factory.clone(_sample_template(OVERSIZED_FILE_BYTES), "second/sample")
        outcome, fresh = self.second_run(copy)
        where = "a second copy of the sample repository" + (" in a new interpreter" if fresh else "")
        second = self.check_result("deterministic", where, outcome)
        if second is None:
            return
        a = json.dumps(first, ensure_ascii=False, sort_keys=False)
        b = json.dumps(second, ensure_ascii=False, sort_keys=False)
        if a != b:
            at = _first_difference(first, second)
            seeds = " (the second in a new interpreter with another PYTHONHASHSEED)" if fresh else ""
            self.fail("deterministic", f"two runs on the same commit{seeds} returned different results (first difference at {at}); "
                      "results are cached per commit, so leave out clocks, random values and the checkout path, "
                      "and sort anything built from sets or directory listings: their order changes with the hash seed")

    def second_run(self, repo: GitRepo) -> tuple[AnalyzerOutcome, bool]:
        """The second run: in a new interpreter when the analyzer can be rebuilt there (True), else here."""
        from_plugins = self.name in build_manager(self.env.plugin_names, self.env.builtin_names).analyzers
        scratch = self.workdir / "fresh-run"
        scratch.mkdir(exist_ok=True)
        spec = FreshRunSpec(
            analyzer=None if from_plugins else self.analyzer, analyzer_name=self.name, plugins=self.env.plugin_names,
            builtins=self.env.builtin_names, options=dict(self.options) if self.options else None,
            repository=str(repo.path), workdir=str(scratch), max_file_size=CONFORMANCE_MAX_FILE_SIZE,
        )
        try:
            return run_fresh(spec, timeout=RUN_TIME_LIMIT + 60), True
        except FreshRunUnavailable:
            runner = self.runner()
            try:
                return self.run(repo, runner), False
            finally:
                runner.close()

    def check_empty_tree(self, factory: GitRepoFactory) -> None:
        repo = factory.empty_tree("empty")
        runner = self.runner()
        try:
            outcome = self.run(repo, runner)
        finally:
            runner.close()
        self.check_result("empty_tree", "a commit with no files", outcome)

    def check_cancellation(self, factory: GitRepoFactory, sample_ok: bool) -> None:
        repo = factory.clone(_sample_template(OVERSIZED_FILE_BYTES), "cancel/sample")
        cancel = _CancelWhenStarted(self.name)
        # Thread isolation: unlike a forked process, a thread cannot be killed,
        # so this shows whether the analyzer itself stops when asked.
        runner = self.runner("thread")
        try:
            outcome = self.run(repo, runner, cancelled=cancel, progress=cancel.progress)
        finally:
            runner.close()
        straggler = next((t for t in threading.enumerate() if t.name == f"coe-{self.name}"), None)
        if straggler is not None:
            straggler.join(CANCEL_GRACE_SECONDS)
            if straggler.is_alive():
                self.fail("cancellation", f"kept running more than {CANCEL_GRACE_SECONDS:g}s after the analysis was cancelled; "
                          "call ctx.check_cancelled() between units of work (ctx.iter_contents() does it for you)")
                return
        if outcome.status == "succeeded":
            self.fail("cancellation", "ran to completion although the analysis was cancelled as it started; call "
                      "ctx.check_cancelled() between units of work (ctx.iter_contents() does it for you) and let the "
                      "Cancelled exception propagate (an `except Exception:` around that call swallows it)")
        elif outcome.status != "cancelled" and sample_ok:
            self.fail("cancellation", f"ended '{outcome.status}' instead of 'cancelled' when the analysis was cancelled "
                      f"({outcome.error}); let the Cancelled exception from ctx.check_cancelled() propagate unchanged")


@contextlib.contextmanager
def _logging_blob_reads(watched_sha: str, log: Path) -> Iterator[None]:
    """Append to ``log`` whenever any process forked meanwhile reads blob ``watched_sha``.

    ``ctx.read`` returns None above the size cap without touching the blob, and
    the runner never hands an oversized blob to ``analyze_file``; a read of the
    oversized blob therefore means the analyzer went around the cap.
    """
    original = BlobReader.read

    def read(self: BlobReader, sha: str) -> bytes:
        if sha == watched_sha:
            with open(log, "a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")
        return original(self, sha)

    BlobReader.read = read  # type: ignore[method-assign]
    try:
        yield
    finally:
        BlobReader.read = original  # type: ignore[method-assign]


@functools.lru_cache(maxsize=None)
def _sample_template(oversized_bytes: int) -> GitRepo:
    """The sample history, built once per process; each suite works on fresh clones of it."""
    root = Path(tempfile.mkdtemp(prefix="coe-conformance-template-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    return GitRepoFactory(root).sample("sample", oversized_bytes=oversized_bytes)


def _first_difference(a: Any, b: Any, path: str = "result") -> str:
    if type(a) is not type(b):
        return path
    if isinstance(a, dict):
        if list(a) != list(b):
            return f"{path} (keys or their order)"
        for key in a:
            if a[key] != b[key]:
                return _first_difference(a[key], b[key], f"{path}.{key}")
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path} (length {len(a)} vs {len(b)})"
        for i, (x, y) in enumerate(zip(a, b)):
            if x != y:
                return _first_difference(x, y, f"{path}[{i}]")
    return path


def check_analyzer(
    analyzer: Analyzer | str,
    *,
    env: CoeEnv | None = None,
    builtins: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
    workdir: str | Path | None = None,
    skip: Iterable[str] = (),
) -> list[Problem]:
    """Run the conformance checks and return the problems found (empty: conforms).

    ``analyzer`` is an instance, or the name of an analyzer already loaded in
    ``env``. Without ``env`` the suite builds one holding only this analyzer
    plus the ``builtins`` named (list those it ``requires``). ``options`` are
    passed on every run; ``skip`` names checks (see :data:`CHECKS`) to leave
    out, for example ``skip=["cancellation"]`` for an analyzer whose single
    call cannot be interrupted.
    """
    skipped = frozenset(skip)
    unknown = sorted(skipped - set(CHECKS))
    if unknown:
        raise ValueError(f"unknown conformance check(s) {unknown}; known: {', '.join(CHECKS)}")
    if isinstance(analyzer, str):
        if env is None:
            raise ValueError("pass env= (a CoeEnv holding the analyzer) when naming the analyzer by string")
        try:
            instance = env.manager.get_analyzer(analyzer)
        except KeyError as exc:
            raise AssertionError(f"{exc.args[0]}; is the plugin that registers it loaded in this environment?") from None
    else:
        instance = analyzer
    problems = contract_problems(instance)
    if problems:
        return [Problem("contract", p) for p in problems]
    with tempfile.TemporaryDirectory(prefix="coe-conformance-", dir=workdir) as scratch:
        root = Path(scratch)
        own_env = env is None
        if env is None:
            env = CoeEnv(
                root / "env", builtins=builtins, objects=[("plugin-under-test", AnalyzerPlugin(instance))], activate=False
            )
        elif instance.name not in env.manager.analyzers:
            env.add_analyzers(instance, plugin=f"plugin-under-test-{instance.name}")
        try:
            return _run_suite(_Suite(instance, env, options, root, skipped))
        finally:
            if own_env:
                env.close()


def _run_suite(suite: _Suite) -> list[Problem]:
    runnable = suite.check_schemas()
    if not suite.wants("schemas"):
        suite.problems.clear()
    if not runnable or not any(suite.wants(c) for c in RUN_CHECKS):
        return suite.problems
    factory = GitRepoFactory(suite.workdir / "repos")
    first = None
    ran_sample = any(suite.wants(c) for c in ("sample", "sandbox", "deterministic"))
    if ran_sample:
        try:
            first = suite.check_sample_and_sandbox(factory)
        except PlanError as exc:
            suite.fail("sample", f"cannot be run: {exc}; pass builtins=[...] naming every analyzer it requires")
            return suite.problems
    if first is not None and suite.wants("deterministic"):
        suite.check_deterministic(factory, first)
    if suite.wants("empty_tree"):
        suite.check_empty_tree(factory)
    if suite.wants("cancellation"):
        suite.check_cancellation(factory, first is not None or not ran_sample)
    return suite.problems


def assert_analyzer_conforms(
    analyzer: Analyzer | str,
    *,
    env: CoeEnv | None = None,
    builtins: Iterable[str] = (),
    options: Mapping[str, Any] | None = None,
    workdir: str | Path | None = None,
    skip: Iterable[str] = (),
) -> None:
    """Raise :class:`ConformanceError` (an AssertionError) unless ``analyzer`` meets the contract.

    Arguments as for :func:`check_analyzer`. The error lists every problem
    found, each with what to change.
    """
    problems = check_analyzer(analyzer, env=env, builtins=builtins, options=options, workdir=workdir, skip=skip)
    if problems:
        name = analyzer if isinstance(analyzer, str) else getattr(type(analyzer), "name", type(analyzer).__name__)
        raise ConformanceError(str(name), problems)
