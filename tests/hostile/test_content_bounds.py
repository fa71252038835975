"""Hostile repository contents: each case ends with a bounded outcome and bounded peak memory.

Every case runs ``coe analyze`` (or git) in a fresh process under the
measuring wrapper of :mod:`tests.hostile.measure`; the memory bounds are on
the largest process of the run. Cases are generated here, at test time.
Figures are recorded in docs/reliability.md (``bench/hostile_cases.py``).
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import pytest

from coe_framework.testing.gitrepo import GitRepo
from tests.hostile import content_builders as build
from tests.hostile.measure import Measured, child_environment, coe_command, run_measured

pytestmark = pytest.mark.hostile

MIB = 1024 * 1024


def analyze(repo: Path, tmp_path: Path, *analyzers: str, **env: str) -> Measured:
    args = ["analyze", str(repo), "--format", "json", "--workers", "2"]
    for name in analyzers:
        args += ["-a", name]
    return run_measured(coe_command(*args), env=child_environment(tmp_path, **env))


def report(measured: Measured) -> dict[str, Any]:
    assert "Traceback" not in measured.stderr, measured.stderr
    return json.loads(measured.stdout)["repositories"][0]


def test_deeply_nested_functions_are_a_per_file_finding(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    depth = 50_000
    repo = make_repo(files={
        "closed.js": build.nested_functions_js(depth),
        "open.js": b"function f(){" * depth,  # 650 KB, never closed
        "fine.js": "function fine(a) { return a ? 1 : 2 }\n",
    })
    measured = analyze(repo.path, tmp_path, "ast")
    assert measured.returncode == 0, measured.stderr
    files = report(measured)["results"]["ast"]["data"]["files"]
    closed = files["closed.js"]
    assert closed["depth_capped"] == 64 and "deeper than 64 levels" in closed["warning"]
    assert len(closed["symbols"]) == 64
    assert [s["parent"] for s in closed["symbols"][:3]] == [None, 0, 1]
    assert "error" not in files["open.js"]
    assert files["fine.js"]["complexity"] == 2
    assert measured.peak_rss < 300 * MIB, measured.peak_mib


def test_nested_arrays_and_functions_do_not_crash_a_worker(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={
        "arrays.js": build.nested_arrays_js(200_000) + build.nested_functions_js(20_000),
        "fine.js": "function fine() {}\n",
    })
    measured = analyze(repo.path, tmp_path, "ast")
    assert measured.returncode == 0, measured.stderr
    files = report(measured)["results"]["ast"]["data"]["files"]
    assert files["arrays.js"]["depth_capped"] == 64
    assert files["fine.js"]["functions"] == 1
    assert measured.peak_rss < 300 * MIB, measured.peak_mib


def test_twenty_thousand_nested_lambdas_get_a_reason(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"lambdas.py": build.nested_lambdas_py(20_000)})
    measured = analyze(repo.path, tmp_path, "ast")
    files = report(measured)["results"]["ast"]["data"]["files"]
    assert files["lambdas.py"]["error"].startswith("cannot parse: nesting too deep for the Python parser")
    assert measured.peak_rss < 300 * MIB, measured.peak_mib


def test_a_git_bomb_is_refused_before_its_tree_is_walked(tmp_path: Path) -> None:
    repo = tmp_path / "bomb"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit = build.git_bomb(repo)  # 10**10 paths in a few kilobytes
    measured = analyze(repo, tmp_path)
    assert measured.returncode == 2
    lines = measured.stderr.strip().splitlines()
    assert len(lines) == 1 and "expands to more than 2,000,000 entries (COE_MAX_TREE_ENTRIES)" in lines[0], measured.stderr
    assert commit[:12] in lines[0]
    assert measured.peak_rss < 200 * MIB, measured.peak_mib


def test_a_tree_deeper_than_the_cap_is_refused(tmp_path: Path) -> None:
    repo = tmp_path / "deep"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    build.deep_tree(repo, 60)
    measured = analyze(repo, tmp_path, "ast", COE_MAX_TREE_DEPTH="50")
    assert measured.returncode == 2
    assert "deeper than 50 levels (COE_MAX_TREE_DEPTH)" in measured.stderr


def test_git_itself_is_held_to_its_memory_cap(tmp_path: Path) -> None:
    """Before the tree check, 'git show -s' took gigabytes on a bomb; a git child now stops at its cap."""
    repo = tmp_path / "bomb"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    commit = build.git_bomb(repo)
    script = (
        "import sys\n"
        "from coe_framework.repository.gitutil import GitError, run_git\n"
        "try:\n"
        f"    run_git(['show', '--format=%H', '{commit}'], cwd=sys.argv[1], timeout=120)\n"
        "except GitError as exc:\n"
        "    print(exc)\n"
    )
    measured = run_measured([sys.executable, "-c", script, str(repo)], env=child_environment(tmp_path, COE_GIT_MEMORY_LIMIT=str(300 * MIB)))
    assert "COE_GIT_MEMORY_LIMIT" in measured.stdout, (measured.stdout, measured.stderr)
    assert measured.peak_rss < 400 * MIB, measured.peak_mib


def test_symlinks_out_of_the_tree_are_never_followed(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    secret = tmp_path / "secret.py"
    secret.write_text("SECRET_MARKER = 'do not read me'\n")
    repo = make_repo(files={"main.py": "import os\n"})
    (repo.path / "link.py").symlink_to(secret)
    (repo.path / "up.py").symlink_to("../../../../etc/passwd")
    (repo.path / "package.json").symlink_to("/etc/passwd")
    repo.commit()
    measured = analyze(repo.path, tmp_path, "ast", "techspec")
    assert measured.returncode == 0, measured.stderr
    assert "do not read me" not in measured.stdout and "root:x:0" not in measured.stdout
    files = report(measured)["results"]["ast"]["data"]["files"]
    assert "link.py" not in files and "main.py" in files


BILLION_LAUGHS_XML = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol">""" + b"".join(
    b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10)
) + b"""]>
<project><modelVersion>4.0.0</modelVersion><groupId>&lol9;</groupId><artifactId>bomb</artifactId></project>
"""

