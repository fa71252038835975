"""Fixtures for the web layer: a migrated database, the app, tokens, and a client
that checks every response against the app's own OpenAPI document."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import jsonschema
import pytest
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from coe_framework.db.engine import unit_of_work
from tests import mariadb
from tests.postgres import NO_SERVER, base_url, empty_tables, postgres_schema
from coe_framework.db.models import (
    AnalysisRequest,
    AnalysisResult,
    Repository,
    RepositoryAnalysis,
    utcnow,
)

SPEC_URI = "urn:coe-openapi"


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class SpecChecker:
    """Validates a response's status, media type and body against the OpenAPI document."""

    def __init__(self, app: Any, spec: dict[str, Any]):
        self.app = app
        self.spec = spec
        self.registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT202012))

    def template(self, method: str, path: str) -> str | None:
        adapter = self.app.url_map.bind("localhost")
        try:
            rule, _args = adapter.match(urlsplit(path).path, method=method, return_rule=True)
        except Exception:  # noqa: BLE001 - unmatched routes (404/405) are checked generically
            return None
        import re

        return re.sub(r"<(?:[^<:]+:)?([^>]+)>", r"{\1}", rule.rule)

    def check(self, method: str, path: str, response: Any) -> None:
        status = str(response.status_code)
        template = self.template(method, path)
        if template is None or template not in self.spec["paths"]:
            assert response.status_code in (404, 405), f"{method} {path} is not in the OpenAPI document"
            assert response.mimetype == "application/problem+json"
            self._validate(response.get_json(), "#/components/schemas/Problem")
            return
        operation = self.spec["paths"][template].get(method.lower())
        assert operation is not None, f"{method} {template} is not documented"
        responses = operation["responses"]
        assert status in responses, f"{method} {template} answered {status}, documented: {sorted(responses)}"
        content = responses[status].get("content")
        if not content:
            assert not response.data or response.status_code == 204, f"{status} has a body but documents none"
            return
        assert response.mimetype in content, f"{method} {template} {status}: {response.mimetype} not in {list(content)}"
        if response.mimetype.endswith("json"):
            body = json.loads(decoded_body(response))
            ref = f"{SPEC_URI}#/" + _pointer("paths", template, method.lower(), "responses", status, "content", response.mimetype, "schema")
            self._validate(body, ref)

    def _validate(self, body: Any, ref: str) -> None:
        if ref.startswith("#"):
            ref = SPEC_URI + ref
        validator = jsonschema.Draft202012Validator({"$ref": ref}, registry=self.registry)
        errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
        assert not errors, f"response does not match the OpenAPI schema: {errors[0].message} at {list(errors[0].path)}"


def decoded_body(response: Any) -> bytes:
    """The response body as sent before any Content-Encoding."""
    from flask_compress.flask_compress import _uncompress_data  # the library's own inverse, kept for tests

    encoding = response.headers.get("Content-Encoding")
    return _uncompress_data(response.data, encoding) if encoding else response.data


