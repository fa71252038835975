"""Progress on stderr names the stage and its counts."""
from __future__ import annotations

import io

from coe_framework.cli.progress import StageProgress, split_message


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_split_message() -> None:
    assert split_message("ast: 40/120 files") == ("ast", "40/120 files")
    assert split_message("git") == ("git", "")


def test_plain_lines_name_stage_and_counts_and_stay_few() -> None:
    stream, clock = io.StringIO(), Clock()
    progress = StageProgress("demo", clock=clock, stream=stream)
    progress(0.0, "ast: starting")
    progress(0.0, "ast: 120 files to analyze, 30 cached")  # same stage, too soon: not shown
    for done in range(1, 121):
        clock.now += 0.1
        progress(done / 240, f"ast: {done}/120 files")
    progress(0.5, "ast: succeeded")
    progress(0.5, "git: starting")
    progress(1.0, "git: cached")
    progress.close()
    lines = stream.getvalue().splitlines()
    assert lines[0] == "demo: ast: starting"
    assert "demo: ast: 20/120 files" in lines, "a count line every two seconds"
    assert lines[-3:] == ["demo: ast: succeeded", "demo: git: starting", "demo: git: cached"]
    assert 8 <= len(lines) <= 10, lines


def test_a_terminal_bar_shows_the_stage_and_detail() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    progress = StageProgress("demo", stream=stream)
    progress(0.25, "ast: 30/120 files")
    progress.close()
    assert "ast: 30/120 files" in stream.getvalue() and "25%" in stream.getvalue()
