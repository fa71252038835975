"""The analyzer contract every plugin implements.

Two shapes exist:

* :class:`Analyzer` looks at a whole repository at one commit through an
  :class:`~coe_framework.plugin.context.AnalysisContext` and returns one JSON object.
* :class:`FileAnalyzer` is called once per selected file blob (on a process
  pool, with results cached by blob SHA, so an unchanged file is never analysed
  twice) and then once more to aggregate the per-file outputs.

Every analyzer declares ``name``, ``version`` (bump it whenever its output can
change: cached results are keyed by it), ``requires`` (analyzers whose results
it reads; they run first), ``Options`` (a Pydantic model) and ``Result`` (a
Pydantic model the output is validated against).
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

from .options import NoOptions as NoOptions  # the contract's name for an analyzer without options
#: The normalized tables an analyzer may fill through :meth:`Analyzer.table_rows`, with the keys a
#: row may carry; defined beside the tables, re-exported here for plugin authors.
from ..db.normalized_tables import NORMALIZED_TABLES as NORMALIZED_TABLES
from ..errors import BadInput

if TYPE_CHECKING:  # pragma: no cover
    from .context import AnalysisContext, FileEntry

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")


class AnalyzerError(Exception):
    """An analyzer failed in a way worth reporting without a traceback."""


class AnyResult(BaseModel):
    """Result model that accepts any JSON object (use a real one if you can)."""

    model_config = ConfigDict(extra="allow")


class Analyzer:
    """A repository-level analyzer.

    Subclasses set the class attributes and implement :meth:`analyze`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    description: ClassVar[str] = ""
    #: Analyzers whose results this one reads; they are run first.
    requires: ClassVar[tuple[str, ...]] = ()
    #: Analyzers whose results this one reads when they were selected too.
    uses: ClassVar[tuple[str, ...]] = ()
    Options: ClassVar[type[BaseModel]] = NoOptions
    Result: ClassVar[type[BaseModel]] = AnyResult
    #: Seconds before the run is stopped and recorded as timed out.
    timeout: ClassVar[float] = 1800.0

    def analyze(self, ctx: "AnalysisContext") -> dict[str, Any]:
        """Return this analyzer's JSON-serializable result for ``ctx``."""
        raise NotImplementedError

    def table_rows(self, data: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
        """Rows for the normalized, queryable tables, made from a result.

        Return ``{table: [row, ...]}`` for any of the tables named in
        :data:`NORMALIZED_TABLES`, each row using that table's keys (missing
        keys are stored as NULL, unknown keys are an error). The framework
        stores them next to the result so they can be queried across
        repositories. Default: none.
        """
        return {}

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        """A few headline figures from a result, for tables and reports.

        Override to show something useful in ``coe analyze``; values should be
        short scalars (``{"commits": 120, "authors": 7}``).
        """
        return {}

    # -- helpers the framework uses; plugins rarely override these ---------

    @classmethod
    def parse_options(cls, raw: Mapping[str, Any] | None) -> BaseModel:
        """Validate user options; raises :class:`OptionsError` with one line."""
        try:
            return cls.Options.model_validate(dict(raw or {}))
        except ValidationError as exc:
            raise OptionsError(cls.name, exc) from None

    @classmethod
    def options_hash(cls, options: BaseModel) -> str:
        """A stable hash of validated options, part of every cache key."""
        canonical = json.dumps(options.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    @classmethod
    def describe(cls) -> dict[str, Any]:
        """Metadata, option and result schemas, as listed by ``coe plugins``."""
        return {
            "name": cls.name,
            "version": cls.version,
            "description": cls.description,
            "kind": "file" if issubclass(cls, FileAnalyzer) else "repository",
            "requires": list(cls.requires),
            "uses": list(cls.uses),
            "options_schema": cls.Options.model_json_schema(),
            "result_schema": cls.Result.model_json_schema(),
        }


class FileAnalyzer(Analyzer):
    """An analyzer called once per file blob, then once to aggregate.

    :meth:`analyze_file` must be a pure function of its arguments: it runs in a
    worker process and its output is cached by (name, version, options, blob
    SHA). :meth:`aggregate` runs once per analysis with every file's output.
    """

    #: Seconds one file may take before it is reported as capped.
    file_timeout: ClassVar[float] = 10.0
    #: Files larger than this are reported as capped and not read.
    max_file_size: ClassVar[int] = 2 * 1024 * 1024
    #: True when :meth:`aggregate` depends only on the per-file outputs, their
    #: paths and blob SHAs, and the options: then a tree whose selected files
    #: are all unchanged reuses the previous aggregate without running it.
    pure_aggregate: ClassVar[bool] = False

    def file_limits(self, options: BaseModel) -> tuple[int, float]:
        """``(max_file_size, file_timeout)`` for this run.

        Defaults to the class attributes; override to make them options.
        """
        return self.max_file_size, self.file_timeout

    def select(self, entry: "FileEntry", options: BaseModel) -> bool:
        """Return True for files this analyzer wants to see."""
        return True

    def analyze_file(self, path: str, data: bytes, options: BaseModel) -> dict[str, Any]:
        """Return a JSON-serializable result for one file's bytes."""
        raise NotImplementedError

    def aggregate(self, ctx: "AnalysisContext", files: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """Combine per-file outputs (path -> output) into the final result.

        A file that was skipped or failed appears with an ``error`` key (and
        ``capped: true`` when a size or time cap stopped it).
        """
        return {"files": files}

    def analyze(self, ctx: "AnalysisContext") -> dict[str, Any]:  # pragma: no cover
        raise TypeError("file analyzers are driven by the runner, not called directly")


class OptionsError(BadInput, AnalyzerError):
    """Options given to an analyzer failed validation.

    Bad input, never retried (the same options fail again); an ``AnalyzerError``
    as well, as callers caught before the error kinds existed. ``field`` is
    ``options.<analyzer>``, as a request names it.
    """

    def __init__(self, analyzer: str, exc: ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'options'}: {err['msg']}" for err in exc.errors()
        )
        super().__init__(f"invalid options for analyzer '{analyzer}': {problems}", field=f"options.{analyzer}")
        self.analyzer = analyzer
        self.errors = exc.errors(include_url=False, include_context=False)


def unknown_choice(installed: Mapping[str, "Analyzer"], analyzers: Any, options: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first analyzer a request names, or gives options for, that is not installed, as
    ``(field, message)`` (``analyzers.1``, ``options.git``); None when every one is."""
    for index, name in enumerate(analyzers or []):
        if name not in installed:
            known = ", ".join(sorted(installed)) or "none"
            return f"analyzers.{index}", f"unknown analyzer '{name}' (installed: {known})"
    for name in options:
        if name not in installed:
            return f"options.{name}", f"options given for unknown analyzer '{name}'"
    return None


def choice_problem(installed: Mapping[str, "Analyzer"], analyzers: Any, options: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first problem with a request's choice of analyzers and their options, as
    ``(field, message)`` (``analyzers.1``, ``options.git``); None when every one is usable."""
    unknown = unknown_choice(installed, analyzers, options)
    if unknown is not None:
        return unknown
    for name, raw in options.items():
        try:
            installed[name].parse_options(dict(raw))
        except Exception as exc:  # noqa: BLE001 - the analyzer's own one-line reason, whatever it raised
            return f"options.{name}", str(exc).splitlines()[0] if str(exc) else "invalid options"
    return None


def contract_problems(analyzer: Any) -> list[str]:
    """Return what is wrong with ``analyzer``'s declaration, empty when nothing.

    Used at registration time and by the plugin test kit; every message says
    what to fix.
    """
    problems: list[str] = []
    if not isinstance(analyzer, Analyzer):
        return [f"{analyzer!r} is not an instance of coe_framework.plugin.contract.Analyzer or FileAnalyzer"]
    cls = type(analyzer)
    name = getattr(cls, "name", None)
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        problems.append(
            f"{cls.__name__}.name must be a lowercase identifier (letters, digits, '-' or '_'), got {name!r}"
        )
    version = getattr(cls, "version", None)
    if not isinstance(version, str) or not version.strip():
        problems.append(f"{cls.__name__}.version must be a non-empty string such as '1.0'")
    for attr in ("requires", "uses"):
        value = getattr(cls, attr, ())
        if not isinstance(value, (tuple, list)) or not all(isinstance(v, str) for v in value):
            problems.append(f"{cls.__name__}.{attr} must be a tuple of analyzer names")
    for attr in ("Options", "Result"):
        model = getattr(cls, attr, None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            problems.append(f"{cls.__name__}.{attr} must be a pydantic.BaseModel subclass")
            continue
        try:
            model.model_json_schema()
        except Exception as exc:  # noqa: BLE001 - any failure is a contract problem
            problems.append(f"{cls.__name__}.{attr} has no valid JSON schema: {exc}")
    if isinstance(analyzer, FileAnalyzer):
        if type(analyzer).analyze_file is FileAnalyzer.analyze_file:
            problems.append(f"{cls.__name__} must implement analyze_file(path, data, options)")
    elif type(analyzer).analyze is Analyzer.analyze:
        problems.append(f"{cls.__name__} must implement analyze(ctx)")
    timeout = getattr(cls, "timeout", None)
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        problems.append(f"{cls.__name__}.timeout must be a positive number of seconds")
    return problems


@dataclass
class AnalyzerOutcome:
    """What one analyzer produced for one repository at one commit."""

    analyzer: str
    version: str
    options_hash: str
    status: str  # succeeded | failed | timed_out | cancelled | skipped
    data: dict[str, Any] | None = None
    error: str | None = None
    duration: float = 0.0
    cache_key: str = ""
    cached: bool = False
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def to_dict(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "version": self.version,
            "options_hash": self.options_hash,
            "status": self.status,
            "data": self.data,
            "error": self.error,
            "duration": round(self.duration, 6),
            "cache_key": self.cache_key,
            "cached": self.cached,
            "stats": self.stats,
        }


def validate_result(analyzer: Analyzer, data: Any) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Check that ``data`` is a JSON object matching the analyzer's Result.

    Returns ``(data, json_text, error)``. Serializing first proves the output
    is JSON; validating the JSON text (not the Python objects) means what is
    checked is exactly what gets stored.
    """
    if not isinstance(data, dict):
        return None, None, f"analyzer '{analyzer.name}' returned {type(data).__name__}, expected a JSON object (dict)"
    try:
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        return None, None, f"analyzer '{analyzer.name}' returned data that is not JSON-serializable: {exc}"
    try:
        type(analyzer).Result.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "result"
        return None, None, (
            f"analyzer '{analyzer.name}' returned data that does not match its Result schema "
            f"({exc.error_count()} error(s); first at {where}: {first['msg']})"
        )
    return data, text, None