class CheckedClient:
    """A Flask test client whose every response is validated against the spec."""

    def __init__(self, client: Any, checker: SpecChecker, token: str | None = None):
        self.client = client
        self.checker = checker
        self.token = token

    def as_token(self, token: str | None) -> "CheckedClient":
        return CheckedClient(self.client, self.checker, token)

    def open(self, method: str, path: str, *, headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        headers = dict(headers or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        if method != "HEAD":
            self.checker.check(method, path, response)
        assert b"Traceback" not in decoded_body(response)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.open("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.open("POST", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.open("PUT", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> Any:
        return self.open("PATCH", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.open("DELETE", path, **kwargs)


@dataclass
class Recorder:
    """Stands in for the job executor: remembers what was submitted and cancelled."""

    submitted: list[int] = field(default_factory=list)
    cancelled: list[int] = field(default_factory=list)


@dataclass
class Web:
    """The app under test and what tests need around it."""

    app: Any
    client: CheckedClient
    tokens: dict[str, str]
    jobs: Recorder
    flows_dir: Path

    @property
    def coe(self) -> Any:
        return self.app.extensions["coe"]

    @property
    def engine(self) -> Any:
        return self.coe.engine

    def as_(self, who: str | None) -> CheckedClient:
        return self.client.as_token(self.tokens[who] if who else None)


_template: dict[str, Path] = {}
_spec_cache: dict[str, dict[str, Any]] = {}


def migrate(url: str) -> None:
    """Migrate ``url``; a SQLite file is copied from one migrated template per test run (fast)."""
    import shutil
    import tempfile

    from sqlalchemy.engine import make_url

    from coe_framework.db.engine import get_engine
    from coe_migrate.migrate import upgrade

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        upgrade(get_engine(url))
        return
    if "sqlite" not in _template:
        folder = Path(tempfile.mkdtemp(prefix="coe-web-template-"))
        template = folder / "template.sqlite3"
        engine = get_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        _template["sqlite"] = template
    shutil.copyfile(_template["sqlite"], parsed.database)


def issue(engine: Any, label: str, scopes: list[str], **kwargs: Any) -> tuple[str, int]:
    from coe_webapp.tokens import issue_token

    with unit_of_work(engine) as session:
        issued = issue_token(session, label=label, scopes=scopes, **kwargs)
        return issued.token, issued.session.id


def build_web(url: str, tmp_path: Path, **overrides: Any) -> Web:
    from coe_webapp import WebSettings, create_app

    settings = dict(
        database_url=url,
        flows_dir=str(tmp_path / "flows"),
        api_log_interval=3600.0,  # tests flush explicitly
        events_poll_seconds=0.01,
        events_max_seconds=0.3,
        check_migrations=False,  # the database was just migrated; test_startup covers the check
        list_cache_seconds=0.0,  # listings always fresh; the micro-cache has its own test
    )
    settings.update(overrides)
    app = create_app(WebSettings.from_env(**settings))
    app.testing = True
    recorder = Recorder()
    coe = app.extensions["coe"]
    coe.submit = recorder.submitted.append
    coe.cancel = recorder.cancelled.append
    if "checker" not in _spec_cache:  # the document depends on the code only
        _spec_cache["checker"] = SpecChecker(app, app.test_client().get("/openapi.json").get_json())  # type: ignore[assignment]
    checker: SpecChecker = _spec_cache["checker"]  # type: ignore[assignment]
    checker.app = app
    tokens = {scope: issue(coe.engine, f"{scope} token", [scope])[0] for scope in ("read", "write", "admin")}
    client = CheckedClient(app.test_client(), checker)
    return Web(app, client, tokens, recorder, tmp_path / "flows")


@pytest.fixture(scope="session")
def _postgres_schema() -> Any:
    """One migrated PostgreSQL schema for the web tests (emptied before each test), or None."""
    if base_url() is None:
        yield None
        return
    with postgres_schema("coe_web", migrate=True) as url:
        yield url


@pytest.fixture(scope="session")
def _mariadb_database() -> Any:
    """One migrated MariaDB database for the web tests (emptied before each test), or None."""
    if mariadb.base_url() is None:
        yield None
        return
    with mariadb.mariadb_database("coe_web", migrate=True) as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def web_database_url(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A migrated, empty database: a SQLite file, PostgreSQL when COE_TEST_DATABASE_URL is set,
    MariaDB when COE_TEST_MARIADB_URL is set.

    PostgreSQL and MariaDB reuse one migrated schema (database), emptied per test, to keep the suite fast.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
        migrate(url)
    elif request.param == "mariadb":
        url = request.getfixturevalue("_mariadb_database")
        if url is None:
            pytest.skip(mariadb.NO_SERVER)
        mariadb.empty_tables(url, keep=("schema_history", "alembic_version"))
    else:
        url = request.getfixturevalue("_postgres_schema")
        if url is None:
            pytest.skip(NO_SERVER)
        empty_tables(url, keep=("schema_history", "alembic_version"))
    monkeypatch.setenv("COE_DATABASE_URL", url)
    from coe_framework.analysis.process_store import forget_process_caches

    forget_process_caches()  # the tables were emptied (ids start again): nothing cached of them holds
    return url


@pytest.fixture
def web(web_database_url: str, tmp_path: Path) -> Any:
    """A migrated database (SQLite, and PostgreSQL when configured) and an app on it."""
    built = build_web(web_database_url, tmp_path)
    yield built
    built.coe.shutdown()
    built.engine.dispose()


@pytest.fixture
def sqlite_web(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app on SQLite only: for checks that end before any database work (input validation)."""
    url = f"sqlite:///{tmp_path / 'web.sqlite3'}"
    migrate(url)
    monkeypatch.setenv("COE_DATABASE_URL", url)
    built = build_web(url, tmp_path)
    yield built
    built.coe.shutdown()
    built.engine.dispose()


@pytest.fixture
def seed(web: Web) -> Callable[..., int]:
    """Store an analysis directly: ``seed(status, results={analyzer: data}, url=...)``; returns its id."""
    counter = iter(range(1, 10_000))

    def factory(status: str = "succeeded", results: dict[str, Any] | None = None, url: str | None = None, name: str = "demo") -> int:
        number = next(counter)
        url = url or f"https://example.org/{name}-{number}.git"
        with unit_of_work(web.engine) as session:
            repo = session.query(Repository).filter_by(url=url).one_or_none()
            if repo is None:
                repo = Repository(url=url, name=name)
                session.add(repo)
                session.flush()
            finished = status in ("succeeded", "partial", "failed", "cancelled")
            request = AnalysisRequest(
                repositories=[{"url": url, "name": name, "ref": None}], status=status, source="api",
                progress=1.0 if finished else 0.25, finished_at=utcnow() if finished else None,
            )
            session.add(request)
            session.flush()
            ra = RepositoryAnalysis(request_id=request.id, repository_id=repo.id, commit_sha=f"{number:040x}", status=status, ref="main")
            session.add(ra)
            session.flush()
            for analyzer, data in (results if results is not None else {"git": {"commits": number}}).items():
                session.add(AnalysisResult(
                    repository_analysis_id=ra.id, analyzer=analyzer, analyzer_version="1", options_hash="x",
                    status="succeeded", data=data, cache_key=f"{analyzer}-{number}", duration=0.1,
                ))
            return request.id

    return factory


def expires(days: int) -> timedelta:
    return timedelta(days=days)
