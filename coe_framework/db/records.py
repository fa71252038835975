"""What the store is given to write: plain records, built by the service before the unit of work.

The persistence layer knows nothing of plugins, the runner or repository
preparation; the service turns a repository's outcome into an
:class:`OutcomeRecord` (results with their normalized rows, the measures
and the dashboard's chart aggregates, :mod:`coe_framework.analysis.normalize`)
and the store writes exactly that, in one transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence


class RepositorySourceLike(Protocol):
    """A repository's credential-free URL and name."""

    @property
    def url(self) -> str: ...

    @property
    def name(self) -> str: ...


class PinnedRepository(Protocol):
    """A repository pinned to one commit, as :meth:`Store.start_repository_analysis` records it."""

    @property
    def source(self) -> RepositorySourceLike: ...

    @property
    def default_branch(self) -> str | None: ...

    @property
    def ref(self) -> str | None: ...

    @property
    def commit(self) -> str: ...

    @property
    def commit_date(self) -> str | None: ...

    @property
    def author(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass(frozen=True)
class ResultRecord:
    """One analyzer's result as stored, with the normalized rows it fills (table name -> rows)."""

    analyzer: str
    version: str
    options_hash: str
    status: str
    data: Any = None
    error: str | None = None
    duration: float | None = None
    cache_key: str | None = None
    cached: bool = False
    stats: Mapping[str, Any] | None = None
    rows: Mapping[str, Sequence[Mapping[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class OutcomeRecord:
    """Everything stored for one repository analysis when its analyzers are done.

    ``measures`` maps a measure key to ``(analyzer, value)``;
    ``chart_aggregates`` holds the dashboard's aggregates by name (None when
    they could not be computed: the dashboard computes them on first view).
    """

    status: str
    file_count: int | None
    duration: float | None
    results: Sequence[ResultRecord]
    measures: Mapping[str, tuple[str, float]] = field(default_factory=dict)
    chart_aggregates: Mapping[str, Any] | None = None

    @property
    def shown(self) -> bool:
        """True when the analysis' results are shown (succeeded or partial): measures and aggregates are written then."""
        return self.status in ("succeeded", "partial")
