"""The sample plugin's own tests, written with the CoE plugin test kit as an outside author would."""
from coe_framework.outputs.rag.collect import build_documents


def test_counts_extensions(run_analyzer, git_repo_factory):
    repo = git_repo_factory(files={"a.py": "", "b.py": "", "README": "hi\n"})
    assert run_analyzer("extensions", repo) == {"files": 3, "extensions": {".py": 2, "(none)": 1}}
    assert run_analyzer("extensions", repo, top=1)["extensions"] == {".py": 2}


def test_conforms(analyzer_conforms):
    analyzer_conforms("extensions")


def test_rag_documents_and_embeddings(coe_env, run_analyzer, git_repo_factory):
    repo = git_repo_factory(files={"a.py": "", "b.md": ""})
    results = {"extensions": run_analyzer("extensions", repo)}
    repository = {"url": str(repo.path), "name": "demo", "commit": repo.head, "path": None}
    documents = build_documents(coe_env.manager, repository, results)
    assert documents.errors == {}
    mine = [d for d in documents.documents if d.plugin == "sample"]
    text = "demo tracks 2 files: 1 .md, 1 .py."
    assert [d.text for d in mine] == [text]
    assert mine[0].embedding == [34.0, 5 / 34], "the toy embedding: length and vowel share"
    assert mine[0].metadata["embedding_model"] == "sample-toy"


def test_through_the_api(api_client, git_repo_factory):
    repo = git_repo_factory(files={"a.py": "", "b.py": ""})
    listing = api_client.get("/api/v1/plugins").get_json()
    assert [a["name"] for a in listing["analyzers"]] == ["extensions"]
    created = api_client.post("/api/v1/analyses", json={"repositories": [{"url": str(repo.path)}], "analyzers": ["extensions"]})
    assert created.status_code == 202, created.get_json()
    results = api_client.get(created.headers["Location"] + "/results/extensions").get_json()
    assert results["status"] == "succeeded"
    assert results["results"][0]["data"] == {"files": 2, "extensions": {".py": 2}}
    assert api_client.get("/api/v1/ext/sample/hello").get_json() == {"hello": "from the sample plugin"}
