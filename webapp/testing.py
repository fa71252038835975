"""pytest plugin (entry point ``pytest11``) of the web app: ``api_client`` for plugin authors.

The core's test kit (:mod:`coe_framework.testing`) builds ``coe_env``; this plugin
adds the web app on top of it, so the core's kit never imports the web app.

``api_client``  the app's Flask test client on ``coe_env`` (its database and
                plugins, routes they contribute included); every request carries
                ``Authorization: Bearer <token>`` of an admin token, whose clear
                text is ``api_client.token``; analyses submitted through it run
                before the request returns.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Sequence

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from coe_framework.testing.environment import CoeEnv


def web_client(env: "CoeEnv", scopes: Sequence[str] = ("admin",)) -> Any:
    """A test client of the web app on ``env``, authenticated with a fresh token of ``scopes``."""
    from coe_framework.db.engine import unit_of_work
    from coe_framework.jobs.executors import JobRuntime
    from coe_framework.queue.settings import JobSettings

    from .app import create_app
    from .tokens import issue_token

    env.engine  # noqa: B018 - migrate first; the app refuses an unmigrated database
    app = create_app(database_url=env.database_url, flows_dir=str(env.root / "flows"), rate_limit_enabled=False)
    app.config["TESTING"] = True
    web = app.extensions["coe"]

    def close() -> None:
        web.shutdown()
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()

    env.add_cleanup(close)
    # Analyses submitted through the API run before the request returns, on this environment.
    runtime = JobRuntime(JobSettings.from_env({"COE_EXECUTOR": "inline"}), store=env.store, manager=env.manager)
    web.submit = runtime.run_request
    web.cancel = runtime.queue.request_cancel
    with unit_of_work(env.engine, write=True) as session:
        issued = issue_token(session, label="coe test kit", scopes=list(scopes))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {issued.token}"
    client.token = issued.token  # type: ignore[attr-defined]
    return client


@pytest.fixture
def api_client(coe_env: "CoeEnv") -> Any:
    """The web app's test client on ``coe_env``'s database and plugins, authenticated (admin scope)."""
    return web_client(coe_env)
