"""Lock files apply only to the manifests they really lock; scopes follow the lock's graph.

Every case is a generated repository run through the analyzer end to end.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from coe_plugins.techspec.sbom import build_sbom

Analyze = Callable[..., dict[str, Any]]


def deps(data: dict[str, Any], manifest: str) -> dict[str, tuple[str | None, str | None, str]]:
    """``name -> (constraint, version, scope)`` for one manifest's entries."""
    return {d["name"]: (d["constraint"], d["version"], d["scope"]) for d in data["dependencies"] if d["manifest"] == manifest}


ROOT_UV_LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "root-app"
version = "1.0.0"
source = { editable = "." }
dependencies = [{ name = "blinker" }, { name = "click" }]

[package.optional-dependencies]
async = [{ name = "asgiref" }]

[package.dev-dependencies]
docs = [{ name = "sphinx" }]
tests = [{ name = "pytest" }]

[[package]]
name = "blinker"
version = "1.9.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "click"
version = "8.1.8"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "colorama", marker = "sys_platform == 'win32'" }]

[[package]]
name = "colorama"
version = "0.4.6"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "asgiref"
version = "3.8.1"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "sphinx"
version = "8.1.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "alabaster" }, { name = "jinja2" }]

[[package]]
name = "alabaster"
version = "1.0.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "jinja2"
version = "3.1.4"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "9.0.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "pluggy" }, { name = "colorama" }]

[[package]]
name = "pluggy"
version = "1.5.0"
source = { registry = "https://pypi.org/simple" }
"""

ROOT_PYPROJECT = """[project]
name = "root-app"
version = "1.0.0"
dependencies = ["blinker>=1.9", "click>=8"]

[project.optional-dependencies]
async = ["asgiref>=3.2"]

[dependency-groups]
docs = ["sphinx"]
tests = ["pytest"]
"""


def test_monorepo_with_two_unrelated_projects_and_one_root_lock(analyze: Analyze) -> None:
    data = analyze({
        "pyproject.toml": ROOT_PYPROJECT,
        "uv.lock": ROOT_UV_LOCK,
        "examples/celery/requirements.txt": "blinker==1.6.2\nclick==8.1.3\n",
        "examples/celery/pyproject.toml": '[project]\nname = "celery-example"\ndependencies = ["blinker", "click"]\n',
        "examples/tutorial/pyproject.toml": '[project]\nname = "tutorial"\ndependencies = ["jinja2"]\n',
    })
    # The root project is the only one uv.lock locks.
    assert deps(data, "pyproject.toml")["blinker"] == (">=1.9", "1.9.0", "runtime")
    # The example's exact pins keep their own versions; its unpinned pyproject gets none from the root lock.
    assert deps(data, "examples/celery/requirements.txt") == {
        "blinker": ("==1.6.2", "1.6.2", "runtime"), "click": ("==8.1.3", "8.1.3", "runtime"),
    }
    assert deps(data, "examples/celery/pyproject.toml") == {"blinker": (None, None, "runtime"), "click": (None, None, "runtime")}
    assert deps(data, "examples/tutorial/pyproject.toml") == {"jinja2": (None, None, "runtime")}
    # Lock-only packages take the scope they are reached in through the lock's graph.
    locked = deps(data, "uv.lock")
    assert locked == {
        "alabaster": (None, "1.0.0", "dev"),  # only sphinx (docs group) needs it
        "jinja2": (None, "3.1.4", "dev"),  # a dev package here even though tutorial (unlocked) declares it
        "pluggy": (None, "1.5.0", "test"),  # only pytest (tests group)
        "colorama": (None, "0.4.6", "runtime"),  # click (runtime) needs it, whatever pytest says
    }
    assert not [f for f in data["findings"] if f["kind"] == "lock_conflict"]

    sbom = build_sbom(data, {"name": "mono", "url": "https://example.com/mono", "commit": "0" * 40, "analyzed_at": "2024-01-01T00:00:00+00:00"})
    scopes = {c["name"]: c.get("scope") for c in sbom["components"] if c.get("version") in ("1.0.0", "0.4.6", "1.9.0", "1.6.2")}
    assert scopes == {"alabaster": "excluded", "colorama": "required", "blinker": "required"}


def test_an_exact_pin_is_never_overwritten_and_the_conflict_is_a_finding(analyze: Analyze) -> None:
    pyproject = ROOT_PYPROJECT.replace('"blinker>=1.9"', '"blinker==1.8.0"')
    data = analyze({"pyproject.toml": pyproject, "uv.lock": ROOT_UV_LOCK})
    assert deps(data, "pyproject.toml")["blinker"] == ("==1.8.0", "1.8.0", "runtime")
    conflicts = [f for f in data["findings"] if f["kind"] == "lock_conflict"]
    assert conflicts == [{
        "path": "pyproject.toml", "kind": "lock_conflict",
        "message": "blinker is pinned to 1.8.0 here but uv.lock locks 1.9.0; the pin is kept",
    }]


def test_uv_workspace_members_are_covered_and_other_projects_are_not(analyze: Analyze) -> None:
    lock = """version = 1

