"""Format variants the polyglot fixture does not cover, parser by parser."""
from __future__ import annotations

from typing import Any

import pytest

from coe_plugins.techspec import ci, containers, docs, licenses
from coe_plugins.techspec.gitattributes import LinguistAttributes
from coe_plugins.techspec.manifests import ManifestSource, javascript, jvm, native, python, ruby
from coe_plugins.techspec.models import pinned_version, scope_from_label
from coe_plugins.techspec.repofiles import RepoView
from coe_plugins.techspec.safeload import ManifestError


class TreeStub:
    """The two RepoView methods parsers use, over a dict of texts."""

    def __init__(self, files: dict[str, str]):
        self.files = files

    def read_text(self, path: str) -> str | None:
        return self.files.get(path)

    resolve = staticmethod(RepoView.resolve)


def parse(parser: Any, path: str, text: str, **others: str) -> list[tuple[Any, ...]]:
    facts = parser(ManifestSource(path, text, TreeStub(others)))  # type: ignore[arg-type]
    return [(d.name, d.constraint, d.version, d.scope, d.direct) for d in facts.dependencies]


def test_package_lock_v1_nested_dependencies() -> None:
    text = '{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0", "dev": true, "dependencies": {"b": {"version": "2.0.0"}}}}}'
    assert sorted(parse(javascript.parse_package_lock, "package-lock.json", text)) == [
        ("a", None, "1.0.0", "dev", False), ("b", None, "2.0.0", "runtime", False),
    ]


def test_yarn_berry_lock_is_yaml() -> None:
    text = '__metadata:\n  version: 8\n\n"lodash@npm:^4.17.21":\n  version: 4.17.21\n  resolution: "lodash@npm:4.17.21"\n\n"app@workspace:.":\n  version: 0.0.0-use.local\n'
    assert parse(javascript.parse_yarn_lock, "yarn.lock", text) == [("lodash", None, "4.17.21", "runtime", False)]


@pytest.mark.parametrize(
    ("key", "expected"),
    [("/react@18.2.0", ("react", "18.2.0")), ("/@babel/core/7.0.0_eslint@8", ("@babel/core", "7.0.0")),
     ("/react-dom@18.2.0(react@18.2.0)", ("react-dom", "18.2.0")), ("@types/node@20.1.0", ("@types/node", "20.1.0"))],
)
def test_pnpm_keys_of_every_lockfile_version(key: str, expected: tuple[str, str]) -> None:
    assert javascript._pnpm_key(key) == expected


def test_pnpm_v6_dev_flag() -> None:
    text = "lockfileVersion: '6.0'\npackages:\n  /jest@29.7.0:\n    dev: true\n  /left-pad@1.3.0:\n    dev: false\n"
    assert parse(javascript.parse_pnpm_lock, "pnpm-lock.yaml", text) == [
        ("jest", None, "29.7.0", "dev", False), ("left-pad", None, "1.3.0", "runtime", False),
    ]


def test_poetry_optional_and_git_dependencies() -> None:
    text = '[tool.poetry.dependencies]\npython = "^3.10"\nredis = {version = "^5", optional = true}\nlib = {git = "https://x/lib.git", tag = "v1"}\nmulti = [{version = "<2", python = "<3.9"}, {version = ">=2", python = ">=3.9"}]\n'
    assert parse(python.parse_pyproject, "pyproject.toml", text) == [
        ("redis", "^5", None, "optional", True),
        ("lib", "git:https://x/lib.git@v1", None, "runtime", True),
        ("multi", "<2 || >=2", None, "runtime", True),
    ]


def test_requirements_constraints_pin_versions_and_bad_lines_are_findings() -> None:
    facts = python.parse_requirements(ManifestSource(
        "req/requirements-test.txt", "-c ../pins.txt\nDjango>=4\n", TreeStub({"pins.txt": "django==4.2.1\n"}),  # type: ignore[arg-type]
    ))
    assert [(d.name, d.constraint, d.version, d.scope) for d in facts.dependencies] == [("Django", ">=4", "4.2.1", "test")]
    assert facts.included == ["pins.txt"]


