"""The plugin manager: discovery, allow and deny lists, tracing, load failures.

Plugins come from the ``coe`` entry point group (the built-ins included) and
from one-off module files named in ``COE_PLUGIN_MODULES`` (``os.pathsep``
separated) for local experiments. Environment:

``COE_PLUGINS``          comma-separated allowlist of third-party plugin names;
                         set but empty means "built-ins only".
``COE_DISABLE_PLUGINS``  comma-separated blocklist (built-ins included).
``COE_TRACE_PLUGINS``    log every hook call and its result to stderr.
``COE_STRICT_PLUGINS``   a plugin that fails to load stops the tool.

A plugin module may set ``COE_HOOKSPECS`` to a module or class of hookspecs
of its own (marked with :data:`coe_framework.plugin.hookspecs.hookspec`); they are
added before the plugin registers, so other plugins can extend it.

A plugin that fails to import or register is recorded in
:attr:`PluginManager.load_errors` and skipped, so one broken plugin never
bricks the tool.
"""
from __future__ import annotations

import importlib.util
import logging
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import pluggy

from coe_framework.plugin import hookspecs
from .contract import Analyzer, contract_problems

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "coe"
#: Distributions whose entry points are the framework's own built-ins.
BUILTIN_DISTRIBUTIONS = frozenset({"coe-framework"})


class PluginLoadError(RuntimeError):
    """Raised in strict mode when a plugin cannot be loaded."""


@dataclass
class PluginInfo:
    """What the framework knows about one loaded (or failed) plugin."""

    name: str
    module: str = ""
    version: str | None = None
    distribution: str | None = None
    builtin: bool = False
    source: str = "entrypoint"  # entrypoint | module | object
    hooks: list[str] = field(default_factory=list)
    analyzers: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    routes: list[str] = field(default_factory=list)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "module": self.module,
            "version": self.version,
            "distribution": self.distribution,
            "builtin": self.builtin,
            "source": self.source,
            "hooks": sorted(self.hooks),
            "analyzers": sorted(self.analyzers),
            "commands": sorted(self.commands),
            "routes": sorted(self.routes),
            "error": self.error,
        }


