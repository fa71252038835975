"""Other plugins add manifest parsers and rules through techspec's hooks."""
from __future__ import annotations

from typing import Any, Callable

from coe_framework.plugin.hookspecs import hookimpl
from coe_plugins.techspec.manifests import ManifestParser, ManifestSource
from coe_plugins.techspec.models import Dependency, ManifestFacts

from .conftest import run_techspec, techspec_manager


def parse_conanfile(src: ManifestSource) -> ManifestFacts:
    facts = ManifestFacts()
    section = ""
    for line in src.text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line
        elif line and section == "[requires]":
            name, _, version = line.partition("/")
            facts.dependencies.append(Dependency("conan", name, constraint=version, scope="runtime", manifest=src.path))
    return facts


class ConanPlugin:
    @hookimpl
    def coe_techspec_manifest_parsers(self, register: Callable[[Any], None]) -> None:
        register(ManifestParser("conanfile.txt", "conan", ("conanfile.txt",), parse_conanfile))

    @hookimpl
    def coe_techspec_rules(self, register: Callable[[Any], None]) -> None:
        register({"rules": [{"name": "Boost", "category": "framework", "dependencies": {"conan": ["boost"]}}]})
        register({"name": "Conan", "category": "build-tool", "files": ["conanfile.txt"]})


class BrokenPlugin:
    @hookimpl
    def coe_techspec_manifest_parsers(self, register: Callable[[Any], None]) -> None:
        register("not a parser")

    @hookimpl
    def coe_techspec_rules(self, register: Callable[[Any], None]) -> None:
        register({"name": "Bad", "category": "no-such-category"})
        raise RuntimeError("rules plugin crashed")


class CrashingParserPlugin:
    @hookimpl
    def coe_techspec_manifest_parsers(self, register: Callable[[Any], None]) -> None:
        def explode(src: ManifestSource) -> ManifestFacts:
            raise KeyError("bug in a third-party parser")

        register(ManifestParser("exploding", "generic", ("*.explode",), explode))


def test_plugin_parsers_and_rules_are_used(make_repo) -> None:
    repo = make_repo(files={"conanfile.txt": "[requires]\nboost/1.86.0\nzlib/1.3.1\n\n[generators]\nCMakeDeps\n"})
    outcome = run_techspec(repo, techspec_manager(("conan", ConanPlugin())))
    assert outcome.status == "succeeded", outcome.error
    deps = {(d["ecosystem"], d["name"], d["constraint"], d["manifest"]) for d in outcome.data["dependencies"]}
    assert deps == {("conan", "boost", "1.86.0", "conanfile.txt"), ("conan", "zlib", "1.3.1", "conanfile.txt")}
    frameworks = {(f["name"], f["category"]) for f in outcome.data["frameworks"]}
    assert frameworks == {("Boost", "framework"), ("Conan", "build-tool")}


def test_broken_plugins_become_findings_not_failures(make_repo) -> None:
    repo = make_repo(files={"a.explode": "x", "package.json": '{"dependencies": {"express": "^4"}}'})
    manager = techspec_manager(("broken", BrokenPlugin()), ("crashing", CrashingParserPlugin()))
    outcome = run_techspec(repo, manager)
    assert outcome.status == "succeeded", outcome.error
    messages = [f["message"] for f in outcome.data["findings"]]
    assert any("expects a ManifestParser" in m for m in messages)
    assert any("category" in m and "plugin broken" in m for m in messages)
    assert any("rules plugin crashed" in m for m in messages)
    assert any(f["path"] == "a.explode" and f["kind"] == "parser_error" and "KeyError" in f["message"] for f in outcome.data["findings"])
    # the built-ins still work next to the broken plugins
    assert [f["name"] for f in outcome.data["frameworks"]] == ["Express"]
