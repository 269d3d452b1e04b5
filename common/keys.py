"""Managed API keys in Redis, made and revoked with ``exifq keys``; ``API_KEYS`` keys work beside.

A key is shown once, when it is created; Redis keeps only its SHA-256, the
same hash a job keeps of the key that created it (``api.auth.owner_hash``).
Keys are 256 random bits, so a fast hash is enough: stretching (bcrypt,
scrypt) protects guessable passwords, and nothing here can be guessed.

- ``{prefix}apikey:{sha256 hex}`` — a hash: ``id``, ``name``, ``rate_limit``, ``created_at``.
- ``{prefix}apikeys`` — a hash, key id → SHA-256: listing and revoking by id.
- ``{prefix}apikeys-required`` — set by the first ``create`` and never unset: from then on
  the service requires a key even with ``API_KEYS`` empty, and revoking the last managed
  key leaves it closed rather than open to anyone.

- ``{prefix}apikeys-events`` — a channel: ``create`` publishes ``created`` on it after
  setting the marker, in the same transaction.

A request that presents a managed key reads the marker and the key's record in one round
trip, and the record is cached nowhere, so a revoked key (deleted in one transaction) fails
on the next request on every API process. A request without a key needs only the marker,
which an API process caches (``marker`` below, ``common.completions``): set is final;
unset only while subscribed to the events channel and read after subscribing, else read.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import limits
import redis

from common.clock import Clock, SystemClock

KEY_PREFIX = "exq_"  # marks our keys in logs and secret scanners


def required_key(prefix: str) -> str:
    """The marker set by the first ``create``: managed keys are required."""
    return f"{prefix}apikeys-required"


def events_channel(prefix: str) -> str:
    """Where ``create`` announces that the marker is set."""
    return f"{prefix}apikeys-events"


class MarkerCache(Protocol):
    """What a process knows of the marker without reading it (``common.completions``)."""

    def keys_required(self) -> bool | None: ...  # None: not known, read it

    def saw_required(self) -> None: ...


def generate_key() -> str:
    """A new secret key: ``exq_`` and 43 URL-safe characters (256 random bits)."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def key_digest(key: str) -> str:
    """What Redis keeps of a key: its SHA-256, hex."""
    return hashlib.sha256(key.encode()).hexdigest()


def check_rate_limit(text: str) -> str:
    """``text`` if it is a rate limit ``limits`` reads (``60/minute``, ``10/second;1000/day``);
    ``ValueError`` otherwise."""
    text = text.strip()
    try:
        parsed = limits.parse_many(text)
    except ValueError as exc:
        raise ValueError(f"not a rate limit: {text!r} (say e.g. 60/minute)") from exc
    if not parsed:
        raise ValueError(f"not a rate limit: {text!r} (say e.g. 60/minute)")
    return text


@dataclass(frozen=True)
class ManagedKey:
    id: str
    name: str
    rate_limit: str  # "" for the service's RATE_LIMIT
    created_at: float
    digest: str


@dataclass(frozen=True)
class Lookup:
    """What one request learns: whether managed keys are in use, and the key presented."""

    required: bool  # a managed key was ever created: the service is not open
    key: ManagedKey | None


class KeyStore:
    """Managed keys under ``prefix`` in ``client`` (a ``decode_responses`` client)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        clock: Clock | None = None,
        marker: Callable[[], MarkerCache] | None = None,
    ) -> None:
        self.redis = client
        self.prefix = prefix
        self.clock = clock or SystemClock()
        self._marker = marker  # the process's cache of the marker, if it has one

    @property
    def index_key(self) -> str:
        return f"{self.prefix}apikeys"

    def record_key(self, digest: str) -> str:
        return f"{self.prefix}apikey:{digest}"

    @property
    def required_key(self) -> str:
        return required_key(self.prefix)

    def create(self, name: str = "", rate_limit: str = "") -> tuple[ManagedKey, str]:
        """A new key and its secret (show it once: it cannot be read back)."""
        if rate_limit:
            rate_limit = check_rate_limit(rate_limit)
        secret = generate_key()
        key = ManagedKey(
            id=f"key_{secrets.token_hex(6)}",
            name=name,
            rate_limit=rate_limit,
            created_at=self.clock.now(),
            digest=key_digest(secret),
        )
        fields = {"id": key.id, "name": name, "rate_limit": rate_limit}
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(self.record_key(key.digest), mapping={**fields, "created_at": key.created_at})
        pipe.hset(self.index_key, key.id, key.digest)
        pipe.set(self.required_key, "1")
        pipe.publish(events_channel(self.prefix), "created")  # to every API process's cache
        pipe.execute()
        return key, secret

    def list(self) -> list[ManagedKey]:
        """Every managed key, oldest first."""
        digests = self.redis.hvals(self.index_key)
        pipe = self.redis.pipeline(transaction=False)
        for digest in digests:
            pipe.hgetall(self.record_key(digest))
        found = [
            _decode(raw, digest) for raw, digest in zip(pipe.execute(), digests, strict=True) if raw
        ]
        return sorted(found, key=lambda key: key.created_at)

    def revoke(self, key_id: str) -> bool:
        """Delete key ``key_id``; whether it existed."""
        digest = self.redis.hget(self.index_key, key_id)
        if digest is None:
            return False
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(self.record_key(digest))
        pipe.hdel(self.index_key, key_id)
        pipe.execute()
        return True

    def lookup(self, key: str | None) -> Lookup:
        """Whether keys are required, and ``key``'s record if it is one: one round trip, or
        none when there is no key to look up and the process's cache knows the marker."""
        cache = self._marker() if self._marker is not None and key is None else None
        if cache is not None:
            known = cache.keys_required()
            if known is not None:
                return Lookup(known, None)
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(self.required_key)
        if key is not None:
            pipe.hgetall(self.record_key(key_digest(key)))
        required, *record = pipe.execute()
        raw = record[0] if record else None
        if required and cache is not None:
            cache.saw_required()
        return Lookup(bool(required), _decode(raw, key_digest(key)) if raw else None)


def _decode(raw: dict[str, str], digest: str) -> ManagedKey:
    return ManagedKey(
        id=raw["id"],
        name=raw.get("name", ""),
        rate_limit=raw.get("rate_limit", ""),
        created_at=float(raw.get("created_at", 0)),
        digest=digest,
    )