BILLION_LAUGHS_YAML = b"a: &a [" + b"x," * 9 + b"x]\n" + b"".join(
    b"%s: &%s [%s]\n" % (chr(98 + i).encode(), chr(98 + i).encode(), b",".join([b"*" + chr(97 + i).encode()] * 10)) for i in range(8)
)


def test_xml_and_yaml_bombs_stay_small(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={
        "pom.xml": BILLION_LAUGHS_XML,
        "docker-compose.yml": BILLION_LAUGHS_YAML,
        ".github/workflows/ci.yml": BILLION_LAUGHS_YAML,
        "main.py": "print('hi')\n",
    })
    measured = analyze(repo.path, tmp_path, "techspec")
    assert measured.returncode in (0, 1), measured.stderr
    techspec = report(measured)["results"]["techspec"]
    assert techspec["status"] == "succeeded", techspec.get("error")
    assert measured.peak_rss < 300 * MIB, measured.peak_mib


def test_a_300_mb_file_is_capped_unread(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"main.py": "x = 1\n"})
    big = repo.path / "huge.py"
    with open(big, "wb") as handle:  # sparse: costs no disk, and git compresses zeros to a few hundred KB
        handle.truncate(300 * MIB)
    repo.commit()
    big.unlink()
    measured = analyze(repo.path, tmp_path, "ast", "techspec")
    assert measured.returncode == 0, measured.stderr
    files = report(measured)["results"]["ast"]["data"]["files"]
    assert files["huge.py"]["capped"] is True and files["huge.py"]["size"] == 300 * MIB
    assert measured.peak_rss < 300 * MIB, measured.peak_mib


def test_non_utf8_paths_and_contents(make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={
        b"caf\xe9.py": b"# -*- coding: latin-1 -*-\n# caf\xe9\ndef f(x):\n    return x\n",
        b"bad.py": b"# caf\xe9 without a declaration\ndef f(x):\n    return x\n",
        b"\xff\xfe.js": b"function g() { return '\xe9\xff' }\n",
    })
    measured = analyze(repo.path, tmp_path, "ast", "techspec")
    assert measured.returncode == 0, measured.stderr
    files = report(measured)["results"]["ast"]["data"]["files"]
    assert set(files) == {"caf\\xe9.py", "\\xff\\xfe.js", "bad.py"}
    assert files["caf\\xe9.py"]["functions"] == 1
    assert files["bad.py"]["error"] == "cannot determine the encoding: invalid or missing encoding declaration"
    assert files["\\xff\\xfe.js"]["functions"] == 1
