"""Celery's broker as the rest of exifq sees it: which kind it is, and how many jobs wait in it.

``BROKER_URL`` names it (default ``REDIS_URL``): ``redis://`` / ``rediss://``
(kombu's Redis transport, the queue a Redis list) or ``amqp://`` / ``amqps://``
(RabbitMQ, a durable quorum queue). Redis stays the job store either way.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import redis
from kombu.transport.redis import PRIORITY_STEPS, Channel

from common.settings import Settings
from common.tasks import QUEUE

AMQP_SCHEMES = frozenset({"amqp", "amqps", "pyamqp"})
REDIS_SCHEMES = frozenset({"redis", "rediss", "sentinel", "socket", "redis+socket"})


def scheme(url: str) -> str:
    return urlsplit(url).scheme.lower()


def is_amqp(settings: Settings) -> bool:
    """Whether the broker is RabbitMQ (AMQP 0-9-1)."""
    return scheme(settings.broker_url) in AMQP_SCHEMES


def check_broker_url(settings: Settings) -> None:
    """Refuse a broker URL of a kind exifq is not built for (``ValueError``)."""
    kind = scheme(settings.broker_url)
    if kind not in AMQP_SCHEMES | REDIS_SCHEMES:
        raise ValueError(f"BROKER_URL must be redis://... or amqp://..., not {kind}://...")


def redis_queue_keys(prefix: str, queue: str = QUEUE) -> list[str]:
    """The Redis lists holding ``queue``'s messages, one per priority step (kombu's names)."""
    return [
        f"{prefix}{queue}{Channel.sep}{step}" if step else f"{prefix}{queue}"
        for step in PRIORITY_STEPS
    ]


def redis_queue_depth(client: redis.Redis, prefix: str, queue: str = QUEUE) -> int:
    """Messages waiting in ``queue`` on a Redis broker (not those delivered and unacknowledged)."""
    pipe = client.pipeline(transaction=False)
    for key in redis_queue_keys(prefix, queue):
        pipe.llen(key)
    return sum(pipe.execute())


def amqp_queue_depth(url: str, queue: str = QUEUE, timeout: float = 2.0) -> int:
    """Messages ready in ``queue`` on RabbitMQ (a passive declare: it creates nothing); 0 when
    no worker has declared it yet. Raises ``OSError`` / ``amqp`` errors when unreachable."""
    from amqp.exceptions import NotFound
    from kombu import Connection

    options = {"read_timeout": timeout, "write_timeout": timeout}
    with Connection(url, connect_timeout=timeout, transport_options=options) as connection:
        channel = connection.channel()
        try:
            _, ready, _ = channel.queue_declare(queue=queue, passive=True)
        except NotFound:
            return 0
        return ready
