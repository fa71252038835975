"""An isolated CoE framework for tests: only the plugins under test, run for real.

:class:`CoeEnv` loads the chosen plugins through their ``coe`` entry points
(the way ``coe`` itself finds them), or takes plugin objects directly, and runs
analyzers through :class:`coe_framework.analysis.runner.Runner` with process isolation,
timeouts and the per-file pool, so a test sees exactly what a user would.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from ..plugin.contract import Analyzer, AnalyzerOutcome
from ..plugin.context import Limits, RepositoryInfo
from ..plugin.hookspecs import hookimpl
from ..plugin.manager import BUILTIN_DISTRIBUTIONS, ENTRY_POINT_GROUP, PluginManager, reset_manager
from ..repository.sources import open_repository
from ..analysis.runner import RepositoryOutcome, Runner
from .gitrepo import GitRepo

RepoLike = GitRepo | str | os.PathLike[str]


class KitSetupError(RuntimeError):
    """The test environment cannot be built as asked (one line saying why)."""


def installed_plugins() -> dict[str, bool]:
    """Every plugin name in the ``coe`` entry point group, mapped to "is built-in"."""
    found: dict[str, bool] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        dist_name = (dist.metadata["Name"] if dist is not None else "") or ""
        found[ep.name] = dist_name.lower().replace("_", "-") in BUILTIN_DISTRIBUTIONS
    return found


class AnalyzerPlugin:
    """A plugin object registering the given analyzer instances (tests only)."""

    def __init__(self, *analyzers: Analyzer):
        self.analyzers = analyzers

    @hookimpl
    def coe_register_analyzers(self, register: Callable[[Any], None]) -> None:
        """Register each analyzer given to the constructor."""
        for analyzer in self.analyzers:
            register(analyzer)


@dataclass(frozen=True)
class PreparedTarget:
    """A repository ready for the runner: git directory, pinned commit, identity."""

    git_dir: str
    commit: str
    info: RepositoryInfo


def prepare_target(repo: RepoLike, ref: str | None = None) -> PreparedTarget:
    """Resolve a test repository the way the service does (local source, pinned ref)."""
    path = repo.path if isinstance(repo, GitRepo) else Path(repo)
    prepared = open_repository(str(path), ref)
    info = RepositoryInfo(url=prepared.source.url, name=prepared.source.name, path=str(prepared.git_dir))
    return PreparedTarget(str(prepared.git_dir), prepared.commit, info)


def build_manager(
    plugins: Iterable[str] = (),
    builtins: Iterable[str] = (),
    objects: Iterable[tuple[str, Any]] = (),
) -> PluginManager:
    """A strict plugin manager holding only the named entry-point plugins and objects.

    ``plugins`` and ``builtins`` are entry point names; a name that is not
    installed is a :class:`KitSetupError` saying how to install it. Strict
    mode is on, so a plugin that fails to load fails the test with its error.
    """
    wanted_third_party = list(dict.fromkeys(plugins))
    wanted_builtins = list(dict.fromkeys(builtins))
    available = installed_plugins()
    for name in wanted_third_party:
        if name not in available:
            raise KitSetupError(
                f"no plugin named '{name}' in the '{ENTRY_POINT_GROUP}' entry point group; install the package that "
                f"declares it (pip install -e .) and check its [options.entry_points] {ENTRY_POINT_GROUP} = {name} = ..."
            )
    for name in wanted_builtins:
        if not available.get(name, False):
            builtin_names = ", ".join(sorted(n for n, b in available.items() if b)) or "none"
            raise KitSetupError(f"'{name}' is not a built-in plugin (built-ins: {builtin_names})")
    selected = set(wanted_third_party) | set(wanted_builtins)
    env = {
        "COE_PLUGINS": ",".join(wanted_third_party),
        "COE_DISABLE_PLUGINS": ",".join(sorted(set(available) - selected)),
        "COE_STRICT_PLUGINS": "1",
    }
    manager = PluginManager(env)
    if selected:
        manager.load_entrypoints()
    for name, obj in objects:
        manager.register(obj, name)
    manager.verify()
    return manager


class CoeEnv:
    """An isolated framework: a plugin manager, a runner and a scratch directory.

    Use it as a context manager (the pytest fixture ``coe_env`` does). While
    it is open, :func:`coe_framework.plugin.manager.get_manager` returns its manager
    (unless ``activate`` is false), so the ``coe`` CLI (:meth:`cli`) and the
    web app see only these plugins.
    """

    def __init__(
        self,
        root: str | os.PathLike[str],
        *,
        plugins: Iterable[str] = (),
        builtins: Iterable[str] = (),
        objects: Iterable[tuple[str, Any]] = (),
        workers: int = 2,
        isolation: str = "process",
        limits: Limits | None = None,
        activate: bool = True,
    ):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.plugin_names = tuple(plugins)
        self.builtin_names = tuple(builtins)
        self.manager = build_manager(self.plugin_names, self.builtin_names, objects)
        self.workers = workers
        self.isolation = isolation
        self.limits = limits or Limits()
        self.runner = Runner(self.manager, workers=workers, isolation=isolation, limits=self.limits)
        self.database_url = f"sqlite:///{self.root / 'coe.sqlite3'}"
        self._engine: Any = None
        self._cleanups: list[Callable[[], None]] = []
        self.activated = activate
        if activate:
            reset_manager(self.manager)

    # -- lifecycle -----------------------------------------------------------

    def close(self) -> None:
        """Stop worker processes, web apps and the database; forget the process-wide manager."""
        self.runner.close()
        for cleanup in reversed(self._cleanups):
            cleanup()
        self._cleanups.clear()
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        if self.activated:
            reset_manager()

    def add_cleanup(self, cleanup: Callable[[], None]) -> None:
        """Run ``cleanup`` when this environment closes (last added, first run): for what
        other test kits build on it, such as the web app's test client."""
        self._cleanups.append(cleanup)

    def __enter__(self) -> "CoeEnv":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- plugins -------------------------------------------------------------

    def register(self, plugin: Any, name: str) -> None:
        """Add a plugin object (a module or an instance with hook implementations)."""
        self.manager.register(plugin, name)

    def add_analyzers(self, *analyzers: Analyzer, plugin: str = "test-analyzers") -> None:
        """Register analyzer instances under one test plugin."""
        self.register(AnalyzerPlugin(*analyzers), plugin)

    @property
    def analyzers(self) -> dict[str, Analyzer]:
        """The analyzers this environment can run, by name."""
        return self.manager.analyzers

    # -- database and web app ----------------------------------------------------

    @property
    def engine(self) -> Any:
        """A SQLAlchemy engine on this environment's own SQLite database, migrated to the latest revision."""
        if self._engine is None:
            from coe_migrate.migrate import ensure_current

            from ..db.engine import make_engine

            engine = make_engine(self.database_url)
            ensure_current(engine)
            self._engine = engine
        return self._engine

    @property
    def store(self) -> Any:
        """The shared queries (:class:`coe_framework.db.store.Store`) on this environment's database."""
        from ..analysis.process_store import store_for

        return store_for(self.engine)

    # -- running -------------------------------------------------------------

    def analyze(
        self,
        repo: RepoLike,
        analyzers: Sequence[str] | None = None,
        options: Mapping[str, Mapping[str, Any]] | None = None,
        *,
        ref: str | None = None,
        cancelled: Callable[[], bool] | None = None,
        use_cache: bool = False,
    ) -> RepositoryOutcome:
        """Run analyzers (all when None) on ``repo`` at ``ref`` and return every outcome.

        The result cache is bypassed unless ``use_cache`` is true, so each call
        really runs the analyzers.
        """
        target = prepare_target(repo, ref)
        return self.runner.run(
            target.git_dir, target.commit, target.info, analyzers, options,
            cancelled=cancelled, use_cache=use_cache,
        )

    def run_analyzer(self, name: str, repo: RepoLike, *, ref: str | None = None, **options: Any) -> dict[str, Any]:
        """Run one analyzer (plus what it requires) and return its validated result.

        Raises AssertionError with the recorded error when it did not succeed.
        The result has been through the framework's own validation (JSON,
        then the analyzer's Result model), exactly as it would be stored.
        """
        outcome = self.analyze(repo, [name], {name: options} if options else None, ref=ref).outcomes[name]
        return outcome_data(outcome)

    def cli(self, *args: str, input: str | None = None) -> Any:
        """Invoke the ``coe`` command in-process with this environment's plugins.

        Returns click's :class:`~click.testing.Result` (``exit_code``,
        ``output``, ``stdout``, ``stderr``).
        """
        from click.testing import CliRunner

        from ..cli.main import cli

        reset_manager(self.manager)
        return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def outcome_data(outcome: AnalyzerOutcome) -> dict[str, Any]:
    """The data of a successful outcome; AssertionError with its error otherwise."""
    if outcome.status != "succeeded" or outcome.data is None:
        raise AssertionError(
            f"analyzer '{outcome.analyzer}' ended {outcome.status}: {outcome.error or 'no data'}"
        )
    # A round trip through JSON proves the data is what the store would hold.
    return json.loads(json.dumps(outcome.data, ensure_ascii=False, allow_nan=False))
