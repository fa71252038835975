"""Bearer tokens: generation, hashing, scopes, and issuing a session row.

A token is ``coe_`` followed by 43 URL-safe random characters (256 bits), so
secret scanners recognize it. Only its SHA-256 is stored; the token itself
is shown once, when it is issued.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from coe_framework.db.models import UserSession, utcnow

TOKEN_PREFIX = "coe_"
#: Characters of the token kept in clear so a user can tell tokens apart.
SHOWN_PREFIX_LENGTH = 12
#: Each scope includes the ones after it.
SCOPES = ("admin", "write", "read")


def new_token() -> str:
    """A fresh random token."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hashes_equal(a: str, b: str) -> bool:
    """Constant-time comparison of two token hashes."""
    return hmac.compare_digest(a.encode(), b.encode())


def looks_like_token(token: str) -> bool:
    """Cheap shape check before any lookup."""
    return token.startswith(TOKEN_PREFIX) and 20 <= len(token) <= 200 and token.isascii()


def expand_scopes(scopes: Iterable[str]) -> frozenset[str]:
    """Scopes with what each implies: admin ⊇ write ⊇ read."""
    granted: set[str] = set()
    for scope in scopes:
        if scope in SCOPES:
            granted.update(SCOPES[SCOPES.index(scope):])
    return frozenset(granted)


def normalize_scopes(scopes: Sequence[str]) -> list[str]:
    """Validated, deduplicated scopes in canonical order; ValueError names a bad one."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope '{unknown[0]}' (known: {', '.join(SCOPES)})")
    if not scopes:
        raise ValueError("at least one scope is required")
    return [s for s in SCOPES if s in set(scopes)]


@dataclass(frozen=True)
class IssuedToken:
    """A newly issued token: the only moment the clear token exists."""

    token: str
    session: UserSession


def issue_token(
    session: Session,
    *,
    label: str,
    scopes: Sequence[str],
    expires_in: timedelta | None = None,
    created_by_id: int | None = None,
    user_agent: str | None = None,
    ip_address: str | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Add a ``user_sessions`` row for a new token; the caller commits."""
    label = label.strip()
    if not label or len(label) > 200:
        raise ValueError("label must be 1 to 200 characters")
    token = new_token()
    now = now or utcnow()
    row = UserSession(
        token_hash=hash_token(token),
        token_prefix=token[:SHOWN_PREFIX_LENGTH],
        label=label,
        scopes=normalize_scopes(list(scopes)),
        created_at=now,
        expires_at=now + expires_in if expires_in else None,
        created_by_id=created_by_id,
        user_agent=(user_agent or None) and user_agent[:512],
        ip_address=(ip_address or None) and ip_address[:64],
    )
    session.add(row)
    session.flush()
    return IssuedToken(token, row)


def session_dict(row: UserSession) -> dict[str, Any]:
    """A session as the API and ``coe session list`` show it (never its hash)."""
    from coe_framework.db.store import iso

    return {
        "id": row.id,
        "label": row.label,
        "token_prefix": row.token_prefix,
        "scopes": list(row.scopes or []),
        "created_at": iso(row.created_at),
        "last_activity_at": iso(row.last_activity_at),
        "expires_at": iso(row.expires_at),
        "revoked": bool(row.revoked),
        "revoked_at": iso(row.revoked_at),
        "created_by_id": row.created_by_id,
    }


def revoke(session: Session, session_id: int, *, condition: Any = None, now: datetime | None = None) -> UserSession | None:
    """Mark a session revoked (once; the first time is kept); None when there is no such session.

    ``condition`` narrows which sessions may be revoked (the API's ownership rule);
    the caller commits.
    """
    statement = select(UserSession).where(UserSession.id == session_id)
    if condition is not None:
        statement = statement.where(condition)
    row = session.execute(statement).scalar_one_or_none()
    if row is not None and not row.revoked:
        row.revoked = True
        row.revoked_at = now or utcnow()
    return row
