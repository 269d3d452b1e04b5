"""Webhook deliveries: the first attempt goes as an ``exifq.webhook`` task as soon as the job or
batch finishes; later attempts wait in one Redis sorted set (the delivery as JSON → when it is
due) until a worker's main process takes them (``worker.webhooks.Poller``).

Waits of minutes to hours cannot be Celery countdowns: with the Redis broker a
message held longer than the visibility timeout is delivered again, and a
worker holds every message with a countdown in memory. A sorted set costs
one ``ZADD`` per wait and one script per poll, and survives restarts of
every worker. :meth:`WebhookQueue.take_due` reads and removes in one Lua
call, so two workers never both take a delivery.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

import redis

from common.tasks import WEBHOOK_TASK

log = logging.getLogger(__name__)

JOB, BATCH = "job", "batch"

_TAKE_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""


@dataclass(frozen=True)
class Delivery:
    """The next attempt to POST a finished job's or batch's status to its ``callbackUrl``."""

    kind: str  # JOB or BATCH (plain or similarity)
    id: str
    attempt: int = 1
    first_at: float | None = None  # when the first attempt was made

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, value: dict) -> Delivery:
        return cls(**value)


class WebhookQueue:
    """Deliveries waiting for their next attempt, under ``{prefix}webhooks-due``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.redis = client
        self.key = f"{prefix}webhooks-due"
        self._take = client.register_script(_TAKE_DUE)

    def schedule(self, delivery: Delivery, due: float) -> None:
        self.redis.zadd(self.key, {json.dumps(delivery.to_json(), sort_keys=True): due})

    def take_due(self, now: float, limit: int = 100) -> list[Delivery]:
        """Up to ``limit`` deliveries due by ``now``, removed from the queue."""
        raw = self._take(keys=[self.key], args=[now, limit])
        return [Delivery.from_json(json.loads(entry)) for entry in raw]

    def __len__(self) -> int:
        return self.redis.zcard(self.key)


def request_delivery(
    send_task: Callable[[str, list], None], queue: WebhookQueue, delivery: Delivery, now: float
) -> None:
    """Send the delivery's task; if the broker refuses, leave it in ``queue`` due now (a poller
    sends it later). Never raises for the broker: the job it reports on is already finished."""
    try:
        send_task(WEBHOOK_TASK, [delivery.to_json()])
    except Exception as exc:  # kombu's OperationalError, a closed connection, ...
        log.warning(
            "webhook %s %s: task not sent (%s); queued instead", delivery.kind, delivery.id, exc
        )
        with contextlib.suppress(redis.RedisError):
            queue.schedule(delivery, now)
