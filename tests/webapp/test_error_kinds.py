"""Errors leave the web app as the problem their kind maps to, with the message the CLI prints."""
from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner

from coe_framework.cli.main import cli
from coe_framework.db.pagination import INVALID_CURSOR, PageError
from coe_framework.errors import KINDS, BadInput, Conflict, NotFound, Unavailable

TYPE_BASE = "https://coe.invalid/problems/"


@pytest.mark.parametrize("kind", [BadInput, NotFound, Conflict, Unavailable])
def test_each_kind_is_its_one_problem(sqlite_web: Any, kind: type) -> None:
    app = sqlite_web.app
    with app.test_request_context("/api/v1/anything"):
        response = app.handle_user_exception(kind("what went wrong"))
        body = response.get_json()
    mapped = KINDS[kind]
    assert response.status_code == mapped.status and response.mimetype == "application/problem+json"
    assert body["type"] == TYPE_BASE + mapped.problem_type and body["status"] == mapped.status
    assert body["detail"] == "what went wrong" and body["instance"] == "/api/v1/anything"
    assert ("Retry-After" in response.headers) is (kind is Unavailable)


def test_a_bad_input_naming_a_field_lists_it(sqlite_web: Any) -> None:
    app = sqlite_web.app
    with app.test_request_context("/api/v1/analyses", method="GET"):
        body = app.handle_user_exception(PageError(INVALID_CURSOR, field="cursor")).get_json()
    assert body["status"] == 422 and body["detail"] == "invalid fields: cursor"
    assert body["errors"] == [{"location": "query", "field": "cursor", "message": INVALID_CURSOR}]


@pytest.mark.parametrize(("command", "path"), [
    (["analyses", "list"], "/api/v1/analyses"),
    (["repositories", "list"], "/api/v1/repositories"),
    (["session", "list"], "/api/v1/sessions"),
])
@pytest.mark.parametrize("cursor", ["not-a-cursor", "%%%", "eyJhZnRlciI6IC0xfQ"])  # the last: {"after": -1}
def test_a_bad_cursor_gets_the_same_message_on_the_cli_and_the_api(web: Any, command: list[str], path: str, cursor: str) -> None:
    result = CliRunner().invoke(cli, [*command, "--cursor", cursor])
    assert result.exit_code == KINDS[BadInput].exit_code
    assert result.output.strip() == f"coe: error: {INVALID_CURSOR}"
    response = web.as_("admin").get(path, query_string={"cursor": cursor})
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["detail"] == "invalid fields: cursor"
    assert [e["message"] for e in problem["errors"] if e["field"] == "cursor"] == [INVALID_CURSOR]
