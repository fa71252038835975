"""The ``git`` analyzer: history mining with incremental updates.

One streaming ``git log`` feeds a :class:`~.ledger.Ledger`; the report is
computed from the ledger. The ledger is saved as state, so the next analysis
of the same repository and ref mines only the commits that are new, provided
the old head is an ancestor of the new one and nothing that shapes the facts
(mining options, analyzer version, the .mailmap at the head) changed.
Otherwise, after a force-push or a rebase, history is mined from scratch.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any, Mapping

from coe_framework.plugin_api import AnalysisContext, Analyzer, AnalyzerError, GitError, list_files

from .ledger import Filters, Ledger
from .metrics import build_report
from .mining import count_commits, git_status, is_ancestor, log_command, run_text, stream_commits
from .options import GitOptions
from .schema import GitResult

log = logging.getLogger(__name__)

STATE_KEYS = ("fingerprint", "head", "head_time", "ledger")


def filters_for(options: GitOptions) -> Filters:
    """The commit filters the options ask for."""
    bots = None
    if options.exclude_bots and options.bot_patterns:
        bots = re.compile("|".join(f"(?:{p})" for p in options.bot_patterns), re.IGNORECASE)
    return Filters(
        since=int(options.since.timestamp()) if options.since else None,
        until=int(options.until.timestamp()) if options.until else None,
        bots=bots,
        max_changeset=options.coupling_max_changeset,
    )


@dataclass
class Mined:
    """A ledger and how it was obtained."""

    ledger: Ledger
    head_time: int | None
    mode: str
    base: str | None
    commits_mined: int
    #: First parent of the oldest commit walked (None when it had none).
    oldest_parent: str | None = None


class GitAnalyzer(Analyzer):
    """History mining: authors, churn, ownership, truck factor, coupling, code age, timeline, hotspots."""

    name = "git"
    version = "1.1"
    description = (
        "Commit history mined in one streaming git log: authors (mailmap applied), churn, ownership, "
        "truck factor, change coupling, code age, activity timeline and hotspots; incremental."
    )
    uses = ("ast",)
    Options = GitOptions
    Result = GitResult
    timeout = 3600.0

    def analyze(self, ctx: AnalysisContext) -> dict[str, Any]:
        """Mine (or update) the history up to the analysed commit and report on it."""
        options: GitOptions = ctx.options  # type: ignore[assignment]
        handle = ctx.git()
        head = self._resolve_head(ctx, options)
        try:
            entries = ctx.files if head == ctx.commit else list_files(ctx.repo_path, head)
        except GitError as exc:
            raise AnalyzerError(f"cannot list files at {head[:12]}: {exc}") from None
        mailmap = next((entry.sha for entry in entries if entry.path == ".mailmap"), None)
        fingerprint = {"version": self.version, "mining": options.mining_hash(), "mailmap": mailmap}
        filters = filters_for(options)

        mined = self._mine(ctx, head, fingerprint, filters, options)
        head_time = mined.head_time
        if head_time is None:
            head_time = int(run_text(handle, "log", "-1", "--format=%ct", head, "--") or 0)
        ast_result = ctx.results.get("ast")
        ast_files = ast_result.get("files") if isinstance(ast_result, Mapping) else None
        report = build_report(
            mined.ledger, (entry.path for entry in entries), head_time, options,
            ast_files if isinstance(ast_files, Mapping) else None,
        )
        report["mining"] = {
            "mode": mined.mode,
            "head": head,
            "base": mined.base,
            "commits_mined": mined.commits_mined,
            "first_parent": options.first_parent,
            "mailmap": mailmap,
        }
        ctx.save_state({"fingerprint": fingerprint, "head": head, "head_time": head_time, "ledger": mined.ledger.to_state()})
        return report

    def summary(self, data: dict[str, Any]) -> dict[str, Any]:
        """Headline figures: commits, merges, authors, files, truck factor, mode."""
        return {
            "commits": data.get("commits"),
            "merges": data.get("merges"),
            "authors": data.get("author_count"),
            "files": len(data.get("files") or {}),
            "truck_factor": (data.get("truck_factor") or {}).get("value"),
            "mode": (data.get("mining") or {}).get("mode"),
        }

    # -- steps ---------------------------------------------------------------

    def _resolve_head(self, ctx: AnalysisContext, options: GitOptions) -> str:
        """The commit to mine up to: the analysed commit, or ``options.ref``."""
        target = options.ref or ctx.commit
        status, sha, _ = git_status(ctx.git(), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{target}^{{commit}}")
        if status != 0 or not sha:
            raise AnalyzerError(f"no commit named {target!r} in the repository")
        return sha

    def _previous(self, ctx: AnalysisContext, fingerprint: dict[str, Any], filters: Filters) -> tuple[Ledger, str, int | None] | None:
        """The saved ledger and head when they can be built upon, else None."""
        state = ctx.previous_state
        if not isinstance(state, Mapping) or any(key not in state for key in STATE_KEYS):
            return None
        if state["fingerprint"] != fingerprint or not isinstance(state["head"], str):
            return None
        try:
            ledger = Ledger.from_state(state["ledger"], filters)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
            log.warning("git analyzer: ignoring unreadable saved state (%s); mining from scratch", exc)
            return None
        head_time = state["head_time"] if isinstance(state["head_time"], int) else None
        return ledger, state["head"], head_time

    def _mine(self, ctx: AnalysisContext, head: str, fingerprint: dict[str, Any], filters: Filters, options: GitOptions) -> Mined:
        handle = ctx.git()
        previous = self._previous(ctx, fingerprint, filters)
        if previous is not None:
            old_ledger, old_head, old_time = previous
            if old_head == head:
                return Mined(old_ledger, old_time, "unchanged", old_head, 0)
            if is_ancestor(handle, old_head, head):
                mined = self._walk(ctx, head, old_head, filters, options)
                # In first-parent mode the old head must sit on the new head's
                # first-parent chain, or the two walks would not add up.
                if not options.first_parent or mined.oldest_parent == old_head:
                    mined.ledger.merge_older(old_ledger)
                    return mined
        return self._walk(ctx, head, None, filters, options)

    def _walk(self, ctx: AnalysisContext, head: str, exclude: str | None, filters: Filters, options: GitOptions) -> Mined:
        """Stream ``exclude..head`` (all of ``head`` when None) into a new ledger."""
        handle = ctx.git()
        total = count_commits(handle, head, exclude, options.first_parent)
        ledger = Ledger(filters)
        head_time: int | None = None
        oldest_parent: str | None = None
        mined = 0

        def report(done: int) -> None:
            ctx.progress(done, total or None, f"{done} of {total} commits")

        command = log_command(head, exclude, head, options.rename_limit, options.first_parent)
        for commit in stream_commits(handle, command, ctx.check_cancelled, report):
            if mined == 0 and commit.sha == head:
                head_time = commit.commit_time
            mined += 1
            ledger.add(commit)
            oldest_parent = commit.parents[0] if commit.parents else None
        ctx.progress(mined, mined, f"{mined} commits mined")
        return Mined(ledger, head_time, "incremental" if exclude else "full", exclude, mined, oldest_parent)
