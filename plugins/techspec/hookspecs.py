"""Hooks the techspec analyzer offers to other plugins.

A plugin implements them with :data:`coe_framework.plugin.hookspecs.hookimpl`, like
any CoE hook. techspec calls them at the start of every analysis, so a
plugin installed next to it extends what it recognises without any change
to techspec itself. Contributions from a plugin that raises, or items that
are not valid, are skipped and reported as findings of the analysis.
"""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin_api import hookspec


@hookspec
def coe_techspec_manifest_parsers(register: Callable[[Any], None]) -> None:
    """Contribute dependency manifest parsers.

    Call ``register(parser)`` with a
    :class:`coe_plugins.techspec.manifests.ManifestParser`: a ``name``, the
    ``ecosystem`` it reports (a package-URL type such as ``pypi``, ``npm``,
    ``maven``, ``conan``...), file-name ``patterns`` and a ``parse`` function.
    ``parse(source)`` receives a
    :class:`~coe_plugins.techspec.manifests.ManifestSource` (``path``,
    ``text``, and ``repo`` for reading other files of the same commit) and
    returns :class:`~coe_plugins.techspec.models.ManifestFacts`; for a file
    it cannot read it raises
    :class:`~coe_plugins.techspec.safeload.ManifestError`, which becomes a
    finding. Set ``lock=True`` for lock files: their versions then fill in
    the declared dependencies of the manifests the lock covers: with
    ``locks=("name of a manifest parser", ...)``, those parsers' manifests in
    the project folders the facts' ``lock`` (``LockFacts``) lists, or in the
    lock's folder; without ``locks``, manifests of the ecosystem in the same
    folder or below. An exact pin is never overwritten.
    Use the loaders in :mod:`coe_plugins.techspec.safeload` for JSON, TOML,
    YAML and XML: they cap nesting, aliases and entities.

    Example::

        @hookimpl
        def coe_techspec_manifest_parsers(register):
            register(ManifestParser("conanfile.txt", "conan", ("conanfile.txt",), parse_conanfile))
    """


@hookspec
def coe_techspec_rules(register: Callable[[Any], None]) -> None:
    """Contribute technology rules (frameworks, databases, build tools, test
    frameworks, linters, formatters).

    Call ``register(rules)`` with one rule mapping, a list of them, or a
    mapping ``{"rules": [...]}`` (the shape of techspec's own
    ``data/rules.yaml``, so ``register(yaml.safe_load(text))`` works for a
    rule file shipped as package data). A rule has ``name``, ``category``
    (``framework``, ``database``, ``build-tool``, ``test-framework``,
    ``linter`` or ``formatter``), ``dependencies`` (ecosystem to package
    names, ``*`` at the end matches a prefix) and ``files`` (shell patterns on
    a base name, or on the whole path when they hold a ``/``).

    Example::

        @hookimpl
        def coe_techspec_rules(register):
            register({"name": "Litestar", "category": "framework",
                      "dependencies": {"pypi": ["litestar"]}})
    """
