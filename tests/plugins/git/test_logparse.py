"""The streaming log parser: exact records, chunk boundaries anywhere."""
from __future__ import annotations

from typing import Any

import pytest

from coe_framework.plugin.context import AnalysisContext, RepositoryInfo
from coe_framework.plugin.contract import AnalyzerError
from coe_plugins.git.logparse import Commit, FileChange, LogParser, parse_log
from coe_plugins.git.mining import log_command, stream_commits


def header(sha: str, parents: str = "", name: bytes = b"A", when: int = 100) -> bytes:
    fields = [sha.encode(), parents.encode(), name, b"a@x", name, b"a@x", b"%d" % when, name, b"a@x", name, b"a@x", b"%d" % when]
    return b"\x01" + b"\0".join(fields) + b"\0"


SAMPLE = (
    header("c3", "c2 c9")  # a merge: no changes
    + header("c2", "c1", name=b"We\x01ird\xff")
    + b"\n1\t2\t\0old name.txt\0new\tname.txt\0-\t-\timg.bin\0"
    + header("c1", "", when=50)
    + b"\n3\t0\tcaf\xe9.txt\0"
)


def expected() -> list[tuple]:
    return [
        ("c3", ("c2", "c9"), "A", []),
        ("c2", ("c1",), "We\x01ird\ufffd", [
            FileChange("new\tname.txt", 1, 2, False, "old name.txt"),
            FileChange("img.bin", 0, 0, True, None),
        ]),
        ("c1", (), "A", [FileChange("caf\\xe9.txt", 3, 0, False, None)]),
    ]


def summary(commits: list[Commit]) -> list[tuple]:
    return [(c.sha, c.parents, c.author_name, c.changes) for c in commits]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 13, 64, len(SAMPLE)])
def test_any_chunking_gives_the_same_commits(size: int) -> None:
    chunks = [SAMPLE[i : i + size] for i in range(0, len(SAMPLE), size)]
    commits = list(parse_log(chunks))
    assert summary(commits) == expected()
    assert commits[0].is_merge and not commits[1].is_merge
    assert commits[2].author_time == 50 and commits[2].commit_time == 50


def test_stream_without_trailing_nul_and_empty_stream() -> None:
    assert summary(list(parse_log([SAMPLE[:-1]]))) == expected()
    assert list(parse_log([])) == []


def test_parser_matches_git_on_a_real_history(make_repo: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n2\n", b"\xe9t\xe9.txt": "x\n"})
    repo.rename("a.txt", "dir/a.txt")
    repo.commit({"bin.dat": b"\0\1", "dir/a.txt": "1\n2\n3\n"}, author=("Bo", "bo@x"))
    repo.commit(allow_empty=True)
    ctx = AnalysisContext(str(repo.path / ".git"), repo.head, RepositoryInfo("u", "n", str(repo.path)))
    command = log_command(repo.head, None, repo.head, 1000, False)
    commits = list(stream_commits(ctx.git(), command, ctx.check_cancelled))
    assert [c.sha for c in commits] == repo.git("rev-list", "HEAD").split()
    assert [sorted((ch.path, ch.added, ch.removed, ch.binary, ch.old_path) for ch in c.changes) for c in commits] == [
        [],
        [("bin.dat", 0, 0, True, None), ("dir/a.txt", 1, 0, False, None)],
        [("dir/a.txt", 0, 0, False, "a.txt")],
        [("\\xe9t\\xe9.txt", 1, 0, False, None), ("a.txt", 2, 0, False, None)],
    ]
    assert commits[1].author_email == "bo@x" and commits[1].committer_name == "Bo"


def test_cancelling_stops_git_and_propagates(make_repo: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    ctx = AnalysisContext(str(repo.path / ".git"), repo.head, RepositoryInfo("u", "n", str(repo.path)))

    class Stop(Exception):
        pass

    def cancel() -> None:
        raise Stop()

    with pytest.raises(Stop):
        list(stream_commits(ctx.git(), log_command(repo.head, None, repo.head, 10, False), cancel))


def test_git_failure_is_one_line(make_repo: Any) -> None:
    repo = make_repo(files={"a.txt": "1\n"})
    ctx = AnalysisContext(str(repo.path / ".git"), repo.head, RepositoryInfo("u", "n", str(repo.path)))
    with pytest.raises(AnalyzerError) as error:
        list(stream_commits(ctx.git(), log_command("f" * 40, None, repo.head, 10, False), ctx.check_cancelled))
    assert "\n" not in str(error.value) and str(error.value)


def test_parser_state_is_per_instance() -> None:
    parser = LogParser()
    first = list(parser.feed(SAMPLE[:20]))
    assert first == []
    assert summary(list(parser.feed(SAMPLE[20:])) + list(parser.finish())) == expected()
