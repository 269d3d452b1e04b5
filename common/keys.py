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

A request reads the marker and its key's record in one round trip and nothing
is cached beyond the request, so a revoked key (deleted in one transaction)
fails on the next request on every API process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import limits
import redis

from common.clock import Clock, SystemClock

KEY_PREFIX = "exq_"  # marks our keys in logs and secret scanners


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

    def __init__(self, client: redis.Redis, prefix: str, clock: Clock | None = None) -> None:
        self.redis = client
        self.prefix = prefix
        self.clock = clock or SystemClock()

    @property
    def index_key(self) -> str:
        return f"{self.prefix}apikeys"

    def record_key(self, digest: str) -> str:
        return f"{self.prefix}apikey:{digest}"

    @property
    def required_key(self) -> str:
        return f"{self.prefix}apikeys-required"

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
        """Whether keys are required, and ``key``'s record if it is one: one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(self.required_key)
        if key is not None:
            pipe.hgetall(self.record_key(key_digest(key)))
        required, *record = pipe.execute()
        raw = record[0] if record else None
        return Lookup(bool(required), _decode(raw, key_digest(key)) if raw else None)


def _decode(raw: dict[str, str], digest: str) -> ManagedKey:
    return ManagedKey(
        id=raw["id"],
        name=raw.get("name", ""),
        rate_limit=raw.get("rate_limit", ""),
        created_at=float(raw.get("created_at", 0)),
        digest=digest,
    )
