"""The one error hierarchy: four kinds, each mapped once to an exit code and a problem type."""
from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import coe_framework
from coe_framework import errors
from coe_framework.cli.common import CommandError, UserError
from coe_framework.errors import KINDS, BadInput, CoeError, Conflict, NotFound, Unavailable, kind_of

KIND_CLASSES = (BadInput, NotFound, Conflict, Unavailable)


def test_every_kind_maps_to_exactly_one_exit_code_and_one_problem_type() -> None:
    assert set(KINDS) == set(KIND_CLASSES), "each kind has exactly one row, and nothing else has one"
    for kind_class, kind in KINDS.items():
        assert isinstance(kind.exit_code, int) and kind.exit_code not in (0, 1), kind_class
        assert 400 <= kind.status < 600 and kind.problem_type, kind_class
        assert kind_of(kind_class("x")) is kind
        assert CommandError.of(kind_class("x")).exit_code == kind.exit_code
    assert len({k.problem_type for k in KINDS.values()}) == len(KINDS), "one problem type per kind"
    assert len({k.status for k in KINDS.values()}) == len(KINDS), "one status per kind"


def test_the_exit_codes_and_statuses_the_command_and_the_api_always_used() -> None:
    assert KINDS[BadInput].exit_code == 2 and KINDS[NotFound].exit_code == 2 and KINDS[Conflict].exit_code == 2
    assert (KINDS[BadInput].status, KINDS[NotFound].status, KINDS[Conflict].status, KINDS[Unavailable].status) == (422, 404, 409, 503)
    assert UserError("bad").exit_code == 2 and isinstance(UserError("bad"), BadInput)
    assert CommandError.of(ValueError("legacy bad input")).exit_code == 2
    assert CommandError.of(KeyError("missing key")).message == "missing key"


def test_only_unavailable_is_retryable() -> None:
    assert [k.__name__ for k in KIND_CLASSES if k("x").retryable] == ["Unavailable"]
    assert not errors.is_retryable(ValueError("x")) and errors.is_retryable(Unavailable("down"))


def _all_modules() -> list[str]:
    names = ["coe_framework"]
    for info in pkgutil.walk_packages(coe_framework.__path__, "coe_framework."):
        if ".testing" in info.name or info.name.endswith("__main__"):  # the test kit loads its own way; __main__ runs coe
            continue
        names.append(info.name)
    return names


def _subclasses(cls: type) -> list[type]:
    out: list[type] = []
    for sub in cls.__subclasses__():
        out += [sub, *_subclasses(sub)]
    return out


def test_every_error_class_of_the_core_and_the_web_app_has_one_kind() -> None:
    for name in [*_all_modules(), "coe_webapp.app", "coe_webapp.config", "coe_webapp.ratelimit"]:
        importlib.import_module(name)
    found = {cls for cls in _subclasses(CoeError) if cls.__module__.startswith(("coe_framework", "coe_webapp"))}
    assert len(found) > 25, sorted(c.__name__ for c in found)
    for cls in found:
        first = next(c for c in cls.__mro__ if c in KINDS)
        assert kind_of(cls.__new__(cls)) is KINDS[first], cls
    named = {cls.__name__ for cls in found}
    for expected in ("PlanError", "SourceError", "StoreError", "SearchError", "WatchError", "GateConfigError",
                     "DatabaseConfigError", "TreeTooLarge", "AddressRefused", "ConfigFileError", "DocumentError",
                     "ScaffoldError", "OptionsError", "PageError", "ConfigError", "RateLimitError"):
        assert expected in named, expected


@pytest.mark.parametrize(("module", "name", "kind"), [
    ("coe_framework.db.store", "NotFound", NotFound),
    ("coe_framework.db.store", "StoreError", BadInput),
    ("coe_framework.queue.leases", "JobNotFound", NotFound),
    ("coe_framework.watch.registry", "WatchConflict", Conflict),
    ("coe_framework.watch.registry", "WatchError", BadInput),
    ("coe_framework.plugin.contract", "OptionsError", BadInput),
])
def test_a_subclass_takes_the_kind_it_lists_first(module: str, name: str, kind: type[CoeError]) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert next(c for c in cls.__mro__ if c in KINDS) is kind


def test_the_old_bases_still_catch_what_they_caught() -> None:
    from coe_framework.db.store import NotFound as RowMissing
    from coe_framework.db.store import StoreError
    from coe_framework.repository.sources import SourceError

    assert issubclass(RowMissing, StoreError) and issubclass(StoreError, ValueError) and issubclass(SourceError, ValueError)


def test_errors_is_a_leaf() -> None:
    tree = ast.parse(Path(errors.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert all(not name.startswith(("coe_", ".")) and name for name in imported), imported
    levels = [n.level for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not any(levels), "no relative imports"
