"""One API submission, executed in this process: validated once at the API, restored once by the job."""
from __future__ import annotations

from typing import Any, Callable

import pytest

from coe_framework.analysis.process_store import open_store
from coe_framework.db.store import Store
from coe_framework.jobs.executors import JobRuntime
from coe_framework.queue.settings import JobSettings


@pytest.mark.parametrize("web_database_url", ["sqlite"], indirect=True)
def test_an_api_submission_is_parsed_once(web: Any, web_database_url: str, make_repo: Callable[..., Any],
                                          monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from coe_framework.repository import sources as repos
    from coe_framework.analysis import runner
    from coe_framework.analysis import submission as submission_module
    from coe_framework.plugin.contract import Analyzer

    repo = make_repo("api-once", files={"a.py": "x = 1\n"})
    monkeypatch.setenv("COE_ALLOWED_DIRS", str(tmp_path))
    counts = {"get_analysis": 0, "parse_source": 0, "plan": 0, "parse_options": 0}
    real_get, real_parse, real_plan = Store.get_analysis, repos.parse_source, runner.plan
    real_options = Analyzer.parse_options.__func__  # type: ignore[attr-defined]

    def counted(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)
        return call

    monkeypatch.setattr(Store, "get_analysis", counted("get_analysis", real_get))
    for module in (repos, submission_module):
        monkeypatch.setattr(module, "parse_source", counted("parse_source", real_parse))
    for module in (runner, submission_module):
        monkeypatch.setattr(module, "plan", counted("plan", real_plan))
    monkeypatch.setattr(Analyzer, "parse_options", classmethod(counted("parse_options", real_options)))

    response = web.as_("write").post("/api/v1/analyses", json={"repositories": [{"path": str(repo.path)}], "analyzers": ["git"]})
    assert response.status_code == 202
    at_entry = dict(counts)
    request_id = response.get_json()["id"]
    store = open_store(web_database_url, migrate=False)
    runtime = JobRuntime(JobSettings(executor="inline"), store, web.coe.manager)

    assert runtime.run_request(request_id).status == "succeeded"

    in_job = {name: counts[name] - at_entry[name] for name in counts}
    # The API parses the source, plans and validates options once (and reads back the row it created);
    # the job reads its row once and restores the submission from it: no source is parsed again.
    assert at_entry == {"get_analysis": 1, "parse_source": 1, "plan": 1, "parse_options": 1}
    assert in_job == {"get_analysis": 1, "parse_source": 0, "plan": 1, "parse_options": 1}
