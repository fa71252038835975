"""Raw line metrics for Python source, by radon's definitions, in one pass.

radon (``radon.raw.analyze``) strips every physical line, then re-tokenizes a
growing buffer from each statement's first line until the buffer tokenizes
cleanly. That is quadratic in the length of a statement: a long literal table
takes minutes. The buffer always closes exactly where a single tokenization of
the whole stripped text returns to a clean state (no open bracket, string or
backslash continuation), so one pass over that token stream yields the same
groups of lines and therefore the same counts. The pass is
:func:`~.python_scanner.scan`, which splits tokens exactly as ``tokenize``
does at about half its cost.

Per group of lines radon counts:

* comments: every COMMENT token;
* a group that is one COMMENT token: one single-line comment;
* a group that is one STRING token: one single-line comment when the string
  spans one line, else its non-empty lines as ``multi`` and empty ones as blank;
* any other group: non-empty lines as ``sloc``, empty ones as blank;
* a blank line that ends a statement continued by ``\\`` does not close the
  group (radon's buffer, which ends on that line unterminated, does not
  tokenize), so the next statement joins it;
* logical lines: per ``;``-separated part, 0 when it has no code, 2 when it
  holds a ``:`` that is not its last token (``if x: return``), else 1.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from .python_scanner import COMMENT, CONTINUED_BLANK, NEWLINE, NL, OP, STRING, ScanError, scan


@dataclass
class RawMetrics:
    """radon's raw counts for one file."""

    loc: int = 0
    lloc: int = 0
    sloc: int = 0
    comments: int = 0
    multi: int = 0
    blank: int = 0
    single_comments: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class RawMetricsError(ValueError):
    """The text does not tokenize to the end (radon raises SyntaxError here)."""


class _LogicalCounter:
    """Counts logical lines of one group, fed one significant token at a time.

    A part is the run of tokens between ``;`` separators; comments and
    newlines are not tokens here. radon looks at the last ``:`` of a part:
    one logical line when it is the second-to-last token (the last part
    carries an ENDMARKER, so a trailing colon sits there), two otherwise.
    """

    __slots__ = ("total", "count", "colon", "code")

    def __init__(self) -> None:
        self.total = 0
        self._reset()

    def _reset(self) -> None:
        self.count = 0
        self.colon = -1
        self.code = False

    def feed(self, is_operator: bool, text: str) -> None:
        if is_operator:
            if text == ";":
                self._close()
                return
            if text == ":":
                self.colon = self.count
        self.count += 1
        self.code = True

    def _close(self) -> None:
        if self.colon >= 0:
            self.total += 2 - (self.colon == self.count - 2)
        elif self.code:
            self.total += 1
        self._reset()

    def finish(self) -> int:
        self.count += 1  # the ENDMARKER radon's buffer ends with
        self._close()
        total, self.total = self.total, 0
        return total


def raw_metrics(source: str) -> RawMetrics:
    """radon's ``analyze(source)`` counts, computed with a single scanning pass.

    Raises :class:`RawMetricsError` where radon raises ``SyntaxError``: text
    that ends inside a statement, or holds a character Python cannot tokenize.
    """
    lines = [line.strip() for line in source.splitlines()]
    metrics = RawMetrics()
    logical = _LogicalCounter()
    feed = logical.feed
    group_start = 1  # first line of the current group (1-based)
    first_kind: str | None = None  # kind of the group's first token
    first_span = 0  # extra lines the first token spans (strings only)
    others = False  # any token after the first that is not a line end
    comments = 0
    try:
        for kind, value, first_row, last_row in scan(lines):
            if kind is NEWLINE and value == CONTINUED_BLANK:
                # radon's buffer ends unterminated on that blank line, which
                # tokenize reads as the text ending inside the statement: the
                # group goes on with the next line (statement).
                continue
            if kind is NEWLINE or kind is NL:
                group = lines[group_start - 1:first_row]
                filled = sum(1 for line in group if line)
                metrics.comments += comments
                if first_kind is COMMENT and not others:
                    metrics.single_comments += 1
                elif first_kind is STRING and not others:
                    if first_span == 0:
                        metrics.single_comments += 1
                    else:
                        metrics.multi += filled
                        metrics.blank += len(group) - filled
                else:
                    metrics.sloc += filled
                    metrics.blank += len(group) - filled
                metrics.lloc += logical.finish()
                group_start, first_kind, others, comments = first_row + 1, None, False, 0
                continue
            if first_kind is None:
                first_kind = kind
                first_span = last_row - first_row
            else:
                others = True
            if kind is COMMENT:
                comments += 1
                continue
            feed(kind is OP, value)
    except ScanError as exc:
        raise RawMetricsError(str(exc)) from None
    # Trailing empty lines produce no token; radon counts each as blank.
    metrics.blank += max(0, len(lines) - (group_start - 1))
    metrics.loc = metrics.sloc + metrics.blank + metrics.multi + metrics.single_comments
    return metrics
