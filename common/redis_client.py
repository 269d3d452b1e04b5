"""The Redis connection the job store, the API and the workers share (not Celery's broker pool)."""

from __future__ import annotations

import redis

from common.settings import Settings


def redis_client(settings: Settings) -> redis.Redis:
    """A client for ``REDIS_URL`` that fails fast when Redis is away (connects lazily)."""
    return redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=3,
        socket_timeout=10,
        health_check_interval=30,
        retry_on_timeout=False,
        decode_responses=True,
    )
