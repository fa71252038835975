"""Dashboard sign-in: a token typed once per browser session, kept in a cookie scripts cannot read.

The cookie holds the token itself (so revoking or expiring the token ends
the browser session at once) and is ``HttpOnly``, ``SameSite=Strict``, has no
expiry (it ends with the browser session), is ``Secure`` when the request
came over https, and is scoped to the dashboard's path. It is accepted only
by the dashboard's own routes, never by ``/api/``, so no API operation can be
triggered through it. The dashboard's only state-changing requests (sign-in
and sign-out) are refused unless they come from the dashboard's own origin
(``Origin`` or ``Sec-Fetch-Site``), which closes login and logout CSRF.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, request, url_for

from ..auth import LOCAL_USER, Principal, verify_token
from ..config import is_loopback_host
from ..problems import Problem

COOKIE = "coe_dashboard"
COOKIE_PATH = "/dashboard"
#: What a dashboard needs: reading.
SCOPE = "read"


class SignInRequired(Exception):
    """The browser has no valid token (none, invalid, expired, revoked); ``reason`` says which."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def auth_enabled() -> bool:
    return bool(current_app.extensions["coe"].settings.auth_enabled)


def dashboard_principal() -> Principal:
    """Who is looking at the dashboard: from the session cookie, or the local user when auth is off."""
    if not auth_enabled():
        if not is_loopback_host(request.remote_addr or ""):
            raise Problem(403, "authentication is off, so only loopback clients are served", kind="loopback-only")
        g.principal = LOCAL_USER
        return LOCAL_USER
    token = request.cookies.get(COOKIE, "")
    if not token:
        raise SignInRequired("Sign in with a token to see the dashboard.")
    try:
        principal = verify_token(token, SCOPE)
    except Problem as exc:
        raise SignInRequired(f"Sign in again: {exc.message}.") from None
    g.principal = principal
    return principal


def check_same_origin() -> None:
    """Refuse a state-changing request that another site made the browser send (CSRF)."""
    fetch_site = request.headers.get("Sec-Fetch-Site", "")
    if fetch_site and fetch_site not in ("same-origin", "none"):
        raise Problem(403, "cross-site requests to the dashboard are refused", kind="cross-site")
    origin = request.headers.get("Origin", "")
    if origin and origin != "null":
        expected = urlsplit(request.host_url)
        given = urlsplit(origin)
        if (given.scheme, given.netloc) != (expected.scheme, expected.netloc):
            raise Problem(403, "cross-site requests to the dashboard are refused", kind="cross-site")
    elif origin == "null":
        raise Problem(403, "cross-site requests to the dashboard are refused", kind="cross-site")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a dashboard path of this site only (no open redirect)."""
    if target and target.startswith(COOKIE_PATH + "/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("dashboard.portfolio")


def signed_in(token: str, target: str | None) -> Response:
    """Verify ``token`` and answer with the session cookie and a redirect (a Problem when it is refused)."""
    verify_token(token, SCOPE)
    response = redirect(safe_next(target), code=303)
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", secure=request.is_secure, path=COOKIE_PATH)
    return response


def signed_out() -> Response:
    response = redirect(url_for("dashboard.sign_in"), code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="Strict", secure=request.is_secure)
    return response
