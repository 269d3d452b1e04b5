"""API keys: ``X-API-Key: KEY`` or ``?key=KEY``, from ``API_KEYS`` or managed in Redis.

Keys from settings are compared in constant time; managed keys
(``common.keys``, ``exifq keys``) are found by their hash, read from Redis on
every request (so a revocation holds at once everywhere) and remembered only
for the rest of that request. The service is open when ``API_KEYS`` is empty
and no managed key was ever created (revoking the last one leaves it closed).
A job stores a hash of the key that created it (never the key), so a job
created with one key is not found with another.

A blueprint whose clients send the key another way (the drop-in adapters'
``Authorization`` headers) registers a reader with :func:`read_key_with`;
everything keyed on the caller — ownership, the rate limit — then uses it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Request, g, request

from api.services import services
from common.errors import ExifqError
from common.keys import KeyStore

_READERS: dict[str, Callable[[Request], str | None]] = {}


class InvalidApiKey(ExifqError):
    code = "unauthorized"
    http_status = 401


@dataclass(frozen=True)
class Caller:
    """Who sent the request, as far as its key tells."""

    presented: bool  # the request carries a key
    owner: str | None  # the hash of its key when valid; "" on an open service
    key_id: str | None = None  # a managed key's id ("" for a key from API_KEYS)
    rate_limit: str = ""  # the key's own rate limit ("" for the service's)

    @property
    def valid(self) -> bool:
        return self.owner is not None


def read_key_with(blueprint: Blueprint, reader: Callable[[Request], str | None]) -> None:
    """Make requests to ``blueprint``'s routes present the key ``reader`` finds."""
    _READERS[blueprint.name] = reader


def presented_key() -> str | None:
    """The key the request carries, if any."""
    reader = _READERS.get(request.blueprint or "")
    if reader is not None:
        return reader(request) or None
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


def _caller_for(keys: frozenset[str], store: KeyStore, given: str | None) -> Caller:
    """Who presents ``given``: a key from ``keys`` (settings), else a managed key (one Redis
    round trip, only when there is a key to look up)."""
    if given is None:
        return Caller(presented=False, owner=None)
    if key_matches(given, keys):
        return Caller(presented=True, owner=owner_hash(given), key_id="")
    found = store.lookup(given)
    if found.key is not None:
        key = found.key
        return Caller(True, key.digest, key.id, key.rate_limit)
    is_open = not keys and not found.required  # an unknown key is no key on an open service
    return Caller(presented=True, owner="" if is_open else None)


def identify(keys: frozenset[str], store: KeyStore) -> Caller:
    """The caller the request's key (:func:`presented_key`) names; computed once per request."""
    if "exifq_caller" not in g:
        g.exifq_caller = _caller_for(keys, store, presented_key())
    return g.exifq_caller


def request_owner(keys: frozenset[str], *, required: bool) -> str | None:
    """The hash of the request's valid key (``""`` on an open service); ``None`` when it carries
    none and none is required (a UUID alone finds a job).

    Raises ``InvalidApiKey`` for a wrong key, or a missing one when ``required``
    and the service is not open.
    """
    return key_owner(keys, presented_key(), required=required)


def key_owner(keys: frozenset[str], given: str | None, *, required: bool) -> str | None:
    """:func:`request_owner` for a key the caller found (the drop-in adapters read theirs
    from their own headers and fields: ``api.compat``)."""
    store = services().keys
    if given is not None and given == presented_key():
        caller = identify(keys, store)
    else:
        caller = _caller_for(keys, store, given)
    if not caller.presented:
        if not required:
            return None
        if keys or store.lookup(None).required:
            raise InvalidApiKey("API key required")
        return ""
    if not caller.valid:
        raise InvalidApiKey("Invalid API key")
    return caller.owner
