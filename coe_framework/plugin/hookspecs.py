"""Every hook a CoE plugin can implement.

A plugin is any module or object with functions decorated by :data:`hookimpl`
whose names match the specs below. Plugins are discovered through the ``coe``
entry point group (see docs/plugins.md); the built-in ``git``, ``ast`` and
``techspec`` analyzers register exactly the same way.

Registration hooks receive a ``register`` callback rather than returning values,
so the framework knows which plugin contributed each analyzer, command, route or
document, and can report it in ``coe plugins`` and ``/api/v1/plugins``.

Hook versioning policy: a hook's name and arguments never change within a major
version. New arguments are only ever added (pluggy passes each implementation
just the arguments it names), and a hook is deprecated for one minor release,
with a warning, before it is removed.
"""
from __future__ import annotations

from typing import Any, Callable

import pluggy

PROJECT_NAME = "coe"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec
def coe_register_analyzers(register: Callable[[Any], None]) -> None:
    """Contribute analyzers.

    Call ``register(analyzer)`` once per analyzer, with an instance of a
    subclass of :class:`coe_framework.plugin.contract.Analyzer` or
    :class:`coe_framework.plugin.contract.FileAnalyzer`. Names must be unique across
    all loaded plugins; a duplicate is recorded as a load error of the plugin
    that registered it second.

    Example::

        @hookimpl
        def coe_register_analyzers(register):
            register(TodoCounter())
    """


@hookspec
def coe_register_commands(register: Callable[[Any], None]) -> None:
    """Contribute commands to the ``coe`` command line.

    Call ``register(command)`` with a :class:`click.Command` or
    :class:`click.Group`. The command is added under its own name; a name that
    is already taken is recorded as a load error and skipped.

    Example::

        @hookimpl
        def coe_register_commands(register):
            @click.command()
            def hello():
                click.echo("hello")
            register(hello)
    """


@hookspec
def coe_register_routes(register: Callable[[Any], None]) -> None:
    """Contribute web routes.

    Call ``register(blueprint)`` with a :class:`flask.Blueprint` (or an
    :class:`apiflask.APIBlueprint`, whose routes then appear in the OpenAPI
    document). The web app mounts it under ``/api/v1/ext/<plugin-name>`` (a
    blueprint's own ``url_prefix`` is replaced, so plugins can never shadow
    the API's routes) and guards it like the API itself: reads need a token
    with the ``read`` scope, anything else ``write``. The core never imports
    Flask; only the web app calls this hook.

    Example::

        @hookimpl
        def coe_register_routes(register):
            bp = Blueprint("todo", __name__)

            @bp.get("/todo")
            def todo():
                return {"ok": True}
            register(bp)
    """


@hookspec
def coe_rag_documents(
    repository: dict[str, Any],
    results: dict[str, Any],
    register: Callable[..., None],
) -> None:
    """Contribute retrieval (RAG) documents made from one repository's results.

    ``repository`` describes the analyzed repository (``url``, ``name``,
    ``commit``, ``path`` of a readable checkout-free view), ``results`` maps an
    analyzer name to the payload it returned for that commit (only analyzers
    that succeeded appear). Call ``register(text=..., metadata=..., kind=...,
    key=...)`` (keywords only) once per document:

    * ``key`` is unique within your plugin and stable for the same commit (a
      path plus a symbol name, say), so document ids stay the same across runs;
    * ``kind`` is lowercase letters, digits and underscores (``code_chunk``);
    * ``metadata`` values are plain scalars (str, int, float, bool, None);
      ``path``, ``line_start``, ``line_end``, ``language`` and ``analyzer``
      fill the standard fields every document carries.

    A plugin may register at most 50,000 documents per repository; past that,
    and when the hook raises, only that plugin's documents are affected.
    """


@hookspec
def coe_embed_documents(documents: list[dict[str, Any]]) -> None:
    """Attach embedding vectors to RAG documents, in place.

    Each document is a dict with ``id``, ``text`` and ``metadata``. An embedding
    plugin sets ``document["embedding"] = [float, ...]`` and should record its
    model in ``document["metadata"]["embedding_model"]``. No embedding plugin
    is required; without one, documents carry no vectors.
    """


