"""A submission is validated once and carried through the request row into the job."""
from __future__ import annotations

from typing import Any, Callable

import pytest
from sqlalchemy import update

from coe_framework.analysis import service
from coe_framework.analysis.submission import Submission, SubmissionError
from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisRequest
from coe_framework.jobs.executors import JobRuntime
from coe_framework.repository.sources import SourcePolicy

from .conftest import request_row, sqlite_only


def test_submission_json_round_trips(job_manager: Any, make_repo: Callable[..., Any]) -> None:
    repo = make_repo(files={"a.txt": "a\n"})
    made = Submission.create(job_manager, [{"url": str(repo.path), "name": "demo", "ref": "HEAD"}],
                             analyzers=["jobslow", "jobcount"], options={"jobslow": {"seconds": 0.01}})
    data = made.to_json()
    assert data == {
        "repositories": [{"url": str(repo.path.resolve()), "name": "demo", "ref": "HEAD"}],
        "analyzers": ["jobslow", "jobcount"], "ref": None, "options": {"jobslow": {"seconds": 0.01}},
    }
    restored = Submission.from_json(data, job_manager, SourcePolicy())
    assert restored == made
    assert restored.plan == ["jobcount", "jobslow"]
    assert restored.steps[1].options.seconds == 0.01  # type: ignore[attr-defined]
    assert restored.to_json() == data


def test_bad_input_names_its_field(job_manager: Any, make_repo: Callable[..., Any], tmp_path: Any) -> None:
    repo = make_repo(files={"a.txt": "a\n"})
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"analyzers": ["jobcount", "nope"]}, "analyzers.1", "unknown analyzer 'nope'"),
        ({"options": {"nope": {}}}, "options.nope", "options given for unknown analyzer 'nope'"),
        ({"analyzers": ["jobcount"], "options": {"jobslow": {}}}, "options.jobslow", "which is not selected"),
        ({"options": {"jobslow": {"colour": 1}}}, "options.jobslow", "invalid options for analyzer 'jobslow'"),
    ]
    for arguments, field, message in cases:
        with pytest.raises(SubmissionError, match=message) as raised:
            Submission.create(job_manager, [str(repo.path)], **arguments)
        assert raised.value.field == field
    with pytest.raises(SubmissionError, match="does not exist") as missing:
        Submission.create(job_manager, [str(repo.path), {"path": str(tmp_path / "missing")}])
    assert missing.value.field == "repositories.1.path"


@sqlite_only
def test_a_request_row_of_the_old_format_still_runs(runtime: JobRuntime, store: Any, make_repo: Callable[..., Any]) -> None:
    """Rows written before submissions existed: no name, the ref in the row's column, options as given."""
    repo = make_repo(files={"a.txt": "a\n", "b.txt": "bb\n"})
    request, _ = store.create_request([{"url": str(repo.path)}], analyzers=["jobslow"], ref="HEAD",
                                      options={"jobslow": {"seconds": 0.01}}, source="cli")
    with unit_of_work(store.engine) as session:  # exactly what an older version stored
        session.execute(update(AnalysisRequest).where(AnalysisRequest.id == request["id"])
                        .values(repositories=[{"url": str(repo.path)}]))

    result = runtime.run_request(int(request["id"]))

    assert result.status == "succeeded"
    row = request_row(store, int(request["id"]))
    assert row["status"] == "succeeded" and row["repository_analyses"][0]["commit"] == repo.head
    assert row["repositories"] == [{"url": str(repo.path)}]


@sqlite_only
def test_a_job_reads_its_row_once_and_parses_nothing_again(
    runtime: JobRuntime, store: Any, make_request: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from coe_framework.repository import sources as repos
    from coe_framework.analysis import runner
    from coe_framework.analysis import submission as submission_module
    from coe_framework.plugin.contract import Analyzer

    counts = {"get_analysis": 0, "parse_source": 0, "plan": 0, "parse_options": 0}
    real_get, real_parse, real_plan = store.get_analysis, repos.parse_source, runner.plan
    real_options = Analyzer.parse_options.__func__  # type: ignore[attr-defined]

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)
        return call

    request_id = make_request(analyzers=("jobcount", "jobslow"), options={"jobslow": {"seconds": 0.01}})
    monkeypatch.setattr(store, "get_analysis", counted("get_analysis", real_get))
    for module in (repos, submission_module):
        monkeypatch.setattr(module, "parse_source", counted("parse_source", real_parse))
    for module in (runner, submission_module):
        monkeypatch.setattr(module, "plan", counted("plan", real_plan))
    monkeypatch.setattr(Analyzer, "parse_options", classmethod(counted("parse_options", real_options)))

    assert runtime.run_request(request_id).status == "succeeded"

    # The row is read once; its submission is restored once (the plan resolved against this
    # process's plugins, each stored option restored into its model) and never parsed again.
    assert counts == {"get_analysis": 1, "parse_source": 0, "plan": 1, "parse_options": 2}


def test_coe_analyze_validates_once(job_manager: Any, make_repo: Callable[..., Any], monkeypatch: pytest.MonkeyPatch) -> None:
    from coe_framework.repository import sources as repos
    from coe_framework.analysis import runner
    from coe_framework.analysis import submission as submission_module

    counts = {"parse_source": 0, "plan": 0}
    real_parse, real_plan = repos.parse_source, runner.plan

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)
        return call

    for module in (repos, submission_module):
        monkeypatch.setattr(module, "parse_source", counted("parse_source", real_parse))
    for module in (runner, submission_module):
        monkeypatch.setattr(module, "plan", counted("plan", real_plan))
    first, second = make_repo("one", files={"a.txt": "a\n"}), make_repo("two", files={"b.txt": "b\n"})

    report = service.analyze_repositories(job_manager, [str(first.path), str(second.path)], analyzers=["jobcount"], store=None)

    assert report.status == "succeeded"
    assert counts == {"parse_source": 2, "plan": 1}  # one parse per source, one plan for both repositories
