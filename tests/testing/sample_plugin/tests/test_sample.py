"""The sample plugin's own tests, written with the CoE plugin test kit as an outside author would."""


def test_counts_extensions(run_analyzer, git_repo_factory):
    repo = git_repo_factory(files={"a.py": "", "b.py": "", "README": "hi\n"})
    assert run_analyzer("extensions", repo) == {"files": 3, "extensions": {".py": 2, "(none)": 1}}
    assert run_analyzer("extensions", repo, top=1)["extensions"] == {".py": 2}


def test_conforms(analyzer_conforms):
    analyzer_conforms("extensions")
