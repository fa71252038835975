"""Run one analyzer in a fresh interpreter with another string-hash seed.

Python randomises ``hash()`` of strings per interpreter, so iterating a set
of paths or names gives a different order in each ``coe analyze`` process.
Two runs in one test process share the seed and cannot see that; the
conformance suite's ``deterministic`` check therefore makes its second run
here, in a new interpreter with a different ``PYTHONHASHSEED``.

:func:`run_fresh` is the caller's side; ``python -m
coe_framework.testing.fresh_run SPEC`` is the child's. A child that cannot
rebuild the analyzer (it cannot be pickled, its module cannot be imported,
or an analyzer it requires exists only in the caller's process) reports a
setup error, and the caller falls back to a run in its own process.
"""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping

from ..plugin.contract import Analyzer, AnalyzerOutcome

#: What the child prints before its JSON answer, so stray output from plugins cannot be mistaken for it.
MARKER = "\n@@coe-fresh-run@@\n"


@dataclass(frozen=True)
class FreshRunSpec:
    """Everything the child needs, pickled to a file."""

    analyzer: Analyzer | None  # None: the plugins below register it themselves
    analyzer_name: str
    plugins: tuple[str, ...]
    builtins: tuple[str, ...]
    options: Mapping[str, Any] | None
    repository: str
    workdir: str
    max_file_size: int


class FreshRunUnavailable(RuntimeError):
    """The analyzer could not be rebuilt in a new interpreter (the reason is one line)."""


def other_hash_seed() -> str:
    """A ``PYTHONHASHSEED`` different from this interpreter's."""
    current = os.environ.get("PYTHONHASHSEED", "")
    if current.isdigit():
        return str((int(current) + 1) % 4_294_967_296)
    return "1"  # this interpreter's seed is random: 1 differs from it but for a 2**-32 chance


def run_fresh(spec: FreshRunSpec, *, timeout: float) -> AnalyzerOutcome:
    """Run ``spec`` in a child interpreter; :class:`FreshRunUnavailable` when it cannot be set up there."""
    spec_path = Path(spec.workdir) / "fresh-run.pickle"
    try:
        spec_path.write_bytes(pickle.dumps(spec))
    except Exception as exc:  # noqa: BLE001 - any pickling failure means: not in a new interpreter
        raise FreshRunUnavailable(f"the analyzer cannot be pickled ({type(exc).__name__})") from None
    # The child imports what this process can: test modules included.
    path_entries = [entry for entry in sys.path if entry and os.path.isdir(entry)]
    env = {**os.environ, "PYTHONHASHSEED": other_hash_seed(), "PYTHONPATH": os.pathsep.join(path_entries)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "coe_framework.testing.fresh_run", str(spec_path)],
            env=env, cwd=spec.workdir, capture_output=True, text=True, timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return AnalyzerOutcome(spec.analyzer_name, "", "", "timed_out", error=f"still running after {timeout:g}s in a new interpreter")
    _output, marker, answer = done.stdout.rpartition(MARKER.strip("\n"))
    if not marker:
        tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise FreshRunUnavailable(f"the new interpreter gave no answer: {tail}")
    reply = json.loads(answer)
    if reply.get("setup_error"):
        raise FreshRunUnavailable(reply["setup_error"])
    outcome = reply["outcome"]
    return AnalyzerOutcome(
        outcome["analyzer"], outcome["version"], outcome["options_hash"], outcome["status"],
        data=outcome["data"], error=outcome["error"],
    )


def _child(spec: FreshRunSpec) -> dict[str, Any]:
    from ..plugin.context import Limits
    from ..analysis.runner import PlanError, Runner
    from .environment import AnalyzerPlugin, CoeEnv, prepare_target

    objects: Iterable[tuple[str, Any]] = [("plugin-under-test", AnalyzerPlugin(spec.analyzer))] if spec.analyzer is not None else ()
    try:
        env = CoeEnv(Path(spec.workdir) / "env", plugins=spec.plugins, builtins=spec.builtins, objects=objects, activate=False)
    except Exception as exc:  # noqa: BLE001 - strict loading raises whatever the plugin raised
        return {"setup_error": f"the plugins could not be loaded: {type(exc).__name__}: {exc}"}
    runner = Runner(env.manager, workers=2, limits=Limits(max_file_size=spec.max_file_size))
    try:
        target = prepare_target(spec.repository)
        options = {spec.analyzer_name: dict(spec.options)} if spec.options else None
        outcome = runner.run(target.git_dir, target.commit, target.info, [spec.analyzer_name], options, use_cache=False)
    except (PlanError, KeyError) as exc:
        return {"setup_error": f"the analyzer cannot be planned there: {exc}"}
    finally:
        runner.close()
        env.close()
    return {"outcome": outcome.outcomes[spec.analyzer_name].to_dict()}


def main(argv: list[str] | None = None) -> int:
    """The child: load the spec, run, print the marker and a JSON answer."""
    args = sys.argv[1:] if argv is None else argv
    try:
        spec: FreshRunSpec = pickle.loads(Path(args[0]).read_bytes())
    except Exception as exc:  # noqa: BLE001 - e.g. the analyzer's module is not importable here
        reply: dict[str, Any] = {"setup_error": f"the analyzer could not be rebuilt ({type(exc).__name__}: {exc})"}
    else:
        reply = _child(spec)
    sys.stdout.write(MARKER + json.dumps(reply, ensure_ascii=False) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
