"""Fixtures: three generated repositories with known overlaps, analysed and stored once per session."""
from __future__ import annotations

import importlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coe_framework.plugin.manager import PluginManager, create_manager
from coe_framework.testing.gitrepo import init_repo

ADA = ("Ada Lovelace", "ada@example.com")
ADA_OLD = ("Ada L", "ada@old.example.com")  # mapped to ADA by beta's .mailmap
GRACE = ("Grace Hopper", "grace@example.com")
LINUS = ("Linus T", "linus@example.com")

ALPHA_APP = '''"""Alpha's application."""
import flask


class Service:
    """A service with two methods."""

    def start(self, fast):
        if fast:
            return 1
        return 0

    def stop(self):
        return None


def main():
    return Service().start(True)
'''

ALPHA_README = """# Alpha

Alpha does things.

## Install

```
# not a heading: inside a code fence
pip install alpha
```

## Usage

Run `alpha`.
"""

BUILTIN_RAG_MODULES = {"git": "coe_plugins.git.rag", "ast": "coe_plugins.ast.rag", "techspec": "coe_plugins.techspec.rag"}


def rag_manager() -> PluginManager:
    """The built-in plugins, each with its RAG documents hook.

    Until a built-in plugin module exposes its ``rag`` module's hook itself,
    the ``rag`` module is registered next to it, so documents are never
    contributed twice.
    """
    manager = create_manager(env={})
    implementing = {impl.plugin_name for impl in manager.hook.coe_rag_documents.get_hookimpls()}
    for plugin, module in BUILTIN_RAG_MODULES.items():
        if plugin not in implementing:
            manager.register(importlib.import_module(module), f"{plugin}-rag", builtin=True)
    return manager


def build_three(root: Path) -> dict[str, Any]:
    """alpha (Python), beta (Python and JavaScript), gamma (JavaScript), with known overlaps.

    Dependencies: alpha {pypi requests 2.31.0, flask 3.0.0, click >=8}; beta
    {pypi requests 2.32.0, Flask 3.0.0, npm left-pad 1.3.0}; gamma {npm
    left-pad 1.3.0, express 4.18.2}. Authors: alpha {ada, grace}; beta {ada
    (through .mailmap), linus}; gamma {linus}.
    """
    alpha = init_repo(root / "alpha")
    alpha.commit({"requirements.txt": "requests==2.31.0\nflask==3.0.0\nclick>=8\n", "app.py": ALPHA_APP, "README.md": ALPHA_README}, author=ADA)
    alpha.commit({"cli.py": "def run(x):\n    if x:\n        return 1\n    return 0\n"}, author=GRACE)
    beta = init_repo(root / "beta")
    beta.commit(
        {
            "requirements.txt": "requests==2.32.0\nFlask==3.0.0\n",
            "package.json": json.dumps({"name": "beta", "dependencies": {"left-pad": "1.3.0"}}),
            "server.py": "def serve():\n    return 2\n",
            "index.js": "function f(a) { return a ? 1 : 2; }\n",
            ".mailmap": "Ada Lovelace <ada@example.com> Ada L <ada@old.example.com>\n",
        },
        author=ADA_OLD,
    )
    beta.commit({"index.js": "function f(a) { return a ? 1 : 3; }\n"}, author=LINUS)
    gamma = init_repo(root / "gamma")
    gamma.commit(
        {
            "package.json": json.dumps({"name": "gamma", "dependencies": {"left-pad": "1.3.0", "express": "4.18.2"}}),
            "main.js": "const express = require('express');\nfunction g() { return 1; }\n",
        },
        author=LINUS,
    )
    return {"alpha": alpha, "beta": beta, "gamma": gamma}


@dataclass
class StoredThree:
    store: Any
    analysis_id: int
    repos: dict[str, Any]
    manager: PluginManager
    url: str


@pytest.fixture(scope="session")
def stored_three(tmp_path_factory: pytest.TempPathFactory) -> StoredThree:
    """The three repositories analysed (every built-in analyzer) and stored; the main job adds documents and correlations."""
    from coe_framework.analysis.cache import MemoryCache, TieredCache
    from coe_framework.db.engine import dispose_engines
    from coe_framework.analysis.process_store import open_store
    from coe_framework.analysis.service import analyze_repositories

    root = tmp_path_factory.mktemp("three")
    repos = build_three(root)
    url = f"sqlite:///{root / 'coe.sqlite3'}"
    store = open_store(url, cache=TieredCache(MemoryCache(1000)))
    manager = rag_manager()
    report = analyze_repositories(manager, [str(r.path) for r in repos.values()], store=store, workers=1)
    assert report.status == "succeeded", [o.errors for o in report.repositories]
    analysis_id = report.extra["analysis_id"]
    yield StoredThree(store, analysis_id, repos, manager, url)
    dispose_engines()
