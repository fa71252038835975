"""The ``measures`` table: written with the results, read as trends.

Rows are written by :func:`coe_framework.db.measure_rows.write_measure_values`
inside the unit of work that stores a repository analysis' results
(``Store.save_repository_outcome``), so an analysis has its measures exactly
when it has its results. A trend is one
repository's measure in commit-date order; pages are keyset pages over
(commit date, id) whose cursor is the store's opaque id cursor.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ..db.models import MeasureValue, RepositoryAnalysis
from ..db.pagination import INVALID_CURSOR, Page, PageError, decode_cursor, encode_cursor, page_size
from ..db.store import NotFound, iso

#: Most points in one page of a trend.
MAX_POINTS = 1000


def point_dict(row: MeasureValue) -> dict[str, Any]:
    """One stored measure as the API and ``coe trend`` show it."""
    return {
        "id": row.id,
        "key": row.key,
        "value": row.value,
        "analyzer": row.analyzer,
        "commit": row.commit_sha,
        "commit_date": iso(row.commit_date),
        "analysis_id": row.request_id,
        "repository_analysis_id": row.repository_analysis_id,
    }


def trend_page(
    session: Session,
    repository_id: int,
    *,
    key: str | None = None,
    since: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
    newest_first: bool = True,
) -> Page:
    """One page of a repository's stored measures (one key, or all) in commit-date order.

    ``since`` keeps commits dated at or after it. A cursor that is not one of
    this repository's rows, or a bad limit, is a
    :class:`~coe_framework.db.pagination.PageError`.
    """
    size = page_size(limit, MAX_POINTS)
    query = select(MeasureValue).where(MeasureValue.repository_id == repository_id)
    if key is not None:
        query = query.where(MeasureValue.key == key)
    if since is not None:
        query = query.where(MeasureValue.commit_date >= since)
    after = decode_cursor(cursor)
    if after is not None:
        last = session.get(MeasureValue, after)
        if last is None or last.repository_id != repository_id:
            raise PageError(INVALID_CURSOR, field="cursor")
        ahead = (MeasureValue.commit_date < last.commit_date) if newest_first else (MeasureValue.commit_date > last.commit_date)
        tie = (MeasureValue.id < last.id) if newest_first else (MeasureValue.id > last.id)
        query = query.where(or_(ahead, and_(MeasureValue.commit_date == last.commit_date, tie)))
    order = (MeasureValue.commit_date.desc(), MeasureValue.id.desc()) if newest_first else (MeasureValue.commit_date, MeasureValue.id)
    rows = list(session.scalars(query.order_by(*order).limit(size + 1)))
    more = len(rows) > size
    rows = rows[:size]
    return Page([point_dict(r) for r in rows], encode_cursor(rows[-1].id) if more and rows else None)


def measures_of(session: Session, repository_analysis_id: int) -> dict[str, float]:
    """Every stored measure of one repository analysis, by key."""
    query = select(MeasureValue.key, MeasureValue.value).where(MeasureValue.repository_analysis_id == repository_analysis_id)
    return {key: value for key, value in session.execute(query)}


def commits_with_measures(session: Session, repository_id: int, commits: list[str]) -> set[str]:
    """Which of ``commits`` already have stored measures for the repository."""
    from ..db.engine import chunks

    found: set[str] = set()
    for chunk in chunks(sorted(set(commits))):
        query = select(MeasureValue.commit_sha).where(MeasureValue.repository_id == repository_id, MeasureValue.commit_sha.in_(chunk)).distinct()
        found.update(session.scalars(query))
    return found


def usable_analysis(
    session: Session,
    repository_id: int,
    analyzers: list[str],
    *,
    commit: str | None = None,
    before_id: int | None = None,
    other_than_commit: str | None = None,
) -> RepositoryAnalysis | None:
    """The newest finished analysis of a repository in which every one of ``analyzers`` succeeded.

    ``commit`` pins the commit; ``before_id`` and ``other_than_commit`` pick a
    baseline: analysed before that one, at another commit.
    """
    from ..db.models import AnalysisResult

    query = select(RepositoryAnalysis).where(
        RepositoryAnalysis.repository_id == repository_id, RepositoryAnalysis.status.in_(("succeeded", "partial"))
    )
    if commit is not None:
        query = query.where(RepositoryAnalysis.commit_sha == commit)
    if before_id is not None:
        query = query.where(RepositoryAnalysis.id < before_id)
    if other_than_commit is not None:
        query = query.where(RepositoryAnalysis.commit_sha != other_than_commit)
    for wanted in sorted(set(analyzers)):
        query = query.where(
            select(AnalysisResult.id)
            .where(AnalysisResult.repository_analysis_id == RepositoryAnalysis.id, AnalysisResult.analyzer == wanted,
                   AnalysisResult.status == "succeeded")
            .exists()
        )
    return session.scalars(query.order_by(RepositoryAnalysis.id.desc()).limit(1)).first()


def results_of(session: Session, repository_analysis_id: int, analyzers: list[str]) -> dict[str, dict[str, Any]]:
    """Succeeded payloads of ``analyzers`` in one repository analysis, by analyzer."""
    from ..db.models import AnalysisResult

    query = select(AnalysisResult.analyzer, AnalysisResult.data).where(
        AnalysisResult.repository_analysis_id == repository_analysis_id,
        AnalysisResult.status == "succeeded",
        AnalysisResult.analyzer.in_(sorted(set(analyzers))),
    )
    return {name: data for name, data in session.execute(query) if isinstance(data, dict)}


def stored_repository(store: Any, text: str) -> dict[str, Any]:
    """A stored repository named by id, URL or local path; :class:`~coe_framework.db.store.NotFound` when none is stored."""
    from ..repository.sources import SourceError, parse_source

    text = (text or "").strip()
    if text.isdigit() and len(text) <= 18:
        found = store.get_repository(int(text))
        if found is not None:
            return found
    found = store.find_repository(text)
    if found is None:
        try:
            found = store.find_repository(parse_source(text, resolve_hosts_policy()).url)
        except SourceError:
            found = None
    if found is None:
        raise NotFound(f"no stored repository is named '{text}' (give its id, URL or path; see the analyses listing)")
    return found


def resolve_hosts_policy() -> Any:
    """The CLI's source policy, without resolving host names: a lookup only compares URLs."""
    from ..repository.sources import SourcePolicy

    return SourcePolicy(resolve_hosts=False)
