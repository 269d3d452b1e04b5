"""Which workers are alive: each worker stamps its name in a Redis sorted set every few seconds.

``/readyz`` counts the names stamped within ``LIVE_WITHIN`` seconds, one
ZCOUNT, instead of a broadcast ping that waits for answers.
"""

from __future__ import annotations

import redis

INTERVAL = 5.0  # seconds between stamps
LIVE_WITHIN = 3 * INTERVAL  # a worker missing three stamps counts as gone


def _key(prefix: str) -> str:
    return f"{prefix}workers"


def stamp(client: redis.Redis, prefix: str, worker: str, now: float) -> None:
    """Record that ``worker`` is alive at ``now`` and forget workers silent for an hour."""
    pipe = client.pipeline(transaction=False)
    pipe.zadd(_key(prefix), {worker: now})
    pipe.zremrangebyscore(_key(prefix), "-inf", now - 3600)
    pipe.execute()


def forget(client: redis.Redis, prefix: str, worker: str) -> None:
    """Remove ``worker`` (it is shutting down)."""
    client.zrem(_key(prefix), worker)


def live_workers(client: redis.Redis, prefix: str, now: float) -> int:
    """How many workers stamped within ``LIVE_WITHIN`` seconds of ``now``."""
    return client.zcount(_key(prefix), now - LIVE_WITHIN, "+inf")
