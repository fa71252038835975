"""Options change what techspec reports; unknown or out-of-range ones are refused."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from coe_framework.plugin.contract import OptionsError
from coe_plugins.techspec.analyzer import TechSpecAnalyzer

FILES = {
    "package.json": '{"dependencies": {"left-pad": "^1.3.0"}}',
    "package-lock.json": '{"lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.3.0"}, "node_modules/tiny": {"version": "0.1.0"}}}',
    "bin/tool": "#!/bin/bash\necho hi\n",
    "README.md": "# Tool\n",
    "docs/a.md": "# A\n",
}


@pytest.mark.parametrize("raw", [{"nope": 1}, {"max_manifest_size": 10}, {"max_documents": -1}])
def test_bad_options_are_refused_with_one_line(raw: dict[str, Any]) -> None:
    with pytest.raises(OptionsError) as info:
        TechSpecAnalyzer.parse_options(raw)
    assert "\n" not in str(info.value) and "techspec" in str(info.value)


def test_defaults_keep_transitive_dependencies_and_read_shebangs(analyze: Callable[..., dict[str, Any]]) -> None:
    data = analyze(FILES)
    assert {(d["name"], d["direct"]) for d in data["dependencies"]} == {("left-pad", True), ("tiny", False)}
    assert set(data["languages"]) == {"Shell"}
    assert [d["path"] for d in data["docs"]] == ["README.md", "docs/a.md"]


def test_options_narrow_the_result(analyze: Callable[..., dict[str, Any]]) -> None:
    data = analyze(FILES, options={"include_transitive": False, "detect_shebangs": False, "max_documents": 1})
    assert [(d["name"], d["version"]) for d in data["dependencies"]] == [("left-pad", "1.3.0")]
    assert data["languages"] == {}
    assert [d["path"] for d in data["docs"]] == ["README.md"]
    assert any(f["kind"] == "skipped" and "max_documents=1" in f["message"] for f in data["findings"])