[[package]]
name = "suite"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "member-a" }]

[[package]]
name = "member-a"
version = "0.1.0"
source = { editable = "packages/a" }
dependencies = [{ name = "requests", extra = ["socks"] }]

[[package]]
name = "requests"
version = "2.32.3"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "urllib3" }]

[package.optional-dependencies]
socks = [{ name = "pysocks" }]

[[package]]
name = "urllib3"
version = "2.2.3"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pysocks"
version = "1.7.1"
source = { registry = "https://pypi.org/simple" }
"""
    data = analyze({
        "pyproject.toml": '[project]\nname = "suite"\ndependencies = ["member-a"]\n\n[tool.uv.workspace]\nmembers = ["packages/*"]\n',
        "uv.lock": lock,
        "packages/a/pyproject.toml": '[project]\nname = "member-a"\ndependencies = ["requests[socks]>=2"]\n',
        "tools/lint/pyproject.toml": '[project]\nname = "lint"\ndependencies = ["requests"]\n',
    })
    assert deps(data, "packages/a/pyproject.toml") == {"requests": (">=2", "2.32.3", "runtime")}
    assert deps(data, "tools/lint/pyproject.toml") == {"requests": (None, None, "runtime")}
    # Workspace projects are no locked packages; the extra's package is runtime through requests[socks].
    assert deps(data, "uv.lock") == {"urllib3": (None, "2.2.3", "runtime"), "pysocks": (None, "1.7.1", "runtime")}


def test_poetry_lock_graph_gives_dev_scope_to_what_only_dev_groups_need(analyze: Analyze) -> None:
    pyproject = """[tool.poetry]
name = "svc"
version = "1.0"

[tool.poetry.dependencies]
python = "^3.11"
requests = "^2.31"

[tool.poetry.group.dev.dependencies]
pytest = "^8"
"""
    lock = """[[package]]
name = "requests"
version = "2.31.0"
groups = ["main"]

[package.dependencies]
urllib3 = ">=1.21.1,<3"
chardet = { version = ">=3", optional = true }

[package.extras]
use-chardet = ["chardet (>=3,<6)"]

[[package]]
name = "urllib3"
version = "2.2.1"
groups = ["main"]

[[package]]
name = "chardet"
version = "5.2.0"
groups = ["main"]

[[package]]
name = "pytest"
version = "8.1.1"
groups = ["dev"]

[package.dependencies]
pluggy = ">=1.4"

[[package]]
name = "pluggy"
version = "1.4.0"
groups = ["main"]
"""
    data = analyze({"pyproject.toml": pyproject, "poetry.lock": lock, "scripts/requirements.txt": "requests\n"})
    assert deps(data, "pyproject.toml") == {"requests": ("^2.31", "2.31.0", "runtime"), "pytest": ("^8", "8.1.1", "dev")}
    # A requirements file is no poetry manifest: the lock says nothing about it.
    assert deps(data, "scripts/requirements.txt") == {"requests": (None, None, "runtime")}
    locked = deps(data, "poetry.lock")
    assert locked["urllib3"] == (None, "2.2.1", "runtime")
    assert locked["pluggy"] == (None, "1.4.0", "dev")  # the lock's "main" is wrong for it; the graph says dev
    assert locked["chardet"] == (None, "5.2.0", "runtime")  # not reached (optional extra): the entry's own scope


def test_npm_workspaces_in_package_lock_cover_members_only(analyze: Analyze) -> None:
    lock = {
        "name": "mono", "lockfileVersion": 3,
        "packages": {
            "": {"name": "mono", "workspaces": ["packages/*"], "devDependencies": {"eslint": "^9"}},
            "packages/web": {"name": "web", "dependencies": {"react": "^18"}},
            "node_modules/web": {"resolved": "packages/web", "link": True},
            "node_modules/react": {"version": "18.3.1"},
            "node_modules/loose-envify": {"version": "1.4.0"},
            "node_modules/eslint": {"version": "9.1.0", "dev": True},
        },
    }
    data = analyze({
        "package.json": json.dumps({"name": "mono", "workspaces": ["packages/*"], "devDependencies": {"eslint": "^9"}}),
        "package-lock.json": json.dumps(lock),
        "packages/web/package.json": json.dumps({"name": "web", "dependencies": {"react": "^18"}}),
        "examples/demo/package.json": json.dumps({"name": "demo", "dependencies": {"react": "^17"}}),
    })
    assert deps(data, "packages/web/package.json") == {"react": ("^18", "18.3.1", "runtime")}
    assert deps(data, "package.json") == {"eslint": ("^9", "9.1.0", "dev")}
    assert deps(data, "examples/demo/package.json") == {"react": ("^17", None, "runtime")}


def test_pnpm_importers_are_the_projects_and_dev_roots_give_dev_scope(analyze: Analyze) -> None:
    lock = """lockfileVersion: '9.0'
