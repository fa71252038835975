"""Property-based conformance: schemathesis drives every operation from ``/openapi.json``.

Bounded (a few examples per operation, in-process WSGI, one migrated SQLite
database for the module) and checked for no server error and responses that
match the document: status codes, media types, headers and bodies.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is in the test extra")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.checks import not_a_server_error  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def conformance_app(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from .conftest import build_web, migrate

    folder = tmp_path_factory.mktemp("schemathesis")
    url = f"sqlite:///{folder / 'api.sqlite3'}"
    migrate(url)
    web = build_web(url, Path(folder), events_max_seconds=0.05)
    yield web
    web.coe.shutdown()


def test_api_conforms_to_its_openapi_document(conformance_app: Any) -> None:
    api = schemathesis.openapi.from_wsgi("/openapi.json", conformance_app.app)
    # The WSGI transport hands bodies over as sent, so ask for them uncompressed (a real HTTP client decodes them).
    headers = {"Authorization": f"Bearer {conformance_app.tokens['admin']}", "Accept-Encoding": "identity"}
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) >= 25
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True, database=None)
        def exercise(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=CHECKS)

        exercise()
    conformance_app.coe.api_log.flush()
    assert conformance_app.coe.api_log.written >= 2 * len(operations)  # every operation was really called
