"""Cross-repository correlation: what two repositories share and how alike they are.

For every pair of repositories in one analysis:

* **shared dependencies**: the intersection of their direct dependencies by
  ecosystem and normalized name (PyPI names canonicalized per PEP 503,
  case-insensitive ecosystems lower-cased), each with the versions every
  side uses and whether they drift apart;
* **shared contributors**: the intersection of the two complete author
  sets (the git result's ``contributors``, never the ``top_authors`` list),
  keyed by e-mail address as mapped by each repository's own .mailmap at the
  analysed commit, compared case-insensitively; the same figure as
  ``git log --use-mailmap --format=%aE`` lower-cased, deduplicated and
  intersected;
* **drift** of a shared dependency: true when no single version satisfies
  both sides (:mod:`.version_drift`), false when one does, None when a side
  does not say which versions it accepts;
* **scores** in [0, 1]: the Jaccard index of languages, of frameworks, of
  dependencies and of contributors; ``stack`` is the mean of the first
  three; ``overall`` is the weighted mean (:data:`WEIGHTS`) of the four.
  The **contributor score** is ``|A & B| / |A | B|`` over the complete
  author e-mail sets ``A`` and ``B`` (people, not commits: a one-commit
  author weighs as much as a maintainer).

A component is only scored when both repositories had the analyzer that
feeds it and at least one of them has something in it; an unscored
component is ``None`` and is left out of the means (whose weights are
renormalized), so a failed analyzer never reads as "nothing in common".
Everything here is a pure function of the results.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, Mapping, Sequence

from packaging.utils import canonicalize_name

from . import result_views as views
from coe_framework.outputs import version_drift

#: Weights of the overall score.
WEIGHTS = {"languages": 0.2, "frameworks": 0.2, "dependencies": 0.35, "contributors": 0.25}
STACK_COMPONENTS = ("languages", "frameworks", "dependencies")
#: Ecosystems whose package names are case-insensitive.
CASE_INSENSITIVE_ECOSYSTEMS = frozenset({"nuget", "composer", "maven", "gem", "pub", "hex"})
#: Which analyzer feeds which component.
SOURCES = {"languages": views.TECHSPEC, "frameworks": views.TECHSPEC, "dependencies": views.TECHSPEC, "contributors": views.GIT}


def normalize_dependency(ecosystem: str, name: str) -> tuple[str, str]:
    """The key two spellings of one package share: ``(ecosystem, name)``."""
    eco = ecosystem.strip().lower()
    clean = name.strip()
    if eco == "pypi":
        return eco, canonicalize_name(clean)
    if eco in CASE_INSENSITIVE_ECOSYSTEMS:
        return eco, clean.lower()
    return eco, clean


@dataclass(frozen=True)
class RepositoryFacts:
    """What correlation needs from one repository's results."""

    name: str
    url: str
    available: frozenset[str]
    languages: frozenset[str]
    frameworks: frozenset[str]
    #: (ecosystem, normalized name) -> {"name": as declared, "versions": sorted versions or constraints}
    dependencies: Mapping[tuple[str, str], Mapping[str, Any]]
    #: lower-cased e-mail -> {"name", "email", "commits"}, every author of the history
    contributors: Mapping[str, Mapping[str, Any]]


def facts_from_results(name: str, url: str, results: Mapping[str, Any]) -> RepositoryFacts:
    """Extract :class:`RepositoryFacts` from ``{analyzer: payload}``."""
    deps: dict[tuple[str, str], dict[str, Any]] = {}
    for dep in views.direct_dependencies(results):
        key = normalize_dependency(str(dep["ecosystem"]), str(dep["name"]))
        entry = deps.setdefault(key, {"name": str(dep["name"]), "versions": set()})
        used = dep.get("version") or dep.get("constraint")
        if used:
            entry["versions"].add(str(used))
    contributors = {entry["email"]: entry for entry in views.contributors(results)}
    return RepositoryFacts(
        name=name,
        url=url,
        available=frozenset(a for a in (views.GIT, views.TECHSPEC) if results.get(a)),
        languages=frozenset(views.languages(results)),
        frameworks=frozenset(str(f["name"]).strip().lower() for f in views.frameworks(results)),
        dependencies={k: {"name": v["name"], "versions": sorted(v["versions"])} for k, v in deps.items()},
        contributors=contributors,
    )


