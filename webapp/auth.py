"""Authentication and authorization for API routes.

``@require("read" | "write" | "admin")`` protects a view: it reads the bearer
token, finds its ``user_sessions`` row by SHA-256 (compared again in constant
time), refuses revoked or expired tokens and missing scopes, and puts the
caller in ``g.principal``. Verified tokens are trusted for a few seconds per
process (``COE_AUTH_CACHE_TTL``) so a hot path costs no query, and for
``COE_AUTH_OUTAGE_GRACE`` seconds more while the database is unreachable;
revoking through this process takes effect at once.

With ``COE_AUTH=off`` (allowed only when bound to loopback) every request from
a loopback address acts as a local admin and any other is refused.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import wraps
from typing import Any, Callable, TypeVar

from flask import current_app, g, request
from sqlalchemy import select

from coe_framework.analysis.cache import MemoryCache
from coe_framework.db.models import UserSession, utcnow

from .config import is_loopback_host
from .database import DATABASE_DOWN, db
from .problems import Problem
from .tokens import expand_scopes, hash_token, hashes_equal, looks_like_token

F = TypeVar("F", bound=Callable[..., Any])
SECURITY_SCHEME = "BearerAuth"
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="coe"'}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a session (None for the local user when auth is off) and its scopes."""

    session_id: int | None
    label: str
    scopes: frozenset[str]
    expires_at: datetime | None = None
    revoked: bool = False

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


LOCAL_USER = Principal(None, "local user (authentication off)", expand_scopes(["admin"]))


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


class TokenVerifier:
    """Looks tokens up, with a short per-process cache of verified sessions.

    A verified session is trusted without a query for ``ttl`` seconds. While
    the database cannot be reached, a session verified within ``ttl +
    outage_grace`` seconds stays trusted (so cached reads go on being
    served); once the database answers again, every token is checked anew.
    """

    def __init__(self, ttl: float, outage_grace: float = 0.0):
        self.cache = MemoryCache(max_entries=10_000, ttl=ttl) if ttl > 0 else None
        keep = ttl + outage_grace if ttl > 0 else 0.0
        self.outage_cache = MemoryCache(max_entries=10_000, ttl=keep) if outage_grace > 0 and keep > 0 else None

    def principal_for(self, token: str) -> Principal | None:
        digest = hash_token(token)
        if self.cache is not None:
            cached = self.cache.get(digest)
            if cached is not None:
                return cached
        try:
            row = db.session.execute(select(UserSession).where(UserSession.token_hash == digest)).scalar_one_or_none()
        except DATABASE_DOWN:
            known = self.outage_cache.get(digest) if self.outage_cache is not None else None
            if known is None:
                raise
            db.session.rollback()  # the failed query must not poison this request's session
            return known
        if row is None or not hashes_equal(row.token_hash, digest):
            return None
        principal = Principal(row.id, row.label, expand_scopes(row.scopes or []), aware(row.expires_at), bool(row.revoked))
        for cache in (self.cache, self.outage_cache):
            if cache is not None:
                cache.put(digest, principal)
        return principal

    def forget_session(self, session_id: int) -> None:
        """Drop a session from this process's caches (after a revocation)."""
        for cache in (self.cache, self.outage_cache):
            if cache is None:
                continue
            with cache._lock:  # noqa: SLF001 - MemoryCache has no delete-by-value
                stale = [k for k, (_t, p) in cache._data.items() if p.session_id == session_id]  # noqa: SLF001
            cache.delete_many(stale)


def rate_limit_key() -> str:
    """Who a rate limit applies to: the token when there is one, else the client address."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer " and len(header) > 7:
        return "t:" + hashlib.sha256(header[7:].strip().encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return "a:" + (request.remote_addr or "unknown")


def authenticate(scope: str) -> Principal:
    """The caller for this request, or a 401/403 problem."""
    coe = current_app.extensions["coe"]
    if not coe.settings.auth_enabled:
        if not is_loopback_host(request.remote_addr or ""):
            raise Problem(403, "authentication is off, so only loopback clients are served", kind="loopback-only")
        g.principal = LOCAL_USER
        return LOCAL_USER
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "a bearer token is required (Authorization: Bearer coe_...)", kind="authentication-required", headers=_CHALLENGE)
    principal = verify_token(token, scope)
    g.principal = principal
    return principal


def verify_token(token: str, scope: str) -> Principal:
    """The principal of a clear ``token`` holding ``scope``, or a 401/403 problem (any transport)."""
    coe = current_app.extensions["coe"]
    principal = coe.verifier.principal_for(token) if looks_like_token(token) else None
    if principal is None:
        raise Problem(401, "the bearer token is not valid", kind="invalid-token", headers=_CHALLENGE)
    if principal.revoked:
        raise Problem(401, "the bearer token was revoked", kind="invalid-token", headers=_CHALLENGE)
    if principal.expires_at is not None and principal.expires_at <= utcnow():
        raise Problem(401, "the bearer token has expired", kind="invalid-token", headers=_CHALLENGE)
    if scope not in principal.scopes:
        raise Problem(403, f"this operation needs the '{scope}' scope", kind="insufficient-scope")
    return principal


def require(scope: str, tokenless: Callable[[], Principal | None] | None = None) -> Callable[[F], F]:
    """Protect a view with a bearer token holding ``scope``; documented in OpenAPI.

    ``tokenless``, when given, may admit a request without a token: the
    principal it returns is used instead of checking one.
    """

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            admitted = tokenless() if tokenless is not None else None
            if admitted is not None:
                g.principal = admitted
            else:
                authenticate(scope)
            return view(*args, **kwargs)

        spec = dict(getattr(view, "_spec", {}))
        spec["security"] = [{SECURITY_SCHEME: [scope]}]
        wrapper._spec = spec  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorator


def current_principal() -> Principal:
    """The authenticated caller (only inside a view protected by :func:`require`)."""
    return g.principal
