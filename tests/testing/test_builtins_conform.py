"""The built-in analyzers pass the same conformance suite third-party plugins do."""
from __future__ import annotations

import importlib.util

import pytest

from coe_framework.testing import CoeEnv, assert_analyzer_conforms

BUILTINS = {"git": "coe_plugins.git.plugin", "ast": "coe_plugins.ast.plugin", "techspec": "coe_plugins.techspec.plugin"}


@pytest.mark.parametrize("name", sorted(BUILTINS))
def test_builtin_analyzer_conforms(name, tmp_path):
    if importlib.util.find_spec(BUILTINS[name]) is None:
        pytest.skip(f"built-in plugin module {BUILTINS[name]} is not installed yet")
    with CoeEnv(tmp_path / "env", builtins=[name]) as env:
        owned = sorted(a for a in env.analyzers if env.manager.analyzer_owner(a) == name)
        assert owned, f"built-in plugin '{name}' registered no analyzer"
        for analyzer in owned:
            assert_analyzer_conforms(analyzer, env=env, workdir=tmp_path)
