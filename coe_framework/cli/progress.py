"""Progress of a ``coe`` command on stderr: the stage and its counts, not only a fraction.

The runner reports ``(fraction, "ANALYZER: DETAIL")`` where DETAIL is what
the analyzer or the file pool said ("120 files to analyze, 30 cached",
"40/120 files", "cached", "succeeded"). On a terminal a bar shows the
fraction with the stage and detail beside it; otherwise (a CI log, a pipe)
one line is written when the stage changes and at most one line of counts
every :data:`LINE_INTERVAL` seconds, so a log stays short but says where a
run is. ``--quiet`` shows nothing.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Callable

import click

#: Seconds between two count lines of one stage when stderr is not a terminal.
LINE_INTERVAL = 2.0
#: Statuses the runner reports last for a stage: they end it, so they are always shown.
FINAL_DETAILS = frozenset({"succeeded", "failed", "partial", "skipped", "cancelled", "cached"})


def split_message(message: str) -> tuple[str, str]:
    """``"ast: 40/120 files"`` to ``("ast", "40/120 files")``; a bare stage has no detail."""
    stage, _, detail = message.partition(":")
    return stage.strip(), detail.strip()


class StageProgress:
    """A progress callback for one repository: ``progress(fraction, message)``, then ``close()``."""

    def __init__(self, label: str, *, clock: Callable[[], float] = time.monotonic, stream: Any = None):
        self.stream = stream if stream is not None else sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.label = label
        self.clock = clock
        self.shown = 0
        self.stage = ""
        self.detail = ""
        self.last_line_at = float("-inf")
        self.bar: Any = None
        if self.tty:
            self.bar = click.progressbar(
                length=1000, label=label, file=self.stream, show_eta=False,
                item_show_func=lambda _item: self._describe() or None,
            )
            self.bar.__enter__()

    def _describe(self) -> str:
        return f"{self.stage}: {self.detail}" if self.detail else self.stage

    def __call__(self, fraction: float, message: str) -> None:
        stage, detail = split_message(message)
        changed = stage != self.stage
        self.stage, self.detail = stage, detail
        if self.bar is not None:
            target = max(self.shown, int(max(0.0, min(1.0, fraction)) * 1000))
            self.bar.update(target - self.shown, current_item=message)
            self.shown = target
            return
        now = self.clock()
        if changed or detail in FINAL_DETAILS or now - self.last_line_at >= LINE_INTERVAL:
            self.last_line_at = now
            click.echo(f"{self.label}: {self._describe()}", file=self.stream)

    def close(self) -> None:
        """End the bar (a terminal) so the next output starts on its own line."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def is_quiet(ctx: click.Context | None = None) -> bool:
    """True when ``coe --quiet`` was given: no progress and no notes, only results and errors."""
    ctx = ctx or click.get_current_context(silent=True)
    return bool(ctx is not None and ctx.find_root().meta.get("coe.quiet"))


def progress_factory(ctx: click.Context | None = None) -> Callable[[str], StageProgress] | None:
    """What ``analyze_repositories(progress_factory=...)`` gets: None under ``--quiet``."""
    return None if is_quiet(ctx) else StageProgress


def note(message: str, ctx: click.Context | None = None) -> None:
    """An informational line on stderr ("stored as analysis 3"), left out under ``--quiet``."""
    if not is_quiet(ctx):
        click.echo(message, err=True)
