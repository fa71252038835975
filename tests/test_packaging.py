"""The built wheel carries everything (migrations and data files included) and works
installed on its own, not only from the work tree."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path
from typing import Callable

import pytest

from coe_framework.testing.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parents[1]
#: Work-tree folder -> import name in the wheel (setup.cfg package_dir).
PACKAGE_DIRS = {"coe_framework": "coe_framework", "plugins": "coe_plugins", "webapp": "coe_webapp", "migrate": "coe_migrate"}
DATA_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".html", ".css", ".js", ".txt"}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (built,) = out.glob("*.whl")
    return built


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z", *PACKAGE_DIRS], cwd=ROOT, capture_output=True, check=True).stdout
    return [p for p in out.decode().split("\0") if p]


def test_wheel_contains_every_module_and_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = []
    for path in tracked_files():
        top, _, rest = path.partition("/")
        if (Path(path).suffix not in DATA_SUFFIXES and Path(path).name != "py.typed") or "/tests/" in f"/{rest}":
            continue
        if f"{PACKAGE_DIRS[top]}/{rest}" not in names:
            missing.append(path)
    assert not missing, f"not in the wheel (add the package or package data to setup.cfg): {missing}"
    assert any(name.endswith(".dist-info/licenses/LICENSE") or name.endswith(".dist-info/LICENSE") for name in names), "the license text is not in the wheel"


def test_installed_wheel_runs_on_its_own(wheel: Path, tmp_path: Path, make_repo: Callable[..., GitRepo]) -> None:
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # Install only our wheel; borrow the already installed dependencies through a path entry,
    # which (unlike a site directory) does not activate this work tree's editable install.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", site, str(wheel)], check=True)
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    repo = make_repo(files={"main.py": "def f(x):\n    return x if x else 0\n", "requirements.txt": "click>=8\n"})
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH",)}
    env["COE_DATABASE_URL"] = f"sqlite:///{tmp_path / 'wheel.sqlite3'}"
    coe = [str(py), "-c", "from coe_framework.cli.main import main; main()"]

    where = subprocess.run([str(py), "-c", "import coe_framework, coe_migrate; print(coe_framework.__file__, coe_migrate.__file__)"],
                           capture_output=True, text=True, env=env, cwd=tmp_path, check=True).stdout
    assert str(env_dir) in where and str(ROOT) not in where

    plugins = subprocess.run([*coe, "plugins", "--json"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert plugins.returncode == 0, plugins.stderr
    rows = {p["name"]: p for p in json.loads(plugins.stdout)["plugins"]}
    for name in ("git", "ast", "techspec"):
        assert rows[name]["error"] is None and rows[name]["builtin"], rows[name]

    analysis = subprocess.run([*coe, "analyze", str(repo.path), "--format", "json"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert analysis.returncode == 0, analysis.stderr[-3000:]
    report = json.loads(analysis.stdout)
    assert report["repositories"][0]["status"] == "succeeded"

    # The migrations travelled in the wheel: the ledger names the shipped revision.
    status = subprocess.run([*coe, "db", "status"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "0001" in status.stdout and "applied" in status.stdout
    validate = subprocess.run([*coe, "db", "validate"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert validate.returncode == 0, validate.stdout + validate.stderr
