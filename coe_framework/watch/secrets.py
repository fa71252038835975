"""Webhook secrets: Fernet-encrypted where the secret itself is needed (HMAC), SHA-256 where comparing is enough.

GitHub and Gitea sign the body with the secret (HMAC-SHA256), so the server
must be able to recover it: it is stored encrypted with the Fernet key in
``COE_WEBHOOK_SECRET_KEY``. GitLab sends the token itself, so its SHA-256 is
all the server keeps for that comparison. Comparisons are constant-time.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets as _random
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily at run time
    from cryptography.fernet import Fernet

from ..errors import BadInput

#: Bytes of randomness in a generated secret.
GENERATED_BYTES = 32
#: Longest secret accepted (what a user pastes).
MAX_SECRET_LENGTH = 256


class SecretKeyError(BadInput, ValueError):
    """The Fernet key is missing or malformed, or a stored secret cannot be decrypted (one line).

    Bad input; a ``ValueError`` too, as callers caught before the error kinds existed.
    """


def generate_secret() -> str:
    """A new random secret to configure on the Git host."""
    return "whsec_" + _random.token_urlsafe(GENERATED_BYTES)


def check_secret(secret: str) -> str:
    """``secret`` stripped, or ValueError when it is unusable."""
    value = (secret or "").strip()
    if len(value) < 16:
        raise ValueError("a webhook secret must have at least 16 characters")
    if len(value) > MAX_SECRET_LENGTH or not value.isprintable():
        raise ValueError(f"a webhook secret must be at most {MAX_SECRET_LENGTH} printable characters")
    return value


def hash_secret(secret: str) -> str:
    """The SHA-256 hex digest kept for token comparison."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _fernet(key: str | None) -> Fernet:
    if not key:
        raise SecretKeyError("COE_WEBHOOK_SECRET_KEY is not set; webhook secrets need it (see docs/deployment.md)")
    from cryptography.fernet import Fernet

    try:
        return Fernet(key.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise SecretKeyError("COE_WEBHOOK_SECRET_KEY is not a Fernet key (32 url-safe base64-encoded bytes)") from None


def encrypt_secret(secret: str, key: str | None) -> str:
    """``secret`` encrypted with the Fernet ``key`` (a url-safe text token)."""
    return _fernet(key).encrypt(secret.encode("utf-8")).decode("ascii")


def decrypt_secret(token: str, key: str | None) -> str:
    """The secret inside ``token``; :class:`SecretKeyError` when the key does not open it."""
    from cryptography.fernet import InvalidToken

    try:
        return _fernet(key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise SecretKeyError("a stored webhook secret cannot be decrypted with COE_WEBHOOK_SECRET_KEY (was the key changed?)") from None


def hmac_sha256_hex(secret: str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``body`` under ``secret``."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time string equality."""
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))
