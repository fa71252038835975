"""The watch scheduler on real local repositories: what a pass queues, leadership, failures and backoff."""
from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import pytest
from sqlalchemy import select, update

from coe_framework.db.engine import unit_of_work
from coe_framework.db.models import AnalysisRequest, WatchedRepository
from coe_framework.testing.gitrepo import GitRepo
from coe_framework.watch.leader import LeaderLease
from coe_framework.watch.registry import WatchRegistry, WatchSpec
from coe_framework.watch.scheduler import WatchScheduler
from coe_framework.watch.settings import WatchSettings

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
SETTINGS = WatchSettings(concurrency=4, check_timeout=20, max_backoff_seconds=4 * 3600)


class Clock:
    def __init__(self, now: datetime = T0):
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def add(engine: Any, repo: GitRepo, ref: str = "main", interval: int = 3600, now: datetime = T0) -> int:
    watch = WatchRegistry(engine).add(WatchSpec(str(repo.path), ref, interval, ["git"]), origin="cli", now=now)
    return int(watch["id"])


def row(engine: Any, watch_id: int) -> WatchedRepository:
    with unit_of_work(engine) as session:
        found = session.get(WatchedRepository, watch_id)
        session.expunge_all()
        return found


def requests(engine: Any) -> list[AnalysisRequest]:
    with unit_of_work(engine) as session:
        rows = list(session.scalars(select(AnalysisRequest).order_by(AnalysisRequest.id)))
        session.expunge_all()
        return rows


def finish(engine: Any, request_id: int, status: str = "succeeded") -> None:
    with unit_of_work(engine) as session:
        session.execute(update(AnalysisRequest).where(AnalysisRequest.id == request_id).values(status=status))


@pytest.fixture
def engine(store: Any) -> Any:
    return store.engine


def scheduler(engine: Any, clock: Clock, submitted: list[int] | None = None, owner: str = "this-test") -> WatchScheduler:
    return WatchScheduler(engine, SETTINGS, submit=(submitted.append if submitted is not None else None), clock=clock, owner=owner)


def test_a_moved_ref_is_queued_once_and_nothing_new_submits_nothing(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo)
    clock, submitted = Clock(), []
    first = scheduler(engine, clock, submitted).run_once()
    assert first is not None and first.checked == 1
    request_id = first.queued[watch_id]
    assert submitted == [request_id]
    queued = requests(engine)[-1]
    assert queued.repositories == [{"url": str(repo.path), "name": repo.path.name, "ref": repo.head}]
    assert queued.analyzers == ["git"] and queued.source == "watch-cli" and queued.status == "queued"
    state = row(engine, watch_id)
    assert state.last_commit == repo.head and state.last_outcome == "queued"
    assert state.next_due_at == T0 + timedelta(hours=1)

    # Not due yet: nothing is even checked.
    assert scheduler(engine, clock, submitted).run_once().checked == 0
    # Due, nothing new: checked, nothing submitted.
    finish(engine, request_id)
    clock.advance(hours=1)
    again = scheduler(engine, clock, submitted).run_once()
    assert again.checked == 1 and again.unchanged == [watch_id] and again.queued == {}
    assert submitted == [request_id] and len(requests(engine)) == 1
    assert row(engine, watch_id).last_outcome == "unchanged"

    # A new commit: queued, pinned to it.
    repo.commit({"a.py": "x = 2\n"})
    clock.advance(hours=1)
    third = scheduler(engine, clock, submitted).run_once()
    assert list(third.queued) == [watch_id]
    assert requests(engine)[-1].repositories[0]["ref"] == repo.head


def test_never_two_runs_of_one_watch(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo)
    clock, submitted = Clock(), []
    first = scheduler(engine, clock, submitted).run_once().queued[watch_id]
    repo.commit({"a.py": "x = 2\n"})
    clock.advance(hours=1)
    busy = scheduler(engine, clock, submitted).run_once()
    assert busy.busy == [watch_id] and busy.checked == 0 and submitted == [first]
    finish(engine, first, "failed")
    later = scheduler(engine, clock, submitted).run_once()
    assert list(later.queued) == [watch_id] and requests(engine)[-1].repositories[0]["ref"] == repo.head