importers:
  .:
    devDependencies:
      vitest: {specifier: ^2.0.0, version: 2.0.5}
  apps/site:
    dependencies:
      react: {specifier: ^18.3.0, version: 18.3.1}
packages:
  vitest@2.0.5: {}
  tinypool@1.0.0: {}
  react@18.3.1: {}
  loose-envify@1.4.0: {}
snapshots:
  vitest@2.0.5:
    dependencies:
      tinypool: 1.0.0
  react@18.3.1:
    dependencies:
      loose-envify: 1.4.0
  tinypool@1.0.0: {}
  loose-envify@1.4.0: {}
"""
    data = analyze({
        "package.json": json.dumps({"name": "mono", "devDependencies": {"vitest": "^2.0.0"}}),
        "pnpm-lock.yaml": lock,
        "apps/site/package.json": json.dumps({"dependencies": {"react": "^18.3.0"}}),
        "apps/legacy/package.json": json.dumps({"dependencies": {"react": "^16"}}),
    })
    assert deps(data, "apps/site/package.json") == {"react": ("^18.3.0", "18.3.1", "runtime")}
    assert deps(data, "apps/legacy/package.json") == {"react": ("^16", None, "runtime")}
    assert deps(data, "pnpm-lock.yaml") == {"tinypool": (None, "1.0.0", "dev"), "loose-envify": (None, "1.4.0", "runtime")}


def test_yarn_classic_workspaces_and_graph(analyze: Analyze) -> None:
    lock = """# yarn lockfile v1


jest@^29.0.0:
  version "29.7.0"
  dependencies:
    "@jest/core" "^29.7.0"

"@jest/core@^29.7.0":
  version "29.7.0"

lodash@^4.17.0:
  version "4.17.21"
"""
    data = analyze({
        "package.json": json.dumps({"private": True, "workspaces": ["packages/*"], "devDependencies": {"jest": "^29.0.0"}}),
        "yarn.lock": lock,
        "packages/util/package.json": json.dumps({"dependencies": {"lodash": "^4.17.0"}}),
        "site/package.json": json.dumps({"dependencies": {"lodash": "^3"}}),
    })
    assert deps(data, "packages/util/package.json") == {"lodash": ("^4.17.0", "4.17.21", "runtime")}
    assert deps(data, "site/package.json") == {"lodash": ("^3", None, "runtime")}
    assert deps(data, "yarn.lock") == {"@jest/core": (None, "29.7.0", "dev")}


def test_cargo_workspace_members_are_covered_and_dev_only_crates_are_dev(analyze: Analyze) -> None:
    lock = """version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["serde", "tempfile"]

[[package]]
name = "serde"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["serde_derive"]

[[package]]
name = "serde_derive"
version = "1.0.200"
source = "registry+https://github.com/rust-lang/crates.io-index"

[[package]]
name = "tempfile"
version = "3.10.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = ["fastrand 2.0.2"]

[[package]]
name = "fastrand"
version = "2.0.2"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""
    data = analyze({
        "Cargo.toml": '[workspace]\nmembers = ["crates/*"]\n',
        "Cargo.lock": lock,
        "crates/app/Cargo.toml": '[package]\nname = "app"\n\n[dependencies]\nserde = "1"\n\n[dev-dependencies]\ntempfile = "3"\n',
        "tools/gen/Cargo.toml": '[package]\nname = "gen"\n\n[dependencies]\nserde = "1.0.100"\n',
    })
    assert deps(data, "crates/app/Cargo.toml") == {"serde": ("1", "1.0.200", "runtime"), "tempfile": ("3", "3.10.1", "dev")}
    assert deps(data, "tools/gen/Cargo.toml") == {"serde": ("1.0.100", None, "runtime")}
    assert deps(data, "Cargo.lock") == {"serde_derive": (None, "1.0.200", "runtime"), "fastrand": (None, "2.0.2", "dev")}


