"""Every COE_* name the code reads is a field of the settings object and documented in docs/deployment.md.

Names are taken from the string literals of coe_framework/, webapp/ and
plugins/ (docstrings left out: they name groups such as ``COE_DB_*``).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

from coe_framework.settings import SETTINGS, settings_class

ROOT = Path(__file__).resolve().parent.parent
DEPLOYMENT = ROOT / "docs" / "deployment.md"
NAME = re.compile(r"COE_[A-Z0-9_]*[A-Z0-9](?![A-Z0-9_*])")
#: COE_* strings that are not settings, and why.
NOT_SETTINGS = {"COE_HOOKSPECS": "a plugin module's attribute naming its hookspecs"}


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                found.add(id(first.value))
    return found


def names_in_code() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("coe_framework", "webapp", "plugins"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            skip = _docstrings(tree)
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
                    for name in NAME.findall(node.value):
                        found.setdefault(name, str(path.relative_to(ROOT)))
    return {name: where for name, where in found.items() if name not in NOT_SETTINGS}


def test_the_scan_finds_settings_read_in_several_ways() -> None:
    names = names_in_code()
    assert {"COE_DATABASE_URL", "COE_JOB_THREADS", "COE_EMBEDDINGS_KEY", "COE_MAX_TREE_DEPTH", "COE_DEBUG"} <= set(names)
    assert "COE_DB" not in names and "COE_JOB" not in names


def test_every_name_read_is_a_field_of_the_settings_object() -> None:
    fields = set(settings_class().model_fields)
    missing = {name: where for name, where in names_in_code().items() if name not in fields}
    assert not missing, f"add these to coe_framework/settings.py SETTINGS: {missing}"


def test_every_setting_is_read_somewhere_and_documented() -> None:
    names = names_in_code()
    text = DEPLOYMENT.read_text(encoding="utf-8")
    unused = [s.name for s in SETTINGS if s.name not in names]
    assert not unused, f"settings no code reads: {unused}"
    undocumented = [s.name for s in SETTINGS if f"| `{s.name}` |" not in text]
    assert not undocumented, f"document these in the settings table of docs/deployment.md: {undocumented}"
