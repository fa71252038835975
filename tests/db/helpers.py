"""Builders of stored analyses without running analyzers."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from coe_framework.analysis.normalize import save_outcome
from coe_framework.plugin.contract import AnalyzerOutcome
from coe_framework.plugin.context import RepositoryInfo
from coe_framework.db.store import Store
from coe_framework.repository.sources import PreparedRepository, RepositorySource
from coe_framework.analysis.runner import RepositoryOutcome


def prepared(url: str = "https://example.com/org/app.git", name: str = "app", commit: str = "a" * 40) -> PreparedRepository:
    source = RepositorySource("remote", url, name)
    return PreparedRepository(source, Path("/nonexistent"), "main", commit, "main", "2024-01-01T10:00:00+02:00", "Ada <ada@example.com>", "first")


def outcome(prep: PreparedRepository, results: dict[str, dict[str, Any] | None], status: str = "succeeded") -> RepositoryOutcome:
    outcomes = {
        name: AnalyzerOutcome(name, "1", "opts", "succeeded" if data is not None else "failed", data=data,
                              error=None if data is not None else "boom", duration=0.5, cache_key=f"{prep.commit}-{name}")
        for name, data in results.items()
    }
    info = RepositoryInfo(prep.source.url, prep.source.name, "/nonexistent")
    return RepositoryOutcome(info, prep.commit, status, outcomes, 1.25, 3)


def stored_analysis(store: Store, *, url: str = "https://example.com/org/app.git", commit: str = "a" * 40,
                    results: dict[str, dict[str, Any] | None] | None = None, manager: Any = None, status: str = "succeeded") -> int:
    """A finished analysis of one repository; returns its id."""
    request, _ = store.create_request([{"url": url, "ref": "main", "name": "app"}], analyzers=["count"], status="running")
    prep = prepared(url, commit=commit)
    ra_id = store.start_repository_analysis(request["id"], prep)
    save_outcome(store, ra_id, outcome(prep, results or {"count": {"files": 3}}, status), manager)
    store.update_request(request["id"], status=status, progress=1.0)
    return int(request["id"])