def jaccard(a: set[Any] | frozenset[Any], b: set[Any] | frozenset[Any]) -> float | None:
    """|a ∩ b| / |a ∪ b|; None when both are empty (nothing to compare)."""
    union = len(a | b)
    return len(a & b) / union if union else None


def weighted_mean(scores: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Mean of the defined scores, weights renormalized over them; None if none is defined."""
    defined = {k: v for k, v in scores.items() if v is not None and weights.get(k, 0) > 0}
    total = sum(weights[k] for k in defined)
    return sum(v * weights[k] for k, v in defined.items()) / total if total else None


@dataclass
class PairCorrelation:
    """The correlation of repositories ``a`` and ``b``."""

    a: str
    b: str
    shared_dependencies: list[dict[str, Any]] = field(default_factory=list)
    shared_contributors: list[dict[str, Any]] = field(default_factory=list)
    scores: dict[str, float | None] = field(default_factory=dict)

    @property
    def similarity(self) -> float | None:
        """The overall score."""
        return self.scores.get("overall")

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "shared_dependencies": self.shared_dependencies,
            "shared_contributors": self.shared_contributors,
            "scores": self.scores,
            "similarity": self.similarity,
        }


def _shared_dependencies(a: RepositoryFacts, b: RepositoryFacts) -> list[dict[str, Any]]:
    shared = []
    for key in sorted(set(a.dependencies) & set(b.dependencies)):
        versions_a = a.dependencies[key]["versions"]
        versions_b = b.dependencies[key]["versions"]
        shared.append({
            "ecosystem": key[0],
            "name": key[1],
            "versions": {"a": list(versions_a), "b": list(versions_b)},
            "drift": version_drift.drift(key[0], versions_a, versions_b),
        })
    return shared


def _shared_contributors(a: RepositoryFacts, b: RepositoryFacts) -> list[dict[str, Any]]:
    return [
        {
            "email": email,
            "name": a.contributors[email].get("name") or b.contributors[email].get("name"),
            "commits": {"a": a.contributors[email]["commits"], "b": b.contributors[email]["commits"]},
        }
        for email in sorted(set(a.contributors) & set(b.contributors))
    ]


def _score(component: str, a: RepositoryFacts, b: RepositoryFacts) -> float | None:
    if SOURCES[component] not in a.available or SOURCES[component] not in b.available:
        return None
    return jaccard(set(getattr(a, component)), set(getattr(b, component)))


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def correlate_pair(a: RepositoryFacts, b: RepositoryFacts) -> PairCorrelation:
    """Shared dependencies and contributors, and the similarity scores of ``a`` and ``b``.

    Scores are rounded to four decimals after the means are taken.
    """
    exact: dict[str, float | None] = {name: _score(name, a, b) for name in WEIGHTS}
    stack = weighted_mean({k: exact[k] for k in STACK_COMPONENTS}, dict.fromkeys(STACK_COMPONENTS, 1.0))
    scores = {name: _rounded(value) for name, value in exact.items()}
    scores["stack"] = _rounded(stack)
    scores["overall"] = _rounded(weighted_mean(exact, WEIGHTS))
    return PairCorrelation(a.name, b.name, _shared_dependencies(a, b), _shared_contributors(a, b), scores)


def correlate(repositories: Sequence[RepositoryFacts]) -> list[tuple[int, int, PairCorrelation]]:
    """Every pair ``(i, j, correlation)`` with ``i < j`` (indexes into ``repositories``)."""
    return [(i, j, correlate_pair(repositories[i], repositories[j])) for i, j in combinations(range(len(repositories)), 2)]
