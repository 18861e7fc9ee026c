"""Password hashes (argon2id) and API tokens (random; only a digest is stored)."""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from erm_graph.errors import ErmError

_HASHER = PasswordHasher()
MIN_PASSWORD = 10
TOKEN_PREFIX = "erm_"


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ErmError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy() -> str:
    """Verified against when the user does not exist, so a miss costs what a wrong password
    costs and timing does not tell which names exist."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def digest(secret: str) -> str:
    """Tokens and session ids carry 256 random bits: a plain SHA-256 is enough to store."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_token() -> tuple[str, str, str]:
    """``(token, id, digest)``: the token is shown once; the id finds its row."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{TOKEN_PREFIX}{token_id}_{secret}", token_id, digest(secret)


def split_token(token: str) -> tuple[str, str] | None:
    """``(id, secret)`` of a well-formed token, else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    token_id, _, secret = token[len(TOKEN_PREFIX):].partition("_")
    if len(token_id) != 12 or not secret:
        return None
    return token_id, secret


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
