"""Third-party plugins end to end: scaffolded, installed through their entry points, run and checked.

One temporary virtual environment (offline: it reuses the project's packages)
gets three distributions installed the way a user installs them: a plugin
made by ``coe plugin new``, the sample plugin in tests/testing/sample_plugin
and the deliberately broken one in tests/testing/broken_plugin.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from . import venvs

HERE = Path(__file__).parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def third_party(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("third-party")
    # The built-ins have their own tests; here they would only add start-up time to every command.
    venv = venvs.create(root / "venv", env={"COE_DISABLE_PLUGINS": "git,ast,techspec"})
    made = venv.coe("plugin", "new", "todo-counter", "--directory", str(root / "src"), "--author", "Test Author")
    assert "created" in made.stdout
    sources = {"todo": root / "src" / "coe-todo-counter"}
    for name in ("sample_plugin", "broken_plugin"):
        sources[name] = root / "src" / name
        shutil.copytree(HERE / name, sources[name])
    venv.install(*sources.values())
    return {"venv": venv, "sources": sources, "root": root}


@pytest.fixture
def sample_repo(git_repo_factory):
    return git_repo_factory(files={"app.py": "# TODO one\n# FIXME two\n", "lib.py": "", "README": "hello\n"})


def plugins_listing(venv: venvs.VirtualEnv) -> dict[str, dict]:
    listing = json.loads(venv.coe("plugins", "--json").stdout)
    return {"plugins": {p["name"]: p for p in listing["plugins"]}, "analyzers": listing["analyzers"]}


def run_own_tests(venv: venvs.VirtualEnv, source: Path):
    """pytest in a plugin's source tree; the kit comes in through its pytest11 entry points
    (``-p coe``, and ``-p coe_web`` for the web app's ``api_client``).

    Autoloading is off only so that the project's other pytest plugins do not
    slow each run down; ``-p`` still loads the kit by its entry point names.
    """
    return venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "coe", "-p", "coe_web", cwd=source, check=False,
                    env={"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})


def test_scaffolded_plugin_passes_its_own_tests(third_party):
    proc = run_own_tests(third_party["venv"], third_party["sources"]["todo"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


def test_installed_plugins_are_discovered_through_their_entry_points(third_party):
    listing = plugins_listing(third_party["venv"])
    todo, sample, broken = (listing["plugins"][n] for n in ("todo-counter", "sample", "broken"))
    assert (todo["distribution"], todo["builtin"], todo["analyzers"]) == ("coe-todo-counter", False, ["todo-counter"])
    assert (sample["distribution"], sample["version"], sample["error"]) == ("coe-sample-plugin", "1.2.0", None)
    assert sample["analyzers"] == ["extensions"]
    assert set(sample["hooks"]) >= {"coe_register_commands", "coe_register_routes", "coe_rag_documents", "coe_analysis_finished"}
    assert broken["analyzers"] == ["sloppy"], "a contract-breaking analyzer still loads; the suite is what catches it"
    assert listing["analyzers"]["extensions"]["options_schema"]["properties"]["top"]["default"] == 10


def test_plugins_run_through_the_cli(third_party, sample_repo, tmp_path):
    venv = third_party["venv"]
    events = tmp_path / "events.jsonl"
    proc = venv.coe("analyze", str(sample_repo.path), "-a", "todo-counter", "-a", "extensions",
                    "--set", "extensions.top=1", "--format", "json", env={"COE_SAMPLE_EVENTS": str(events)})
    results = json.loads(proc.stdout)["repositories"][0]["results"]
    assert results["todo-counter"]["data"]["by_marker"] == {"TODO": 1, "FIXME": 1, "XXX": 0}
    assert results["extensions"]["data"] == {"files": 3, "extensions": {".py": 2}}
    recorded = [json.loads(line) for line in events.read_text().splitlines()]
    assert [e["event"] for e in recorded] == ["started", "finished"]
    assert recorded[0]["analyzers"] == ["extensions", "todo-counter"] and recorded[1]["status"] == "succeeded"
    hello = venv.coe("sample-hello", "tests")
    assert hello.stdout.strip() == "hello tests from the sample plugin"


def test_sample_plugin_passes_the_conformance_suite_and_works_through_the_api(third_party):
    """Its own kit-based tests: conformance, RAG documents with embeddings, and the REST API
    (plugin listing, an analysis submitted and its result read back, the plugin's own route)."""
    venv, source = third_party["venv"], third_party["sources"]["sample_plugin"]
    own_tests = run_own_tests(venv, source)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert "4 passed" in own_tests.stdout


def test_broken_plugin_fails_the_suite_with_what_to_fix(third_party):
    proc = third_party["venv"].coe("plugin", "check", "sloppy", check=False)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("analyzer 'sloppy' 0.0.1:")
    for fix in (
        "[schemas] Sloppy.Options accepts unknown keys",
        "[sandbox] wrote to HOME (created .sloppy-cache)",
        "[deterministic] two runs on the same commit (the second in a new interpreter with another PYTHONHASHSEED) returned different results (first difference at result.sampled_at)",
        "[empty_tree] on a commit with no files it ended 'failed': ValueError: max() arg is an empty sequence",
        "[cancellation] ran to completion although the analysis was cancelled",
    ):
        assert fix in out, f"missing {fix!r} in:\n{out}"
