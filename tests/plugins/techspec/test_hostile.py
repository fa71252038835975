"""Malformed, huge and hostile files become findings, never a crash or a hang."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from coe_plugins.techspec.safeload import ManifestError, load_json, load_toml, load_yaml, parse_xml

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<project><version>&lol4;</version></project>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Project><ItemGroup><PackageReference Include="&xxe;" Version="1.0" /></ItemGroup></Project>
"""
YAML_BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

HOSTILE_FILES: dict[str, str | bytes] = {
    "bad-json/package.json": '{"dependencies": {"left-pad": "1.0.0",}',
    "bad-toml/pyproject.toml": "[project\nname = 'x'\n",
    "bad-toml/Cargo.toml": "a = " + "[" * 5000 + "]" * 5000 + "\n",
    "laughs/pom.xml": BILLION_LAUGHS,
    "xxe/App.csproj": XXE,
    "bomb/pnpm-lock.yaml": YAML_BOMB,
    "deep/composer.json": '{"require": ' + "[" * 10_000 + "]" * 10_000 + "}",
    "k8s/deep.yaml": "apiVersion: v1\nkind: ConfigMap\ndata: " + "[" * 2000 + "]" * 2000 + "\n",
    "binary/package.json": b"\x00\x01\x02 not json",
    "includes/requirements.txt": "-r ../../../etc/passwd\n-r https://example.com/evil.txt\n-r missing.txt\n-r requirements-b.txt\nthis is not valid ===\nsix\n",
    "includes/requirements-b.txt": "-r requirements.txt\nattrs\n",
    "docker/Dockerfile": "RUN echo no base image\n",
    "gomod/go.mod": "module x\n\nrequire (\n\tgithub.com/a/b v1.0.0\n",
    "big/requirements.txt": "six\n" * 20_000,
    "ok/package.json": '{"dependencies": {"left-pad": "1.3.0"}}',
    "deep/setup.py": "from setuptools import setup\nsetup(install_requires=" + "[" * 5000 + "]" * 5000 + ")\n",
    "bomb/setup.py": "from setuptools import setup\nsetup(install_requires=['x' * 10**9], extras_require={'a': 9**9**9})\n",
}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from coe_framework.testing.gitrepo import init_repo

    from .conftest import run_techspec

    repo = init_repo(tmp_path_factory.mktemp("hostile") / "repo")
    repo.symlink("linked/requirements.txt", "/etc/passwd")
    repo.symlink("linked/package.json", "../ok/package.json")
    repo.commit(HOSTILE_FILES)
    outcome = run_techspec(repo, options={"max_manifest_size": 65536})
    assert outcome.status == "succeeded", outcome.error
    return outcome.data


def _finding(data: dict[str, Any], path: str, kind: str) -> str:
    messages = [f["message"] for f in data["findings"] if f["path"] == path and f["kind"] == kind]
    assert messages, f"no {kind} finding for {path}: {data['findings']}"
    return " | ".join(messages)


@pytest.mark.parametrize(
    ("path", "kind", "words"),
    [
        ("bad-json/package.json", "malformed", "invalid JSON"),
        ("bad-toml/pyproject.toml", "malformed", "invalid TOML"),
        ("bad-toml/Cargo.toml", "malformed", "nested deeper"),
        ("laughs/pom.xml", "malformed", "refused XML"),
        ("xxe/App.csproj", "malformed", "refused XML"),
        ("bomb/pnpm-lock.yaml", "malformed", "YAML aliases expand"),
        ("deep/composer.json", "malformed", "nested deeper"),
        ("k8s/deep.yaml", "malformed", "nested deeper"),
        ("binary/package.json", "malformed", "binary"),
        ("includes/requirements.txt", "unresolved", "outside the repository"),
        ("includes/requirements.txt", "unresolved", "not found in the repository"),
        ("includes/requirements.txt", "malformed", "line 5"),
        ("docker/Dockerfile", "malformed", "no FROM"),
        ("deep/setup.py", "malformed", "not valid Python"),
        ("bomb/setup.py", "skipped", "setup(install_requires=...) is computed"),
        ("bomb/setup.py", "skipped", "setup(extras_require=...) is computed"),
        ("gomod/go.mod", "malformed", "never closed"),
        ("big/requirements.txt", "too_large", "cap"),
    ],
)
def test_bad_file_becomes_a_finding(hostile: dict[str, Any], path: str, kind: str, words: str) -> None:
    assert words in _finding(hostile, path, kind)


def test_good_parts_survive_next_to_bad_ones(hostile: dict[str, Any]) -> None:
    deps = {(d["manifest"], d["name"]) for d in hostile["dependencies"]}
    assert ("ok/package.json", "left-pad") in deps
    # the include cycle a -> b -> a is followed once each way
    assert {("includes/requirements.txt", "six"), ("includes/requirements-b.txt", "attrs")} <= deps
    assert not any(m.startswith("bad-json/") or m.startswith("big/") for m, _ in deps)


def test_symlinks_are_never_followed(hostile: dict[str, Any]) -> None:
    parsed = {m["path"] for m in hostile["manifests"]}
    assert not any(p.startswith("linked/") for p in parsed)
    assert not any(f["path"].startswith("linked/") for f in hostile["findings"])


@pytest.mark.parametrize(
    ("loader", "text"),
    [
        (load_json, "[" * 300 + "]" * 300),
        (load_toml, "x = " + "[" * 300 + "]" * 300),
        (load_yaml, "- " * 200 + "x"),
        (load_yaml, YAML_BOMB),
        (parse_xml, BILLION_LAUGHS),
        (parse_xml, "<a><b></a>"),
        (load_yaml, "key: [unclosed"),
    ],
)
def test_safe_loaders_refuse_with_one_line(loader: Callable[[str], Any], text: str) -> None:
    with pytest.raises(ManifestError) as info:
        loader(text)
    assert "\n" not in str(info.value)


PATHOLOGICAL_LINES = [
    ("build.gradle", "implementation" + " " * 20_000 + "("),
    ("build.gradle", "id" + " " * 20_000 + "'x'" + " " * 20_000),
    ("build.gradle", "\n" * 20_000 + " " * 20_000),
    ("Gemfile", "group" + " " * 20_000),
    ("Gemfile", "gem" + " " * 20_000 + "("),
    ("README.md", "# a" + " \t" * 20_000 + "#" * 20_000 + " x"),
    ("Jenkinsfile", "pipeline { agent { image" + " " * 20_000 + "( x"),
]


@pytest.mark.parametrize(("path", "text"), PATHOLOGICAL_LINES)
def test_long_runs_of_whitespace_do_not_backtrack(analyze: Callable[..., dict[str, Any]], path: str, text: str) -> None:
    """Patterns written as ``\\s*\\(?\\s*`` once took minutes on these lines."""
    data = analyze({path: text})
    assert data["dependencies"] == []
