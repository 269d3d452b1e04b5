"""Which workers are alive: each worker stamps its name in a Redis sorted set every few seconds.

``/readyz`` counts the names stamped within ``LIVE_WITHIN`` seconds, one
ZCOUNT, instead of a broadcast ping that waits for answers. A stamp also
says how many jobs the worker is running (``exifq_jobs_in_flight``).
"""

from __future__ import annotations

import redis

INTERVAL = 5.0  # seconds between stamps
LIVE_WITHIN = 3 * INTERVAL  # a worker missing three stamps counts as gone


def _key(prefix: str) -> str:
    return f"{prefix}workers"


def _busy_key(prefix: str) -> str:
    return f"{prefix}workers-busy"


def stamp(
    client: redis.Redis, prefix: str, worker: str, now: float, busy: int | None = None
) -> None:
    """Record that ``worker`` is alive at ``now`` (running ``busy`` jobs) and forget workers
    silent for an hour."""
    pipe = client.pipeline(transaction=False)
    pipe.zadd(_key(prefix), {worker: now})
    pipe.zremrangebyscore(_key(prefix), "-inf", now - 3600)
    if busy is not None:
        pipe.hset(_busy_key(prefix), worker, busy)
    pipe.execute()


def forget(client: redis.Redis, prefix: str, worker: str) -> None:
    """Remove ``worker`` (it is shutting down)."""
    client.pipeline(transaction=False).zrem(_key(prefix), worker).hdel(
        _busy_key(prefix), worker
    ).execute()


def live_workers(client: redis.Redis, prefix: str, now: float) -> int:
    """How many workers stamped within ``LIVE_WITHIN`` seconds of ``now``."""
    return client.zcount(_key(prefix), now - LIVE_WITHIN, "+inf")


def in_flight(client: redis.Redis, prefix: str, now: float) -> int:
    """Jobs the live workers said they were running at their last stamp."""
    names = client.zrangebyscore(_key(prefix), now - LIVE_WITHIN, "+inf")
    if not names:
        return 0
    return sum(int(busy or 0) for busy in client.hmget(_busy_key(prefix), names))