def test_go_mod_single_line_requires_and_comments() -> None:
    text = "module m\n\ngo 1.22\n\nrequire golang.org/x/text v0.14.0 // indirect\nrequire github.com/a/b v1.0.0 // a comment\n"
    assert parse(native.parse_go_mod, "go.mod", text) == [
        ("golang.org/x/text", "v0.14.0", "v0.14.0", "runtime", False),
        ("github.com/a/b", "v1.0.0", "v1.0.0", "runtime", True),
    ]


def test_cargo_target_specific_and_workspace_dependencies() -> None:
    text = '[target."cfg(unix)".dependencies]\nlibc = "0.2"\n\n[workspace.dependencies]\nanyhow = "1"\n\n[dependencies]\nanyhow = { workspace = true }\n'
    assert sorted(parse(native.parse_cargo_toml, "Cargo.toml", text)) == [
        ("anyhow", "1", None, "runtime", True), ("anyhow", "workspace", None, "runtime", True), ("libc", "0.2", None, "runtime", True),
    ]


def test_pom_without_parent_in_repository_keeps_unresolved_properties() -> None:
    text = """<project><parent><groupId>org.springframework.boot</groupId><artifactId>spring-boot-starter-parent</artifactId>
    <version>3.3.4</version><relativePath/></parent><artifactId>x</artifactId>
    <dependencies><dependency><groupId>a</groupId><artifactId>b</artifactId><version>${b.version}</version></dependency>
    <dependency><groupId>c</groupId><artifactId>d</artifactId><optional>true</optional><version>[1.0,2.0)</version></dependency></dependencies></project>"""
    assert parse(jvm.parse_pom, "pom.xml", text) == [
        ("a:b", "${b.version}", None, "runtime", True), ("c:d", "[1.0,2.0)", None, "optional", True),
    ]


def test_gemfile_paren_and_hash_rocket_styles() -> None:
    text = 'gem("rack", "~> 3.0")\ngem "debug", :group => [:development]\n'
    assert parse(ruby.parse_gemfile, "Gemfile", text) == [("rack", "~> 3.0", None, "runtime", True), ("debug", None, None, "dev", True)]


@pytest.mark.parametrize(
    ("label", "scope"),
    [("requirements-dev.txt", "dev"), ("requirements/test.txt", "test"), ("tests", "test"), ("lint", "dev"),
     ("docs", "dev"), ("postgres", "runtime"), ("contest", "runtime"), ("development test", "test")],
)
def test_scope_from_label(label: str, scope: str) -> None:
    assert scope_from_label(label) == scope


@pytest.mark.parametrize(
    ("ecosystem", "constraint", "version"),
    [("pypi", "==1.2.3", "1.2.3"), ("pypi", "==1.*", None), ("pypi", ">=1", None), ("npm", "1.2.3", "1.2.3"),
     ("npm", "^1.2.3", None), ("maven", "[1,2)", None), ("cargo", "=0.4.1", "0.4.1"), ("cargo", "0.4", None),
     ("nuget", "[8.0.1]", "8.0.1"), ("gem", "~> 7", None)],
)
def test_pinned_versions(ecosystem: str, constraint: str, version: str | None) -> None:
    assert pinned_version(ecosystem, constraint) == version


@pytest.mark.parametrize(
    ("declared", "spdx"),
    [("MIT", "MIT"), ("Apache 2.0", "Apache-2.0"), ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
     ("(MIT OR Apache-2.0)", "MIT OR Apache-2.0"), ("BSD 3-Clause", "BSD-3-Clause"), ("Proprietary, ask us", None)],
)
def test_license_normalization(declared: str, spdx: str | None) -> None:
    assert licenses.normalize(declared) == spdx