@hookspec
def coe_dashboard_panels(repository: dict[str, Any], results: dict[str, Any], register: Callable[[dict[str, Any]], None]) -> None:
    """Contribute panels to a repository's dashboard page (optional: results show without one).

    ``repository`` holds ``id``, ``url`` and ``name``; ``results`` maps each
    analyzer that succeeded in the repository's latest analysis to its
    payload. Call ``register(panel)`` once per panel, where ``panel`` is a dict:
    ``title`` (str), optionally ``figures`` (label to a str or number) and a
    table as ``columns`` (list of column names) and ``rows`` (list of dicts,
    at most 500 shown). Everything is shown as text, never as HTML; a panel
    of another shape, or a hook that raises, is left out (and recorded as the
    plugin's error) without affecting the page.
    """


@hookspec
def coe_analysis_started(analysis: dict[str, Any]) -> None:
    """Called when an analysis begins running.

    ``analysis`` holds ``id`` (None for an unsaved CLI run), ``repositories``
    (a list of dicts with ``url``, ``name`` and ``commit``) and ``analyzers``.
    Implementations must be quick and must not raise; an exception is logged
    and ignored so a listener can never break an analysis.
    """


@hookspec
def coe_analysis_finished(analysis: dict[str, Any], status: str) -> None:
    """Called when an analysis has ended.

    ``status`` is one of ``succeeded``, ``partial``, ``failed`` or
    ``cancelled``; ``analysis`` is the same mapping as in
    :func:`coe_analysis_started` plus ``errors`` (analyzer name to message).
    Like the start event, exceptions are logged and ignored.
    """


@hookspec(firstresult=True)
def coe_embedding_model() -> str | None:
    """Name the model your ``coe_embed_documents`` would embed with now.

    Return a stable name (``"local:all-MiniLM-L6-v2"``) when your provider
    is configured, None otherwise; the first answer counts. Search uses it to
    embed a document only once per (document id, model) and to embed queries
    with the same model as the stored vectors. Optional: without it every
    document is passed to ``coe_embed_documents`` on every indexing.
    """


@hookspec
def coe_register_measures(register: Callable[[Any], None]) -> None:
    """Declare measures: named numbers computed from an analyzer's result.

    Call ``register(measure)`` once per measure with a
    :class:`coe_framework.measures.Measure`: ``key`` (a lowercase identifier,
    unique across plugins: a duplicate is the second plugin's load error),
    ``analyzer`` (whose result it reads), ``description``, ``better``
    (``"lower"``, ``"higher"`` or None) and either ``value(result)`` or
    ``compare(result, baseline_result)``, returning a number or None (not
    applicable). ``value`` measures are computed whenever results are stored
    and kept per commit in the ``measures`` table, for ``coe trend``, the
    API and quality gates; ``compare`` measures need a baseline and are
    computed by ``coe gate`` only. Functions run in the parent process:
    keep them quick and pure; one that raises or returns anything but a
    finite number is left out and logged.

    Example::

        @hookimpl
        def coe_register_measures(register):
            register(Measure("todo_count", "todo-counter", "TODO comments",
                             value=lambda result: result["total"], better="lower"))
    """


@hookspec
def coe_register_export_formats(register: Callable[[Any], None]) -> None:
    """Contribute export formats of a stored analysis.

    Call ``register(fmt)`` once per format with a
    :class:`coe_framework.plugin_api.ExportFormat`: ``name`` (lowercase
    letters, digits, ``-`` and ``_``, unique across plugins: a duplicate is
    the second plugin's load error), ``media_type``, ``suffix`` (``".cdx.json"``),
    ``render(source, options)``, ``analyzers`` (the results ``render`` reads,
    so only those are loaded; None for all), ``description`` and ``options``
    (:class:`~coe_framework.plugin_api.ExportOption`: name, type
    ``float``/``int``/``str``/``choice``, default, help, minimum, choices).

    ``source`` is a :class:`coe_framework.plugin_api.ExportSource`:
    ``source.analysis`` (repositories, each with ``results`` by analyzer),
    ``source.vulnerabilities``, ``source.correlations``,
    ``source.rag_documents()`` and ``source.one_repository(id, analyzer)``.
    ``options`` holds every declared option, parsed. Return text (``str``),
    ``bytes``, an iterable of ``str`` pieces, or a JSON document (a dict or
    list: files get it indented, the API compact). Raise
    :class:`~coe_framework.plugin_api.ExportError` for unusable options.

    The format is then ``coe export ANALYSIS --format NAME`` and
    ``GET /api/v1/analyses/{id}/exports/NAME``, listed by ``coe export --list``
    and ``GET /api/v1/export-formats``.

    Example::

        @hookimpl
        def coe_register_export_formats(register):
            register(ExportFormat("todo-csv", "text/csv", ".csv", render_todos, analyzers=("todo-counter",)))
    """
