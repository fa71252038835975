"""Correlation: exact shared sets and scores, by hand on result dicts and end to end."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coe_framework.outputs.correlate import correlate, correlate_pair, facts_from_results, jaccard, normalize_dependency, weighted_mean
from coe_framework.db.engine import unit_of_work
from coe_framework.outputs.insights import correlations_for


def _results(languages=(), frameworks=(), deps=(), authors=(), git=True, techspec=True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if techspec:
        results["techspec"] = {
            "languages": {name: {"bytes": 10, "files": 1, "share_bytes": 0.5, "share_files": 0.5} for name in languages},
            "frameworks": [{"name": name, "category": "framework", "evidence": []} for name in frameworks],
            "dependencies": [
                {"ecosystem": eco, "name": name, "constraint": constraint, "version": version, "scope": "runtime",
                 "manifest": "m", "license": None, "direct": direct}
                for eco, name, constraint, version, direct in deps
            ],
        }
    if git:
        results["git"] = {"authors": [{"name": n, "email": e, "commits": c} for n, e, c in authors]}
    return results


def test_jaccard_and_weighted_mean_edge_cases() -> None:
    assert jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
    assert jaccard(set(), set()) is None
    assert jaccard({1}, set()) == 0.0
    assert weighted_mean({"a": 1.0, "b": None}, {"a": 1.0, "b": 3.0}) == 1.0
    assert weighted_mean({"a": None}, {"a": 1.0}) is None


def test_dependency_names_are_normalized_per_ecosystem() -> None:
    assert normalize_dependency("pypi", "Flask_SQLAlchemy") == normalize_dependency("PyPI", "flask-sqlalchemy")
    assert normalize_dependency("maven", "Org.Foo:Bar") == ("maven", "org.foo:bar")
    # npm names are case-sensitive in the registry's history: kept as written.
    assert normalize_dependency("npm", "JSONStream") == ("npm", "JSONStream")


def test_pair_by_hand() -> None:
    a = facts_from_results("a", "https://x/a", _results(
        languages=("Python", "Shell"), frameworks=("Django", "pytest"),
        deps=[("pypi", "Django", ">=4", "4.2.1", True), ("pypi", "requests", "==2.31.0", "2.31.0", True),
              ("pypi", "urllib3", None, "2.0.0", False), ("pypi", "rich", None, None, True)],
        authors=[("Ada", "ADA@example.com", 3), ("Bob", "bob@example.com", 1)],
    ))
    b = facts_from_results("b", "https://x/b", _results(
        languages=("Python",), frameworks=("django",),
        deps=[("pypi", "django", ">=4", "4.2.1", True), ("pypi", "Requests", "==2.32.0", "2.32.0", True),
              ("pypi", "urllib3", None, "2.0.0", False), ("pypi", "Rich", ">=13", None, True), ("npm", "react", "^18", None, True)],
        authors=[("Ada L.", "ada@example.com", 5)],
    ))
    pair = correlate_pair(a, b)
    assert pair.shared_dependencies == [
        {"ecosystem": "pypi", "name": "django", "versions": {"a": ["4.2.1"], "b": ["4.2.1"]}, "drift": False},
        {"ecosystem": "pypi", "name": "requests", "versions": {"a": ["2.31.0"], "b": ["2.32.0"]}, "drift": True},
        # a does not say which rich it uses: drift unknown. urllib3 is transitive: left out.
        {"ecosystem": "pypi", "name": "rich", "versions": {"a": [], "b": [">=13"]}, "drift": None},
    ]
    assert pair.shared_contributors == [{"email": "ada@example.com", "name": "Ada", "commits": {"a": 3, "b": 5}}]
    assert pair.scores["languages"] == 0.5
    assert pair.scores["frameworks"] == 0.5  # {django, pytest} vs {django}
    assert pair.scores["dependencies"] == 0.75  # 3 shared of {django, requests, rich, react}
    assert pair.scores["contributors"] == 0.5
    assert pair.scores["stack"] == pytest.approx(round((0.5 + 0.5 + 0.75) / 3, 4))
    assert pair.scores["overall"] == round(0.2 * 0.5 + 0.2 * 0.5 + 0.35 * 0.75 + 0.25 * 0.5, 4)


def test_a_missing_analyzer_is_not_read_as_nothing_in_common() -> None:
    a = facts_from_results("a", "u", _results(languages=("Go",), authors=[("A", "a@x", 1)]))
    b = facts_from_results("b", "v", _results(languages=("Go",), git=False))
    pair = correlate_pair(a, b)
    assert pair.scores["contributors"] is None
    assert pair.scores["frameworks"] is None and pair.scores["dependencies"] is None  # empty on both sides
    assert pair.scores["languages"] == 1.0
    assert pair.scores["overall"] == 1.0 and pair.scores["stack"] == 1.0


def test_pairs_cover_every_combination_once() -> None:
    facts = [facts_from_results(n, n, _results(languages=(n,))) for n in "abcd"]
    assert [(i, j) for i, j, _ in correlate(facts)] == [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]


# Hand-derived from tests/rag/conftest.py:build_three.
EXPECTED = {
    ("alpha", "beta"): {
        "dependencies": [("pypi", "flask", ["3.0.0"], ["3.0.0"], False), ("pypi", "requests", ["2.31.0"], ["2.32.0"], True)],
        "contributors": [("ada@example.com", 1, 1)],
        # languages {Python} / {Python, JavaScript}; frameworks {flask} both; deps 2 of 4; people 1 of 3
        "scores": {"languages": 0.5, "frameworks": 1.0, "dependencies": 0.5, "contributors": 0.3333,
                   "stack": 0.6667, "overall": round(0.2 * 0.5 + 0.2 * 1.0 + 0.35 * 0.5 + 0.25 / 3, 4)},
    },
    ("beta", "gamma"): {
        "dependencies": [("npm", "left-pad", ["1.3.0"], ["1.3.0"], False)],
        "contributors": [("linus@example.com", 1, 1)],
        # languages 1 of 2; frameworks {flask} / {express}; deps 1 of 4; people 1 of 2
        "scores": {"languages": 0.5, "frameworks": 0.0, "dependencies": 0.25, "contributors": 0.5,
                   "stack": 0.25, "overall": round(0.2 * 0.5 + 0.35 * 0.25 + 0.25 * 0.5, 4)},
    },
    ("alpha", "gamma"): {
        "dependencies": [],
        "contributors": [],
        "scores": {"languages": 0.0, "frameworks": 0.0, "dependencies": 0.0, "contributors": 0.0, "stack": 0.0, "overall": 0.0},
    },
}


def test_three_generated_repositories_end_to_end(stored_three) -> None:
    with unit_of_work(stored_three.store.engine) as session:
        found = correlations_for(session, stored_three.analysis_id)
    by_pair = {(c["repository_a"]["name"], c["repository_b"]["name"]): c for c in found}
    assert set(by_pair) == set(EXPECTED)
    for pair, expected in EXPECTED.items():
        got = by_pair[pair]
        assert [(d["ecosystem"], d["name"], d["versions"]["a"], d["versions"]["b"], d["drift"]) for d in got["shared_dependencies"]] == expected["dependencies"], pair
        assert [(c["email"], c["commits"]["a"], c["commits"]["b"]) for c in got["shared_contributors"]] == expected["contributors"], pair
        assert got["scores"] == expected["scores"], pair
        assert got["similarity"] == expected["scores"]["overall"]
    # Most similar pair first.
    assert [(c["repository_a"]["name"], c["repository_b"]["name"]) for c in found] == [("alpha", "beta"), ("beta", "gamma"), ("alpha", "gamma")]


def _many_authors(repo, people: list[tuple[str, str]], mailmap: str | None = None) -> None:
    if mailmap:
        repo.commit({".mailmap": mailmap}, "mailmap")
    for number, person in enumerate(people):
        repo.commit({f"f{number}.txt": f"{number}\n"}, author=person)


@pytest.mark.coe_env(builtins=["git"])
def test_shared_contributors_come_from_complete_author_sets(make_repo, run_analyzer) -> None:
    """top_authors only shapes the listing: correlation sees every author,
    after each repository's own .mailmap, and equals what git itself says."""
    shared = [(f"Shared {i}", f"shared{i}@example.com") for i in range(4)]
    one = make_repo(name="one")
    _many_authors(one, [*(("Solo", f"solo{i}@one.test") for i in range(6)), *shared])
    two = make_repo(name="two")
    # In two, shared0 committed under an old address that its .mailmap maps to the shared one.
    _many_authors(two, [("Old Name", "OLD@legacy.test"), *shared[1:], ("Other", "other@two.test"), ("Other", "other@two.test")],
                  mailmap="Shared 0 <shared0@example.com> <old@legacy.test>\n")
    results = {}
    for name, repo in (("one", one), ("two", two)):
        results[name] = {"git": run_analyzer("git", repo, top_authors=1)}
        assert len(results[name]["git"]["authors"]) == 1
    pair = correlate_pair(facts_from_results("one", "u1", results["one"]), facts_from_results("two", "u2", results["two"]))
    emails = [c["email"] for c in pair.shared_contributors]
    assert emails == [f"shared{i}@example.com" for i in range(4)]

    def git_truth(repo) -> set[str]:
        return {line.lower() for line in repo.git("log", "--use-mailmap", "--format=%aE").split()}

    assert set(emails) == git_truth(one) & git_truth(two)
    # The contributor score is the Jaccard index of the two complete sets.
    union = git_truth(one) | git_truth(two)
    assert pair.scores["contributors"] == round(4 / len(union), 4)