def test_license_texts_are_identified() -> None:
    apache = "Apache License\nVersion 2.0, January 2004\n\nTERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n"
    bsd2 = "Redistribution and use in source and binary forms, with or without modification, are permitted provided that:\n* this list of conditions and the following disclaimer."
    assert licenses.identify_text(apache) == "Apache-2.0"
    assert licenses.identify_text(bsd2) == "BSD-2-Clause"
    assert licenses.identify_text("All rights reserved.") is None
    assert licenses.combine(["MIT", "Apache-2.0", "MIT"]) == "Apache-2.0 AND MIT"


def test_gitattributes_nested_files_override_and_unset() -> None:
    attributes = LinguistAttributes([
        (".gitattributes", "*.js linguist-vendored\nthird/** linguist-documentation=true\n"),
        ("src/.gitattributes", "keep.js -linguist-vendored\n*.h linguist-language=C++\n"),
    ])
    assert attributes.lookup("a/b.js") == {"linguist-vendored": True}
    assert attributes.lookup("src/keep.js") == {"linguist-vendored": False}
    assert attributes.lookup("src/x/y.h") == {"linguist-language": "C++"}
    assert attributes.lookup("third/a/b.txt") == {"linguist-documentation": True}
    assert attributes.lookup("other.h") == {}


def test_gitlab_anchors_are_fine_but_alias_bombs_are_not() -> None:
    text = ".defaults: &defaults\n  image: node:20\nlint:\n  <<: *defaults\n  stage: test\n"
    assert ci.gitlab_ci(text) == {"stages": [], "jobs": [{"id": "lint", "stage": "test"}], "images": ["node:20"]}


def test_image_references() -> None:
    assert containers.split_image("localhost:5000/team/app:1.2@sha256:ff") == {"image": "localhost:5000/team/app", "tag": "1.2", "digest": "sha256:ff"}
    assert containers.split_image("ubuntu") == {"image": "ubuntu", "tag": None, "digest": None}


def test_asciidoc_and_markdown_setext_headings() -> None:
    assert docs.headings_of("a.adoc", "= Title\n\n== Part\n") == [(1, "Title"), (2, "Part")]
    assert docs.headings_of("a.md", "Title\n=====\n\n- item\n---\n") == [(1, "Title")]
    assert docs.doc_kind("pkg/README") == "readme" and docs.doc_kind("docs/img.png") is None


SETUP_PY = """
import os
from setuptools import setup, find_packages

REQUIRES = ["requests>=2.31", "click"]
here = os.path.dirname(__file__)
with open(os.path.join(here, "README.md")) as f:
    long_description = f.read()

setup(
    name="legacy",
    license="MIT",
    python_requires=">=3.8",
    packages=find_packages(),
    install_requires=REQUIRES,
    setup_requires="setuptools_scm>=8\\n# comment\\nwheel",
    tests_require=["pytest"],
    extras_require={"redis": ["redis>=5"], "docs": ["sphinx"]},
    long_description=long_description,
)
"""


def test_setup_py_is_read_without_running_it(tmp_path: Any) -> None:
    marker = tmp_path / "ran"
    text = SETUP_PY.replace("import os\n", f"import os\nopen({str(marker)!r}, 'w').close()\n")
    facts = python.parse_setup_py(ManifestSource("setup.py", text, TreeStub({})))  # type: ignore[arg-type]
    assert not marker.exists()
    assert [(d.name, d.constraint, d.scope) for d in facts.dependencies] == [
        ("requests", ">=2.31", "runtime"), ("click", None, "runtime"),
        ("setuptools_scm", ">=8", "build"), ("wheel", None, "build"),
        ("pytest", None, "test"),
        ("redis", ">=5", "optional"), ("sphinx", None, "dev"),
    ]
    assert [(r.name, r.version) for r in facts.runtimes] == [("python", ">=3.8")] and facts.licenses == ["MIT"]
    assert not facts.findings


