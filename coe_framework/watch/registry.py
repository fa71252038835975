"""The ``watched_repositories`` rows: validated on the way in, never shown with their secret."""
from __future__ import annotations

import builtins
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Mapping, Sequence, cast

from sqlalchemy import CursorResult, Engine, Select, delete, select
from sqlalchemy.exc import IntegrityError

from ..plugin.contract import choice_problem
from ..db.engine import unit_of_work
from ..db.models import WatchedRepository, utcnow
from ..errors import BadInput, Conflict, kind_of
from ..repository.sources import SourceError, SourcePolicy, parse_source
from .intervals import format_interval
from .keys import match_key
from .secrets import SecretKeyError, check_secret, encrypt_secret, hash_secret

#: What a branch or tag name may not contain (git check-ref-format's rules, plus anything option-like).
_BAD_REF = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]|\.\.|@\{|^-|^/|/$|\.lock$|//")
_FULL_SHA = re.compile(r"^[0-9a-fA-F]{40}([0-9a-fA-F]{24})?$")
W = WatchedRepository


class WatchError(BadInput, ValueError):
    """A watch cannot be added or found (one line); ``field`` names the input at fault.

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message, field=field)

    @property
    def status(self) -> int:
        """The HTTP status of this error's kind (422, or 409 for a :class:`WatchConflict`)."""
        kind = kind_of(self)
        return kind.status if kind is not None else 422


class WatchConflict(Conflict, WatchError):
    """The watch cannot be added as things stand: already watched, or webhook secrets are not configured."""


def check_ref(ref: str | None) -> str:
    """A watched ref: ``HEAD`` (the default branch), a branch or tag name, or a full ``refs/...`` name."""
    value = (ref or "HEAD").strip()
    if not value or len(value) > 255 or _BAD_REF.search(value):
        raise WatchError(f"invalid ref '{value[:100]}'", "ref")
    if _FULL_SHA.match(value):
        raise WatchError("a commit never moves: watch a branch or a tag, not a commit SHA", "ref")
    return value


@dataclass(frozen=True)
class WatchSpec:
    """What a user asks to watch, before validation."""

    url: str
    ref: str | None = None
    interval_seconds: int = 3600
    analyzers: Sequence[str] | None = None
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    secret: str | None = None


def to_dict(row: WatchedRepository) -> dict[str, Any]:
    """A watch as the CLI and the API show it (its secret only as ``has_secret``)."""
    return {
        "id": row.id,
        "url": row.url,
        "name": row.name,
        "ref": row.ref,
        "interval_seconds": row.interval_seconds,
        "interval": format_interval(row.interval_seconds),
        "analyzers": list(row.analyzers) if row.analyzers else None,
        "options": dict(row.options or {}),
        "origin": row.origin,
        "enabled": bool(row.enabled),
        "has_secret": row.secret_hash is not None,
        "next_due_at": row.next_due_at,
        "last_checked_at": row.last_checked_at,
        "resolved_ref": row.resolved_ref,
        "last_commit": row.last_commit,
        "last_request_id": row.last_request_id,
        "last_outcome": row.last_outcome,
        "last_error": row.last_error,
        "failure_count": row.failure_count or 0,
        "backoff_seconds": row.backoff_seconds or 0,
        "created_at": row.created_at,
    }


def policy_for(origin: str) -> SourcePolicy:
    """The source policy a watch's URL is checked with again at every check."""
    return SourcePolicy() if origin == "cli" else SourcePolicy.for_server()


class WatchRegistry:
    """Adds, lists, finds and removes watches on one engine."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def add(self, spec: WatchSpec, *, origin: str, analyzers_known: Mapping[str, Any] | None = None,
            secret_key: str | None = None, policy: SourcePolicy | None = None, now: datetime | None = None) -> dict[str, Any]:
        """Validate ``spec`` (URL policy, ref, analyzers, options, secret) and store it; due at once.

        :class:`WatchError` names the field at fault; a watch of the same URL
        and ref already there is a 409.
        """
        try:
            source = parse_source(spec.url, policy or policy_for(origin))
        except SourceError as exc:
            raise WatchError(str(exc), "url") from None
        if source.auth_header:
            raise WatchError("a watched URL cannot carry credentials (they are never stored)", "url")
        ref = check_ref(spec.ref)
        analyzers = sorted(set(spec.analyzers)) if spec.analyzers else None
        problem = choice_problem(analyzers_known, spec.analyzers, spec.options) if analyzers_known is not None else None
        if problem is not None:
            raise WatchError(problem[1], problem[0])
        encrypted = hashed = None
        if spec.secret is not None:
            try:
                secret = check_secret(spec.secret)
                encrypted = encrypt_secret(secret, secret_key)
            except SecretKeyError as exc:
                raise WatchConflict(str(exc), "secret") from None
            except ValueError as exc:
                raise WatchError(str(exc), "secret") from None
            hashed = hash_secret(secret)
        row = W(
            url=source.url, name=source.name, ref=ref, match_key=match_key(source.url),
            interval_seconds=int(spec.interval_seconds), analyzers=analyzers, options={k: dict(v) for k, v in spec.options.items()},
            origin=origin, enabled=True, secret_encrypted=encrypted, secret_hash=hashed,
            next_due_at=now or utcnow(), failure_count=0, backoff_seconds=0,
        )
        try:
            with unit_of_work(self.engine, write=True) as session:
                session.add(row)
                session.flush()
                return to_dict(row)
        except IntegrityError:
            raise WatchConflict(f"{source.url} (ref {ref}) is already watched", "url") from None

    def query(self) -> Select[Any]:
        """Every watch (the API pages over this)."""
        return select(W)

    def list(self) -> list[dict[str, Any]]:
        """Every watch, oldest first."""
        with unit_of_work(self.engine) as session:
            return [to_dict(row) for row in session.scalars(select(W).order_by(W.id))]

    def get(self, watch_id: int) -> dict[str, Any] | None:
        """One watch, or None."""
        with unit_of_work(self.engine) as session:
            row = session.get(W, watch_id)
            return to_dict(row) if row is not None else None

    def find(self, target: str) -> dict[str, Any] | None:
        """A watch by id, or by URL as it was stored (the first ref)."""
        if target.isdigit():
            return self.get(int(target))
        if "://" not in target and Path(target).exists():  # a local path, as stored: absolute and resolved
            target = str(Path(target).resolve())
        key = match_key(target)
        with unit_of_work(self.engine) as session:
            row = session.scalars(select(W).where(W.match_key == key).order_by(W.id).limit(1)).first()
            return to_dict(row) if row is not None else None

    def remove(self, watch_id: int) -> bool:
        """Delete a watch; False when there was none. Its analyses stay."""
        with unit_of_work(self.engine, write=True) as session:
            # A DML statement's result is a CursorResult (Session.execute is typed as returning Result).
            return bool(cast(CursorResult[Any], session.execute(delete(W).where(W.id == watch_id))).rowcount)

    def by_match_keys(self, keys: Sequence[str]) -> builtins.list[WatchedRepository]:
        """Enabled watches whose URL reduces to one of ``keys`` (a webhook's candidates), detached."""
        if not keys:
            return []
        with unit_of_work(self.engine) as session:
            rows = list(session.scalars(select(W).where(W.match_key.in_(list(dict.fromkeys(keys))), W.enabled.is_(True)).order_by(W.id)))
            session.expunge_all()
            return rows

    def due(self, now: datetime, limit: int, after_id: int = 0) -> builtins.list[WatchedRepository]:
        """Enabled watches due at ``now``, by id after ``after_id``, at most ``limit``, detached."""
        with unit_of_work(self.engine) as session:
            rows = list(session.scalars(
                select(W).where(W.enabled.is_(True), W.next_due_at <= now, W.id > after_id).order_by(W.id).limit(limit)
            ))
            session.expunge_all()
            return rows


def backoff_delay(failures: int, interval: int, cap: float) -> int:
    """Seconds to wait after the ``failures``-th failure in a row: the interval, doubling, capped."""
    return int(min(cap, interval * 2 ** max(0, failures - 1)))


def next_due(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
