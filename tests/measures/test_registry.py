"""Measure declarations: the built-ins' values, the hook, bad declarations and bad values."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin.hookspecs import hookimpl
from coe_framework.measures import Measure, catalogue
from coe_framework.plugin.manager import PluginManager
from coe_framework.testing.environment import build_manager
from coe_plugins.ast.measures import new_functions_rank_d_or_worse
from coe_plugins.git.measures import authors_active
from coe_plugins.techspec.measures import unpinned, without_version


def _ast(functions: dict[str, list[tuple[str, int]]]) -> dict[str, Any]:
    return {"files": {path: {"symbols": [{"kind": "function", "name": n, "qualified_name": n, "complexity": c} for n, c in fns]}
                      for path, fns in functions.items()}}


def test_builtins_declare_their_measures() -> None:
    found = catalogue(build_manager(builtins=["ast", "git", "techspec"]))
    assert {"lines", "files", "functions", "mean_complexity", "p90_complexity", "functions_rank_a", "functions_rank_f",
            "commits", "authors", "authors_active_90d", "hotspots", "truck_factor",
            "dependencies", "dependencies_without_version", "dependencies_unpinned", "languages"} <= set(found.keys())
    assert found.owners["mean_complexity"] == "ast" and found.owners["truck_factor"] == "git"
    assert found.get("new_functions_rank_d_or_worse").needs_baseline
    assert "new_functions_rank_d_or_worse" not in {m.key for m in found.stored()}


def test_ast_values_from_a_result() -> None:
    found = catalogue(build_manager(builtins=["ast"]))
    result = {"totals": {"files": 3, "loc": 120, "functions": 4}, "complexity_percentiles": {"mean": 2.5, "p90": 7},
              "rank_distribution": {"A": 2, "B": 1, "C": 0, "D": 1, "E": 0, "F": 0}}
    values = {k: v for k, (_a, v) in found.values({"ast": result}).items()}
    assert values["lines"] == 120 and values["mean_complexity"] == 2.5 and values["p90_complexity"] == 7
    assert values["functions_rank_a"] == 2 and values["functions_rank_d_or_worse"] == 1
    assert found.values({"git": {}}).keys().isdisjoint({"lines"}), "no ast result: no ast measures"


def test_new_functions_of_rank_d_count_only_functions_the_baseline_lacks() -> None:
    baseline = _ast({"a.py": [("old", 25), ("fine", 2)]})
    current = _ast({"a.py": [("old", 30), ("fine", 2), ("new_bad", 22), ("new_ok", 3)], "b.py": [("other", 41)]})
    assert new_functions_rank_d_or_worse(current, baseline) == 2  # new_bad and b.py:other; old was there already


def test_authors_active_are_counted_back_from_the_analyzed_commit() -> None:
    result = {"last_commit_at": "2020-06-01T00:00:00Z", "authors": [
        {"last_commit_at": "2020-05-20T00:00:00Z"}, {"last_commit_at": "2020-01-01T00:00:00Z"}, {"last_commit_at": "2020-03-10T00:00:00+00:00"}]}
    assert authors_active(result) == 2
    assert authors_active({"authors": []}) is None


def test_dependency_pinning() -> None:
    deps = [
        {"direct": True, "constraint": None, "version": None},
        {"direct": True, "constraint": ">=2", "version": None},
        {"direct": True, "constraint": "==1.2.3", "version": None},
        {"direct": True, "constraint": ">=1", "version": "1.4.0"},
        {"direct": False, "constraint": None, "version": None},
    ]
    assert without_version({"dependencies": deps}) == 1
    assert unpinned({"dependencies": deps}) == 2


class MeasuringPlugin:
    """A third party's measures: one good, one raising, one not a number."""

    @hookimpl
    def coe_register_measures(self, register: Callable[[Any], None]) -> None:
        register(Measure("file_total", "count", "Files counted", value=lambda r: r["files"]))
        register(Measure("broken", "count", "Raises", value=lambda r: r["missing"]))
        register(Measure("wordy", "count", "Not a number", value=lambda r: "many"))


class BadDeclarations:
    @hookimpl
    def coe_register_measures(self, register: Callable[[Any], None]) -> None:
        register(Measure("Bad Key", "count", "not an identifier", value=lambda r: 1))


class Duplicate:
    @hookimpl
    def coe_register_measures(self, register: Callable[[Any], None]) -> None:
        register(Measure("file_total", "count", "taken", value=lambda r: 1))


def test_a_plugin_declares_measures_through_the_hook() -> None:
    manager = PluginManager({})
    manager.register(MeasuringPlugin(), "measuring")
    manager.register(BadDeclarations(), "bad")
    found = catalogue(manager)
    assert set(found.keys()) == {"file_total", "broken", "wordy"}
    values = found.values({"count": {"files": 3}})
    assert values == {"file_total": ("count", 3.0)}, "a raising or non-numeric measure is left out"
    assert "lowercase identifier" in manager.load_errors["bad"]
    assert catalogue(manager) is found, "collected once per manager"


def test_a_duplicate_key_is_the_second_plugins_error() -> None:
    manager = PluginManager({})
    manager.register(MeasuringPlugin(), "measuring")
    manager.register(Duplicate(), "duplicate")
    found = catalogue(manager)
    assert found.owners["file_total"] == "measuring"
    assert "already declared by plugin 'measuring'" in manager.load_errors["duplicate"]


def test_a_declaration_needs_exactly_one_function() -> None:
    assert Measure("x", "a", "d").problems() == ["measure 'x' needs exactly one of value= and compare="]
    assert Measure("x", "a", "d", value=len, better="up").problems() == ["measure 'x': better must be 'lower', 'higher' or None"]  # type: ignore[arg-type]