def test_setup_py_computed_arguments_are_findings_not_guesses() -> None:
    text = "import setuptools\nsetuptools.setup(install_requires=open('req.txt').read().split(), **extra)\n"
    facts = python.parse_setup_py(ManifestSource("setup.py", text, TreeStub({})))  # type: ignore[arg-type]
    assert facts.dependencies == []
    assert sorted(f.message for f in facts.findings) == [
        "setup(**...) arguments are computed when setup.py runs; they are not read",
        "setup(install_requires=...) is computed when setup.py runs; it is not read",
    ]
    with pytest.raises(ManifestError, match="not valid Python"):
        python.parse_setup_py(ManifestSource("setup.py", "setup(\n", TreeStub({})))  # type: ignore[arg-type]


def test_maven_profiles_declare_dependencies_too() -> None:
    text = """<project><groupId>g</groupId><artifactId>a</artifactId><version>1</version>
      <properties><pg.version>42.7.3</pg.version></properties>
      <dependencies><dependency><groupId>org.slf4j</groupId><artifactId>slf4j-api</artifactId><version>2.0.13</version></dependency></dependencies>
      <profiles>
        <profile><id>postgres</id><dependencies>
          <dependency><groupId>org.postgresql</groupId><artifactId>postgresql</artifactId><version>${pg.version}</version></dependency>
        </dependencies></profile>
        <profile><id>dev</id><activation><activeByDefault>true</activeByDefault></activation>
          <properties><h2.version>2.2.224</h2.version></properties>
          <dependencies><dependency><groupId>com.h2database</groupId><artifactId>h2</artifactId><version>${h2.version}</version></dependency></dependencies>
          <build><plugins><plugin><artifactId>maven-surefire-plugin</artifactId><version>3.2.5</version></plugin></plugins></build>
        </profile>
      </profiles></project>"""
    assert parse(jvm.parse_pom, "pom.xml", text) == [
        ("org.slf4j:slf4j-api", "2.0.13", "2.0.13", "runtime", True),
        ("org.postgresql:postgresql", "42.7.3", "42.7.3", "optional", True),  # only when the profile is activated
        ("com.h2database:h2", "2.2.224", "2.2.224", "runtime", True),  # active by default
        ("org.apache.maven.plugins:maven-surefire-plugin", "3.2.5", "3.2.5", "build", True),
    ]


def test_gradle_plugin_aliases_come_from_the_version_catalog() -> None:
    catalog = """[versions]
kotlin = "2.0.0"

[libraries]
guava = { module = "com.google.guava:guava", version = "33.0.0-jre" }

[plugins]
kotlin-jvm = { id = "org.jetbrains.kotlin.jvm", version.ref = "kotlin" }
spotless = "com.diffplug.spotless:6.25.0"
"""
    script = """plugins {
    alias(libs.plugins.kotlin.jvm)
    alias(libs.plugins.spotless) apply false
    alias(libs.plugins.unknown)
}
dependencies {
    implementation(libs.guava)
}
"""
    assert parse(jvm.parse_gradle, "app/build.gradle.kts", script, **{"gradle/libs.versions.toml": catalog}) == [
        ("org.jetbrains.kotlin.jvm:org.jetbrains.kotlin.jvm.gradle.plugin", "2.0.0", "2.0.0", "build", True),
        ("com.diffplug.spotless:com.diffplug.spotless.gradle.plugin", "6.25.0", "6.25.0", "build", True),
        ("com.google.guava:guava", "33.0.0-jre", "33.0.0-jre", "runtime", True),
    ]
    assert parse(jvm.parse_version_catalog, "gradle/libs.versions.toml", catalog)[1:] == [
        ("org.jetbrains.kotlin.jvm:org.jetbrains.kotlin.jvm.gradle.plugin", "2.0.0", "2.0.0", "build", True),
        ("com.diffplug.spotless:com.diffplug.spotless.gradle.plugin", "6.25.0", "6.25.0", "build", True),
    ]
