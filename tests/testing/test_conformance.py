"""The conformance suite accepts analyzers that keep the contract and names the fix for those that do not."""
from __future__ import annotations

import pytest

from coe_framework.testing import CHECKS, ConformanceError, assert_analyzer_conforms, check_analyzer, conformance

from . import kit_analyzers as ka

RUNS = ("sample", "deterministic", "empty_tree", "cancellation", "sandbox")


def problems_of(analyzer, tmp_path, only: tuple[str, ...] = CHECKS, **kwargs):
    skip = [c for c in CHECKS if c not in only]
    return check_analyzer(analyzer, workdir=tmp_path, skip=skip, **kwargs)


@pytest.mark.parametrize("analyzer", [ka.ByteCounter(), ka.LineCounter()], ids=["repository", "file"])
def test_well_behaved_analyzers_conform(analyzer, tmp_path):
    assert_analyzer_conforms(analyzer, workdir=tmp_path)


def test_options_are_used_on_every_run(tmp_path):
    assert check_analyzer(ka.ByteCounter(), workdir=tmp_path, options={"suffix": ".py"}) == []
    problems = problems_of(ka.ByteCounter(), tmp_path, only=("schemas",), options={"suffix": 3})
    assert [p.check for p in problems] == ["schemas"]
    assert "options given to the conformance suite are invalid" in problems[0].message


@pytest.mark.parametrize(
    ("analyzer", "only", "check", "fix"),
    [
        (ka.Clocked(), ("deterministic",), "deterministic", "leave out clocks, random values"),
        (ka.SetOrdered(), ("deterministic",), "deterministic", "(the second in a new interpreter with another PYTHONHASHSEED) returned different results (first difference at result.paths"),
        (ka.WritesRepo(), ("sandbox",), "sandbox", "must never write to it"),
        (ka.Ignores(), ("cancellation",), "cancellation", "call ctx.check_cancelled()"),
        (ka.EmptyCrash(), ("empty_tree",), "empty_tree", "IndexError"),
        (ka.LaxResult(), ("sample",), "sample", "does not match the published result schema at files"),
        (ka.RawPaths(), ("sample",), "sample", "use FileEntry.path"),
        (ka.BadTables(), ("sample",), "sample", "unknown table 'gadgets'"),
        (ka.IgnoresCap(), ("sample",), "sample", "read big/generated.py (256 KiB) although it is over the 64 KiB size cap"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_each_broken_analyzer_fails_its_check_with_the_fix(analyzer, only, check, fix, tmp_path):
    problems = problems_of(analyzer, tmp_path, only=only)
    assert problems, f"{analyzer.name} should fail the {check} check"
    assert {p.check for p in problems} == {check}
    assert any(fix in p.message for p in problems), [p.message for p in problems]


def test_writes_to_home_and_tmpdir_are_reported_separately(tmp_path):
    messages = [p.message for p in problems_of(ka.WritesHome(), tmp_path, only=("sandbox",))]
    assert any(m.startswith("wrote to HOME (created .cache") for m in messages), messages
    assert any(m.startswith("wrote to TMPDIR (created leak-") for m in messages), messages


def test_bad_table_rows_keys_are_named(tmp_path):
    messages = [p.message for p in problems_of(ka.BadTables(), tmp_path, only=("sample",))]
    assert any("unknown keys ['colour']" in m for m in messages), messages


def test_options_that_need_values_or_accept_anything_are_reported(tmp_path):
    messages = [p.message for p in problems_of(ka.BadOptions(), tmp_path, only=("schemas",))]
    assert any("needs a value for 'threshold'" in m for m in messages), messages
    assert any("extra='forbid'" in m for m in messages), messages


def test_contract_problems_stop_the_suite_before_anything_runs(tmp_path):
    with pytest.raises(ConformanceError) as info:
        assert_analyzer_conforms(ka.BadName(), workdir=tmp_path)
    text = str(info.value)
    assert "does not conform" in text and "[contract]" in text
    assert "must be a lowercase identifier" in text and "non-empty string such as '1.0'" in text
    assert not list(tmp_path.iterdir()), "nothing should have been built for an analyzer with a broken declaration"


def test_a_file_analyzer_defined_in_a_function_cannot_be_pickled(tmp_path):
    class Local(ka.LineCounter):
        name = "local-lines"

    messages = [p.message for p in problems_of(Local(), tmp_path, only=("schemas",))]
    assert any("cannot be pickled" in m and "module level" in m for m in messages), messages


def test_unknown_check_names_are_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown conformance check"):
        check_analyzer(ka.ByteCounter(), workdir=tmp_path, skip=["speed"])


def test_missing_requirement_says_which_builtin_to_add(tmp_path):
    class NeedsGit(ka.ByteCounter):
        name = "needs-nothing-installed"
        requires = ("no-such-analyzer",)

    problems = problems_of(NeedsGit(), tmp_path, only=RUNS)
    assert len(problems) == 1 and "pass builtins=[...]" in problems[0].message


def test_a_hanging_analyzer_is_stopped_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(conformance, "RUN_TIME_LIMIT", 0.5)
    problems = problems_of(ka.Hangs(), tmp_path, only=("empty_tree",))
    assert len(problems) == 1
    assert "ended 'timed_out': still running after 0.5s" in problems[0].message
    assert "a loop that never ends" in problems[0].message
