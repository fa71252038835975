"""Collect manifest parsers and rules that other plugins contribute."""
from __future__ import annotations

from typing import Any, Callable

from .manifests import ManifestParser
from .models import Finding
from .rules import Rule, RuleError, parse_rules

PARSERS_HOOK = "coe_techspec_manifest_parsers"
RULES_HOOK = "coe_techspec_rules"


def _collect(plugins: Any, hook: str, accept: Callable[[str, Any], None], findings: list[Finding]) -> None:
    """Call a registration hook plugin by plugin; never raises.

    A plugin whose hook raises is reported as a finding (and recorded by the
    plugin manager as that plugin's error) while the others still count.
    """
    if plugins is None or not hasattr(plugins, "collect") or not hasattr(plugins.hook, hook):
        return
    before = dict(getattr(plugins, "load_errors", {}))

    def record(plugin: str, item: Any) -> None:
        try:
            accept(plugin, item)
        except (TypeError, ValueError) as exc:
            findings.append(Finding("", "plugin_error", f"plugin {plugin}: {hook}: {exc}"))

    try:
        plugins.collect(hook, record)
    except Exception as exc:  # noqa: BLE001 - strict mode raises; the analysis still goes on
        findings.append(Finding("", "plugin_error", f"{hook}: {exc}"))
    for name, error in getattr(plugins, "load_errors", {}).items():
        if before.get(name) != error:
            findings.append(Finding("", "plugin_error", f"plugin {name}: {error}"))


def plugin_parsers(plugins: Any, findings: list[Finding]) -> list[ManifestParser]:
    found: list[ManifestParser] = []

    def accept(plugin: str, item: Any) -> None:
        if not isinstance(item, ManifestParser):
            raise TypeError(f"register() expects a ManifestParser, got {type(item).__name__}")
        found.append(item)

    _collect(plugins, PARSERS_HOOK, accept, findings)
    return found


def plugin_rules(plugins: Any, findings: list[Finding]) -> list[Rule]:
    found: list[Rule] = []

    def accept(plugin: str, item: Any) -> None:
        try:
            found.extend([item] if isinstance(item, Rule) else parse_rules(item, f"plugin {plugin}"))
        except RuleError as exc:
            raise ValueError(str(exc)) from None

    _collect(plugins, RULES_HOOK, accept, findings)
    return found