def test_the_same_commit_analyzed_before_is_not_analyzed_again(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    first_id = add(engine, repo)
    clock = Clock()
    request_id = scheduler(engine, clock).run_once().queued[first_id]
    finish(engine, request_id)
    WatchRegistry(engine).remove(first_id)
    second_id = add(engine, repo)  # the same repository watched again
    report = scheduler(engine, clock).run_once()
    assert report.queued == {} and row(engine, second_id).last_request_id == request_id
    assert row(engine, second_id).last_outcome == "analyzed"


def test_only_one_scheduler_leads(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    clock = Clock()
    first = scheduler(engine, clock, owner="first")
    second = scheduler(engine, clock, owner="second")
    assert first.run_once() is not None
    assert second.run_once() is None  # the lease is held
    assert first.run_once() is not None  # renewed by its holder
    clock.advance(seconds=first.lease.ttl.total_seconds() + 1)
    assert second.run_once() is not None  # expired: taken over
    assert first.run_once() is None
    second.stop()  # released: the other may lead at once
    assert first.run_once() is not None


def test_concurrent_acquisitions_elect_one_leader(engine: Any) -> None:
    leases = [LeaderLease(engine, "race", owner=f"p{i}") for i in range(6)]
    barrier = threading.Barrier(len(leases))
    won: list[str] = []

    def contend(lease: LeaderLease) -> None:
        barrier.wait()
        if lease.acquire():
            won.append(lease.owner)

    threads = [threading.Thread(target=contend, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1


def test_two_schedulers_running_passes_at_once_queue_each_commit_once(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repos = [make_repo(files={"a.py": f"x = {i}\n"}) for i in range(3)]
    ids = [add(engine, repo) for repo in repos]
    clock, submitted = Clock(), []
    schedulers = [scheduler(engine, clock, submitted, owner=f"s{i}") for i in range(2)]
    barrier = threading.Barrier(2)
    reports: list[Any] = []

    def run(s: WatchScheduler) -> None:
        barrier.wait()
        reports.append(s.run_once())

    threads = [threading.Thread(target=run, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r is None for r in reports) == [False, True]
    assert len(submitted) == 3 and len(requests(engine)) == 3
    assert {row(engine, i).last_commit for i in ids} == {repo.head for repo in repos}


def test_a_repository_that_disappears_backs_off_and_recovers(engine: Any, make_repo: Callable[..., GitRepo], tmp_path: Path) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo)
    clock, submitted = Clock(), []
    finish(engine, scheduler(engine, clock, submitted).run_once().queued[watch_id])
    moved = tmp_path / "moved-away"
    shutil.move(str(repo.path), moved)
    delays = []
    for expected_failures in (1, 2, 3, 4, 5):
        clock.now = row(engine, watch_id).next_due_at
        report = scheduler(engine, clock, submitted).run_once()
        assert report is not None and watch_id in report.failed
        state = row(engine, watch_id)
        assert state.failure_count == expected_failures and state.last_outcome == "failed"
        assert "does not exist" in state.last_error
        delays.append(state.backoff_seconds)
        assert state.next_due_at == clock.now + timedelta(seconds=state.backoff_seconds)
        # Not due again before its backoff ran out: no check at all.
        assert scheduler(engine, clock, submitted).run_once().checked == 0
    assert delays == [3600, 7200, 14400, 14400, 14400]  # doubling, capped at max_backoff_seconds
    shutil.move(str(moved), repo.path)
    clock.now = row(engine, watch_id).next_due_at
    report = scheduler(engine, clock, submitted).run_once()
    state = row(engine, watch_id)
    assert report.unchanged == [watch_id] and state.failure_count == 0 and state.backoff_seconds == 0 and state.last_error is None
    assert len(submitted) == 1


def test_a_missing_ref_and_a_broken_repository_are_failures_not_crashes(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    missing_ref = add(engine, repo, ref="no-such-branch")
    broken = make_repo(files={"b.py": "y = 1\n"})
    broken_id = add(engine, broken)
    shutil.rmtree(broken.path / ".git" / "objects")
    report = scheduler(engine, Clock()).run_once()
    assert set(report.failed) == {missing_ref, broken_id}
    assert "no ref 'no-such-branch'" in row(engine, missing_ref).last_error
    assert row(engine, broken_id).last_error.startswith("git ls-remote failed")


def test_rewritten_history_is_recorded_and_the_new_head_analyzed(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    repo.commit({"a.py": "x = 2\n"})
    watch_id = add(engine, repo)
    clock = Clock()
    finish(engine, scheduler(engine, clock).run_once().queued[watch_id])
    old = repo.head
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.commit({"a.py": "x = 3\n"}, message="rewritten")
    clock.advance(hours=1)
    report = scheduler(engine, clock).run_once()
    assert report.rewritten == [watch_id] and watch_id in report.queued
    state = row(engine, watch_id)
    assert state.last_outcome == "rewritten" and old[:12] in state.last_error and state.last_commit == repo.head


def test_head_follows_the_default_branch(engine: Any, make_repo: Callable[..., GitRepo]) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo, ref="HEAD")
    scheduler(engine, Clock()).run_once()
    state = row(engine, watch_id)
    assert state.last_commit == repo.head and state.resolved_ref == "main"


def test_a_policy_that_no_longer_admits_the_url_is_a_failure(engine: Any, make_repo: Callable[..., GitRepo], monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo)
    with unit_of_work(engine) as session:  # as if added through the API, whose policy refuses local paths
        session.execute(update(WatchedRepository).where(WatchedRepository.id == watch_id).values(origin="api"))
    monkeypatch.delenv("COE_ALLOWED_DIRS", raising=False)
    report = scheduler(engine, Clock()).run_once()
    assert "local paths are not allowed" in report.failed[watch_id]
    assert requests(engine) == []


def test_the_process_scheduler_thread_checks_watches_and_stops(engine: Any, make_repo: Callable[..., GitRepo],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from coe_framework.watch import runtime

    repo = make_repo(files={"a.py": "x = 1\n"})
    watch_id = add(engine, repo, now=datetime.now(timezone.utc) - timedelta(minutes=1))
    monkeypatch.setenv("COE_WATCH_TICK_SECONDS", "0.1")
    submitted: list[int] = []
    thread = runtime.start_scheduler(submit=submitted.append, engine=engine)
    try:
        assert thread is not None and runtime.start_scheduler(engine=engine) is thread  # one per process
        deadline = time.monotonic() + 60
        while not submitted and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runtime.stop_scheduler(wait=True)
    assert len(submitted) == 1 and row(engine, watch_id).last_commit == repo.head
    assert LeaderLease(engine, "watch-scheduler", owner="another").acquire()  # the stopped thread gave its lease up
    monkeypatch.setenv("COE_WATCH_SCHEDULER", "off")
    assert runtime.start_scheduler(engine=engine) is None
