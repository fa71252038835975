"""``/api/v1/export-formats`` and ``/api/v1/analyses/{id}/exports/{name}``: every registered
format over HTTP, a third party's included, rendered as the per-format routes render it."""
from __future__ import annotations

from typing import Any

from tests.outputs.export_plugin import AuthorsExportPlugin

AUTHORS = {"authors": [{"name": "Ada", "email": "ada@example.com", "commits": 3}, {"name": "Bob", "email": "bob@example.com", "commits": 1}]}


def test_a_plugins_format_is_listed_and_served(web: Any, seed: Any) -> None:
    web.coe.manager.register(AuthorsExportPlugin(), "authors")
    # The plugin arrived after the OpenAPI document was made (the checked client holds that document),
    # so its media type is not listed there: this test calls the app itself.
    client = web.app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {web.tokens['read']}"
    formats = {f["name"]: f for f in client.get("/api/v1/export-formats").get_json()["items"]}
    assert {"sarif", "markdown", "rag", "cyclonedx", "authors-csv"} <= set(formats)
    assert formats["authors-csv"]["plugin"] == "authors" and formats["authors-csv"]["media_type"] == "text/csv"
    assert formats["sarif"]["options"][0]["name"] == "threshold"
    analysis_id = seed("succeeded", results={"git": AUTHORS}, name="shop")
    response = client.get(f"/api/v1/analyses/{analysis_id}/exports/authors-csv?limit=1")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.get_data(as_text=True) == "repository,name,email,commits\nshop,Ada,ada@example.com,3\n"
    again = client.get(f"/api/v1/analyses/{analysis_id}/exports/authors-csv?limit=1", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert client.get(f"/api/v1/analyses/{analysis_id}/exports/authors-csv?limit=0").status_code == 422
    assert client.get(f"/api/v1/analyses/{analysis_id}/exports/authors-csv?colour=red").status_code == 422
    assert client.get(f"/api/v1/analyses/{analysis_id}/exports/nope").status_code == 404
    assert client.get("/api/v1/analyses/999999/exports/authors-csv").status_code == 404
    assert web.as_(None).get(f"/api/v1/analyses/{analysis_id}/exports/authors-csv").status_code == 401
    media = web.app.test_client().get("/openapi.json").get_json()["paths"]["/api/v1/analyses/{analysis_id}/exports/{name}"]["get"]["responses"]["200"]["content"]
    assert {"application/sarif+json", "text/markdown", "application/vnd.cyclonedx+json", "application/jsonlines"} <= set(media)


def test_the_per_format_routes_are_their_formats(web: Any, seed: Any) -> None:
    client = web.as_("read")
    analysis_id = seed("succeeded", results={"ast": {"files": {"a.py": {"symbols": [
        {"kind": "function", "name": "f", "line_start": 1, "line_end": 9, "complexity": 12}]}}}, "techspec": {"languages": {}, "dependencies": []}})
    base = f"/api/v1/analyses/{analysis_id}"
    for route, generic in [("sarif?threshold=5", "exports/sarif?threshold=5"), ("report", "exports/markdown"), ("sbom", "exports/cyclonedx")]:
        first, second = client.get(f"{base}/{route}"), client.get(f"{base}/{generic}")
        assert first.status_code == second.status_code == 200, (route, first.get_json(), second.get_json())
        assert first.get_data() == second.get_data() and first.headers["Content-Type"] == second.headers["Content-Type"]
        assert first.headers["ETag"] == second.headers["ETag"]
    assert client.get(f"{base}/exports/rag").status_code == 200  # no documents stored: an empty JSON Lines body
    assert client.get(f"{base}/exports/cyclonedx?repository=999999").status_code == 404
