"""Which job failures are final: bad options fail at once; only an unavailable service is retried."""
from __future__ import annotations

from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from coe_framework.plugin.contract import OptionsError
from coe_framework.db.store import NotFound
from coe_framework.errors import Unavailable
from coe_framework.jobs.execution import is_final_error
from coe_framework.jobs.executors import JobRuntime
from coe_framework.repository.sources import SourceError

from .conftest import request_row


class _Seconds(BaseModel):
    seconds: float


def _options_error() -> OptionsError:
    try:
        _Seconds.model_validate({"seconds": "soon"})
    except ValidationError as exc:
        return OptionsError("jobslow", exc)
    raise AssertionError("the options validated")


def test_options_errors_and_other_bad_input_are_final() -> None:
    assert is_final_error(_options_error())
    assert is_final_error(SourceError("refused")) and is_final_error(NotFound("analysis 9 does not exist"))
    assert is_final_error(ValueError("bad input raised the old way"))
    assert not is_final_error(Unavailable("the database is down")) and not is_final_error(RuntimeError("flaky"))


def test_a_job_with_bad_options_fails_at_once(runtime: JobRuntime, make_request: Callable[..., int], store: Any) -> None:
    request_id = make_request(analyzers=("jobslow",), options={"jobslow": {"seconds": "soon"}}, max_attempts=3)

    result = runtime.run_request(request_id)

    assert result.status == "failed", result
    row = request_row(store, request_id)
    assert row["status"] == "failed" and row["attempts"] == 1
    assert "invalid options for analyzer 'jobslow'" in row["error"] and "\n" not in row["error"]