def test_a_result_stored_before_the_complete_set_falls_back_to_its_authors() -> None:
    facts = facts_from_results("a", "u", _results(authors=[("Ada", "ada@x", 2), ("Ada L.", "ADA@x", 1)]))
    assert facts.contributors == {"ada@x": {"name": "Ada", "email": "ada@x", "commits": 3}}


@pytest.mark.parametrize(
    ("ecosystem", "a", "b", "drift"),
    [
        ("pypi", ["9.0.2"], [">=2.8.0,<10", ">=3"], False),  # a lock's version inside both ranges
        ("pypi", ["1.0"], [">=2"], True),
        ("pypi", [">1,<2"], ["!=1.5"], False),  # 1.0.0.1 satisfies both
        ("pypi", ["==1.*"], ["~=1.4"], False),
        ("pypi", ["1.0", "2.0"], ["1.0"], True),  # one side already needs two versions
        ("pypi", ["https://example.com/pkg.whl"], ["1.0"], None),  # a URL is no version rule
        ("npm", ["^1.2.0"], ["~1.4.1"], False),
        ("npm", ["^1.2.0"], ["^2"], True),
        ("npm", ["1.2.3"], [">=1.2.3 <2"], False),
        ("npm", ["workspace:*"], ["1.0.0"], None),
        ("cargo", ["1.0"], ["=1.4.2"], False),  # Cargo's bare 1.0 is ^1.0
        ("cargo", ["0.2"], ["0.3"], True),  # ^0.2 and ^0.3 share nothing
        ("maven", ["1.0"], ["1.0"], False),
        ("maven", ["1.0"], ["[1.0,2.0)"], True),  # no rules known: exact strings only
        ("pypi", [], ["1.0"], None),
    ],
)
def test_drift_means_no_single_version_satisfies_both_sides(ecosystem: str, a: list[str], b: list[str], drift: bool | None) -> None:
    from coe_framework.outputs.version_drift import drift as version_drift

    assert version_drift(ecosystem, a, b) is drift


@settings(max_examples=300, deadline=None)
@given(
    ecosystem=st.sampled_from(["pypi", "npm", "cargo", "maven"]),
    a=st.lists(st.text(alphabet="0123456789.^~<>=!*xX|, -vab+rc:@/[]()", max_size=16), min_size=1, max_size=3),
    b=st.lists(st.text(alphabet="0123456789.^~<>=!*xX|, -vab+rc:@/[]()", max_size=16), min_size=1, max_size=3),
)
def test_drift_of_hostile_version_text_is_an_answer_never_an_error(ecosystem: str, a: list[str], b: list[str]) -> None:
    from coe_framework.outputs.version_drift import drift as version_drift

    assert version_drift(ecosystem, a, b) in (True, False, None)
