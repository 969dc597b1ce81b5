"""API keys: created once, shown once, stored hashed.

A key reads ``cmk_<key_id>_<secret>``: ``key_id`` (8 hex characters) finds the row, the
secret (32 random bytes, URL-safe base64) is checked against
``sha256(salt || secret)`` with a per-key random salt, compared in constant time. The
secret is random and long, so a fast hash is enough (a slow password hash protects
guessable secrets, which these are not); the plain key is never stored.

Writes (saving a scenario, storing a run, renaming, deleting) need a key, sent as
``X-API-Key: cmk_...`` or ``Authorization: Bearer cmk_...``. Reads need none. An
**administrator key** (``is_admin``; ``critmin keys create NAME --admin``) may also list, create
and revoke keys (:mod:`critmin.web.api.admin`): :func:`verify_admin` answers 401
(:class:`ApiKeyError`) without a valid key and 403 (:class:`NotAdminError`) for any other key.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

import sqlalchemy as sa

from critmin.web.storage import db

PREFIX = "cmk"
_KEY_RE = re.compile(r"^cmk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,100})$")


class ApiKeyError(Exception):
    """A missing, malformed, unknown or revoked key; ``status`` is 401."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.status = 401


class NotAdminError(Exception):
    """A valid key that is not an administrator's, on an administrator's endpoint; answered with 403."""


def hash_secret(salt: str, secret: str) -> str:
    return hashlib.sha256(bytes.fromhex(salt) + secret.encode("utf-8")).hexdigest()


def create_key(engine: sa.Engine, name: str, admin: bool = False) -> tuple[str, dict]:
    """Create a key; return the plain key (shown once) and its stored record.

    ``admin`` keys may also list, create and revoke keys (:mod:`critmin.web.api.admin`).
    """
    name = name.strip()
    if not name or len(name) > 200:
        raise ValueError("a key needs a name of 1 to 200 characters")
    if not db.storable_text(name):
        raise ValueError("a key's name must be text without NUL characters or undecodable bytes")
    for _ in range(5):
        key_id = secrets.token_hex(4)
        if db.get_key(engine, key_id) is None:
            break
    else:  # pragma: no cover - 2**32 ids
        raise RuntimeError("could not find a free key id")
    secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii").rstrip("=")
    salt = secrets.token_hex(16)
    record = db.insert_key(engine, key_id, name, salt, hash_secret(salt, secret), admin=admin)
    return f"{PREFIX}_{key_id}_{secret}", record


def verify_key(engine: sa.Engine, presented: str | None) -> str:
    """The key id of a valid, unrevoked key; :class:`ApiKeyError` otherwise."""
    return verified_key(engine, presented)["key_id"]


def verified_key(engine: sa.Engine, presented: str | None) -> dict:
    """The stored row of a valid, unrevoked key (with ``is_admin``); :class:`ApiKeyError` otherwise."""
    if not presented:
        raise ApiKeyError("this request writes data and needs an API key: send it as the X-API-Key header "
                        "(create one with `critmin keys create NAME`)")
    m = _KEY_RE.match(presented.strip())
    if not m:
        raise ApiKeyError("malformed API key: expected cmk_<8 hex>_<secret> as printed by `critmin keys create`")
    key_id, secret = m.groups()
    row = db.get_key(engine, key_id)
    if row is None or not hmac.compare_digest(row["secret_hash"], hash_secret(row["salt"], secret)):
        raise ApiKeyError("invalid API key")
    if row["revoked_at"] is not None:
        raise ApiKeyError(f"API key {key_id} was revoked")
    db.touch_key(engine, key_id, row["last_used_at"])  # written at most once a minute
    return row


def verify_admin(engine: sa.Engine, presented: str | None) -> dict:
    """The row of a valid administrator key: :class:`ApiKeyError` (401) for no valid key,
    :class:`NotAdminError` (403) for a valid key without the administrator flag."""
    row = verified_key(engine, presented)
    if not row["is_admin"]:
        raise NotAdminError(f"API key {row['key_id']} is not an administrator key: managing keys needs one "
                            "(create it with `critmin keys create NAME --admin`, or ask an administrator)")
    return row


def presented_key(headers) -> str | None:
    """The key from ``X-API-Key`` or ``Authorization: Bearer``."""
    key = headers.get("x-api-key")
    if key:
        return key
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return None
