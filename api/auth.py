"""API keys: ``X-API-Key: KEY`` or ``?key=KEY``, checked in constant time.

With no keys configured the service is open. A job stores a hash of the key
that created it (never the key), so a job created with one key is not found
with another.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import request

from common.errors import ExifqError


class InvalidApiKey(ExifqError):
    code = "unauthorized"
    http_status = 401


def presented_key() -> str | None:
    """The key the request carries, if any."""
    return request.headers.get("X-API-Key") or request.args.get("key") or None


def key_matches(given: str, keys: frozenset[str]) -> bool:
    """Whether ``given`` is one of ``keys``; compares with every key, each in constant time."""
    given_bytes = given.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(given_bytes, key.encode())
    return found


def owner_hash(key: str) -> str:
    """What a job stores about its owner: the SHA-256 of the key."""
    return hashlib.sha256(key.encode()).hexdigest()


def request_owner(keys: frozenset[str], *, required: bool) -> str | None:
    """The hash of the request's valid key; ``None`` when it carries none and none is required.

    Raises ``InvalidApiKey`` for a wrong key, or a missing one when ``required``.
    An open service (no keys) has no owners: always ``""``.
    """
    return key_owner(keys, presented_key(), required=required)


def key_owner(keys: frozenset[str], given: str | None, *, required: bool) -> str | None:
    """:func:`request_owner` for a key the caller found (the drop-in adapters read theirs
    from their own headers and fields: ``api.compat``)."""
    if not keys:
        return ""
    if given is None:
        if required:
            raise InvalidApiKey("API key required")
        return None
    if not key_matches(given, keys):
        raise InvalidApiKey("Invalid API key")
    return owner_hash(given)
