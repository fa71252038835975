"""Temporary virtual environments that see the project's installed packages.

``python -m venv --system-site-packages`` only reaches the base interpreter's
packages, not this project's virtual environment, so a ``.pth`` file makes the
new environment process the project's site-packages too (its editable install
included). Packages installed into the new environment (with pip, offline,
no build isolation) land in its own site-packages, so their entry points are
seen exactly as a user's would be.
"""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

RUN_CLI = "import sys; from coe_framework.cli.main import main; main(sys.argv[1:])"


@dataclass
class VirtualEnv:
    root: Path
    #: Environment variables every command in this environment gets.
    base_env: Mapping[str, str] = field(default_factory=dict)

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def run(self, *args: str, cwd: Path | None = None, env: Mapping[str, str] | None = None,
            check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run this environment's Python; a failure shows both output streams."""
        full_env = {**os.environ, "PYTHONNOUSERSITE": "1", **self.base_env, **(env or {})}
        full_env.pop("PYTHONPATH", None)
        proc = subprocess.run([str(self.python), *args], cwd=cwd, env=full_env, capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"{' '.join(args[:4])} exited {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}")
        return proc

    def coe(self, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
        """The ``coe`` command as this environment sees it."""
        return self.run("-c", RUN_CLI, *args, **kwargs)  # type: ignore[arg-type]

    def install(self, *paths: Path) -> None:
        """Install local source trees offline, as regular (non-editable) packages."""
        self.run("-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
                 "--disable-pip-version-check", *map(str, paths))


def create(root: Path, env: Mapping[str, str] | None = None) -> VirtualEnv:
    """A fresh environment at ``root`` that also imports the project's packages."""
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(root)], check=True)
    venv = VirtualEnv(root, dict(env or {}))
    site_packages = Path(venv.run("-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    parent = sysconfig.get_paths()["purelib"]
    (site_packages / "_coe_project_packages.pth").write_text(f"import site; site.addsitedir({parent!r})\n")
    return venv