def test_go_modules_keep_their_own_versions(analyze: Analyze) -> None:
    data = analyze({
        "go.mod": "module example.com/root\n\ngo 1.22\n\nrequire github.com/spf13/cobra v1.8.0\n",
        "tools/go.mod": "module example.com/tools\n\ngo 1.22\n\nrequire github.com/spf13/cobra v1.7.0\n",
    })
    assert deps(data, "go.mod")["github.com/spf13/cobra"][1] == "v1.8.0"
    assert deps(data, "tools/go.mod")["github.com/spf13/cobra"][1] == "v1.7.0"


def test_local_editable_requirements_are_path_dependencies(analyze: Analyze) -> None:
    data = analyze({
        "setup.cfg": "[metadata]\nname = requests\n\n[options]\ninstall_requires =\n    urllib3\n",
        "requirements-dev.txt": "-e .[socks]\n-e ./localpkg\n-e ./unnamed\nfile:../outside\npytest>=8\n",
        "localpkg/pyproject.toml": '[project]\nname = "local-pkg"\n',
        "unnamed/README": "no metadata here\n",
    })
    assert deps(data, "requirements-dev.txt") == {
        "requests": ("path:.[socks]", None, "dev"),
        "local-pkg": ("path:./localpkg", None, "dev"),
        "unnamed": ("path:./unnamed", None, "dev"),
        "outside": ("path:../outside", None, "dev"),
        "pytest": (">=8", None, "dev"),
    }
    assert not [f for f in data["findings"] if f["path"] == "requirements-dev.txt"]


def test_yarn_berry_names_its_workspaces(analyze: Analyze) -> None:
    lock = """__metadata:
  version: 8

"mono@workspace:.":
  version: 0.0.0-use.local
  resolution: "mono@workspace:."
  dependencies:
    typescript: "npm:^5.4.0"
  linkType: soft

"ui@workspace:packages/ui":
  version: 0.0.0-use.local
  resolution: "ui@workspace:packages/ui"
  dependencies:
    react: "npm:^18.3.0"
  linkType: soft

"react@npm:^18.3.0":
  version: 18.3.1
  resolution: "react@npm:18.3.1"
  dependencies:
    loose-envify: "npm:^1.1.0"
  linkType: hard

"loose-envify@npm:^1.1.0":
  version: 1.4.0
  resolution: "loose-envify@npm:1.4.0"
  linkType: hard

"typescript@npm:^5.4.0":
  version: 5.4.5
  resolution: "typescript@npm:5.4.5"
  linkType: hard
"""
    data = analyze({
        "package.json": json.dumps({"name": "mono", "workspaces": ["packages/*"], "devDependencies": {"typescript": "^5.4.0"}}),
        "yarn.lock": lock,
        "packages/ui/package.json": json.dumps({"name": "ui", "dependencies": {"react": "^18.3.0"}}),
        "docs/site/package.json": json.dumps({"dependencies": {"react": "^18.3.0"}}),
    })
    assert deps(data, "packages/ui/package.json") == {"react": ("^18.3.0", "18.3.1", "runtime")}
    assert deps(data, "package.json") == {"typescript": ("^5.4.0", "5.4.5", "dev")}
    assert deps(data, "docs/site/package.json") == {"react": ("^18.3.0", None, "runtime")}
    assert deps(data, "yarn.lock") == {"loose-envify": (None, "1.4.0", "runtime")}


def test_hostile_lock_paths_and_cycles(analyze: Analyze) -> None:
    lock = """version = 1

[[package]]
name = "app"
version = "1.0"
source = { editable = "." }
dev-dependencies = { dev = [{ name = "a" }] }

[[package]]
name = "escape"
version = "6.6.6"
source = { editable = "../../etc" }
dependencies = [{ name = "a" }]

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "b" }, { name = "a" }, 7, "junk"]

[[package]]
name = "b"
version = "1.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [{ name = "a" }]
"""
    data = analyze({"pyproject.toml": '[project]\nname = "app"\n', "uv.lock": lock})
    # A project folder outside the repository is no project; a dependency cycle ends.
    assert deps(data, "uv.lock") == {"escape": (None, "6.6.6", "runtime"), "a": (None, "1.0", "dev"), "b": (None, "1.0", "dev")}