def _split_env(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {item.strip() for item in value.split(",") if item.strip()}


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


class PluginManager:
    """Loads CoE plugins and collects what they contribute.

    ``env`` defaults to the environment and the settings file
    (:func:`coe_framework.settings.environ`); tests pass their own mapping.
    """

    def __init__(self, env: Mapping[str, str] | None = None):
        if env is None:
            from ..settings import environ

            env = environ()
        self.env = env
        self.pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self.pm.add_hookspecs(hookspecs)
        self.plugins: dict[str, PluginInfo] = {}
        self.load_errors: dict[str, str] = {}
        self.strict = _truthy(self.env.get("COE_STRICT_PLUGINS"))
        self.allow = _split_env(self.env.get("COE_PLUGINS"))
        self.deny = _split_env(self.env.get("COE_DISABLE_PLUGINS")) or set()
        self._analyzers: dict[str, Analyzer] | None = None
        self._analyzer_owner: dict[str, str] = {}
        if _truthy(self.env.get("COE_TRACE_PLUGINS")):
            self.enable_tracing()

    @property
    def hook(self) -> Any:
        """pluggy's hook relay (``manager.hook.coe_analysis_started(...)``)."""
        return self.pm.hook

    # -- discovery ---------------------------------------------------------

    def load_entrypoints(self) -> None:
        """Register every plugin in the ``coe`` entry point group, honouring the lists."""
        for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = getattr(ep, "dist", None)
            dist_name = dist.metadata["Name"] if dist is not None else None
            builtin = (dist_name or "").lower().replace("_", "-") in BUILTIN_DISTRIBUTIONS
            if not self._wanted(ep.name, builtin) or ep.name in self.plugins:
                continue
            info = PluginInfo(
                name=ep.name,
                module=ep.value,
                version=dist.version if dist is not None else None,
                distribution=dist_name,
                builtin=builtin,
            )
            try:
                obj = ep.load()
            except BaseException as exc:  # noqa: BLE001 - an import may raise anything, even SystemExit
                self._fail(info, f"import failed: {type(exc).__name__}: {exc}")
                continue
            self._register(obj, info)

    def load_module_file(self, path: str | Path) -> None:
        """Register a one-off plugin from a ``.py`` file (local experiments)."""
        path = Path(path)
        name = path.stem
        info = PluginInfo(name=name, module=str(path), source="module")
        if name in self.deny:
            return
        try:
            spec = importlib.util.spec_from_file_location(f"coe_local_plugin_{name}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
        except BaseException as exc:  # noqa: BLE001
            self._fail(info, f"import failed: {type(exc).__name__}: {exc}")
            return
        self._register(module, info)

    def load_env_modules(self) -> None:
        """Load the files named in ``COE_PLUGIN_MODULES``."""
        for item in (self.env.get("COE_PLUGIN_MODULES") or "").split(os.pathsep):
            if item.strip():
                self.load_module_file(item.strip())

    def register(self, plugin: Any, name: str, *, builtin: bool = False) -> None:
        """Register an already imported plugin object (tests and embedding)."""
        module = getattr(plugin, "__name__", type(plugin).__name__)
        self._register(plugin, PluginInfo(name=name, module=module, builtin=builtin, source="object"))
        self.verify()

    def verify(self) -> None:
        """Unregister plugins that implement hooks nobody specified.

        Run once everything is registered, since a plugin may implement a hook
        that another plugin (loaded later) defines; pluggy's own
        ``check_pending`` would blame the whole set, this blames the plugin.
        """
        for hook_name, caller in list(vars(self.pm.hook).items()):
            if caller.has_spec():
                continue
            for impl in list(caller.get_hookimpls()):
                if impl.opts.get("optionalhook"):
                    continue
                if self.pm.is_registered(impl.plugin):
                    self.pm.unregister(impl.plugin)
                info = self.plugins.get(impl.plugin_name) or PluginInfo(name=impl.plugin_name)
                self._fail(info, f"implements unknown hook '{hook_name}' (misspelled, or the plugin defining it is not loaded)")
        self._analyzers = None

    def _wanted(self, name: str, builtin: bool) -> bool:
        if name in self.deny:
            return False
        if builtin or self.allow is None:
            return True
        return name in self.allow

    def _register(self, obj: Any, info: PluginInfo) -> None:
        try:
            # A plugin may define hooks of its own for other plugins to implement.
            own_specs = getattr(obj, "COE_HOOKSPECS", None)
            if own_specs is not None:
                self.pm.add_hookspecs(own_specs)
            self.pm.register(obj, name=info.name)
        except Exception as exc:  # noqa: BLE001
            if self.pm.is_registered(obj):
                self.pm.unregister(obj)
            self._fail(info, f"registration failed: {exc}")
            return
        info.hooks = [caller.name for caller in self.pm.get_hookcallers(obj) or []]
        self.plugins[info.name] = info
        self._analyzers = None

    def _fail(self, info: PluginInfo, message: str) -> None:
        info.error = message
        self.plugins[info.name] = info
        self.load_errors[info.name] = message
        log.warning("plugin %s: %s", info.name, message)
        if self.strict:
            raise PluginLoadError(f"plugin '{info.name}' failed to load: {message}")

    # -- registration hooks ------------------------------------------------

    def collect(self, hook_name: str, record: Callable[[str, Any], None], **arguments: Any) -> None:
        """Call a registration hook plugin by plugin, so each contribution is
        attributed to the plugin that made it.

        ``record(plugin_name, item)`` is called for each ``register(item)``; an
        exception from a plugin's hook (or from ``record``) is that plugin's
        load error and never stops the others. ``arguments`` are passed to the
        hook besides ``register``.
        """
        caller = getattr(self.pm.hook, hook_name)
        for impl in list(caller.get_hookimpls()):
            plugin_name = impl.plugin_name
            others = [p for p in self.pm.get_plugins() if p is not impl.plugin]
            subset = self.pm.subset_hook_caller(hook_name, remove_plugins=others)
            try:
                subset(register=lambda item, _n=plugin_name: record(_n, item), **arguments)
            except Exception as exc:  # noqa: BLE001
                self._fail(self.plugins.setdefault(plugin_name, PluginInfo(name=plugin_name)), f"{hook_name} failed: {exc}")

    @property
    def analyzers(self) -> dict[str, Analyzer]:
        """Every registered analyzer by name (collected once, then cached)."""
        if self._analyzers is None:
            found: dict[str, Analyzer] = {}
            owner: dict[str, str] = {}

            def record(plugin: str, analyzer: Any) -> None:
                problems = contract_problems(analyzer)
                if problems:
                    raise ValueError("; ".join(problems))
                if analyzer.name in found:
                    raise ValueError(f"analyzer '{analyzer.name}' is already registered by plugin '{owner[analyzer.name]}'")
                found[analyzer.name] = analyzer
                owner[analyzer.name] = plugin
                self.plugins.setdefault(plugin, PluginInfo(name=plugin)).analyzers.append(analyzer.name)

            for info in self.plugins.values():
                info.analyzers = []
            self.collect("coe_register_analyzers", record)
            self._analyzers, self._analyzer_owner = found, owner
        return self._analyzers

    def analyzer_owner(self, name: str) -> str | None:
        """The plugin that registered analyzer ``name``."""
        self.analyzers  # noqa: B018 - make sure they were collected
        return self._analyzer_owner.get(name)

    def get_analyzer(self, name: str) -> Analyzer:
        """The analyzer called ``name``; KeyError names the known ones."""
        try:
            return self.analyzers[name]
        except KeyError:
            known = ", ".join(sorted(self.analyzers)) or "none"
            raise KeyError(f"unknown analyzer '{name}' (installed: {known})") from None

    def call_listeners(self, hook_name: str, **kwargs: Any) -> None:
        """Fire a lifecycle hook; a listener's exception is logged, never raised."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in caller.get_hookimpls():
            others = [p for p in self.pm.get_plugins() if p is not impl.plugin]
            try:
                self.pm.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
            except Exception:  # noqa: BLE001
                log.exception("plugin %s raised in %s (ignored)", impl.plugin_name, hook_name)

    # -- introspection -----------------------------------------------------

    def enable_tracing(self, writer: Callable[[str], None] | None = None) -> None:
        """Log every hook call with its arguments and results."""
        out = writer or (lambda line: sys.stderr.write(line))
        self.pm.trace.root.setwriter(out)
        self.pm.enable_tracing()

    def describe(self, include_hooks: bool = True) -> list[dict[str, Any]]:
        """Every plugin, loaded or failed, as plain data (for CLI and API)."""
        self.analyzers  # noqa: B018
        rows = []
        for info in sorted(self.plugins.values(), key=lambda i: (not i.builtin, i.name)):
            row = info.to_dict()
            if not include_hooks:
                row.pop("hooks")
            rows.append(row)
        return rows


def create_manager(
    env: Mapping[str, str] | None = None,
    *,
    extra_plugins: Iterable[tuple[str, Any]] = (),
    entrypoints: bool = True,
) -> PluginManager:
    """Build a manager with every discoverable plugin loaded."""
    manager = PluginManager(env)
    if entrypoints:
        manager.load_entrypoints()
    manager.load_env_modules()
    for name, plugin in extra_plugins:
        manager.register(plugin, name)
    manager.verify()
    return manager


_default: PluginManager | None = None


def get_manager() -> PluginManager:
    """The process-wide manager, created on first use."""
    global _default
    if _default is None:
        _default = create_manager()
    return _default


def reset_manager(manager: PluginManager | None = None) -> None:
    """Replace (or forget) the process-wide manager; used by tests and the test kit."""
    global _default
    _default = manager
