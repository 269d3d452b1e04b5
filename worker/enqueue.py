"""A task's message as the Redis commands that deliver it, to run in someone else's transaction.

With the Redis broker on the job store's own Redis (``BROKER_URL`` equal to
``REDIS_URL``), a job's record and its task message can be written in one
``MULTI``/``EXEC``: one round trip, and no job without its message or message
without its job. Celery builds the message exactly as ``send_task`` does
(headers, properties, serializer, routing to the anonymous exchange with the
queue's name as routing key); kombu's Redis channel encodes it and names the
commands that deliver it (``LPUSH`` onto the queue's list) through the hook of
its batch publisher (``_publish_batch``, kombu ≥ 5.7), and this module hands
them back instead of running them. Nothing is declared: the queue is a Redis
list that the worker's consumer reads by name.

Any other broker (RabbitMQ, a Redis of its own) has no transaction to share:
:func:`task_commands` gives ``None`` there and the caller sends the task after
writing the job, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from celery import Celery
from kombu import Producer

from common import broker
from common.tasks import QUEUE

Command = tuple[str, tuple]


class _Collected:
    """Stands in for kombu's ``PublishBatch``: receives the commands that deliver one message."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    def add(self, name: str, *args: object) -> None:
        self.commands.append((name, args))


class _CommandProducer(Producer):
    """A producer that routes and encodes each message but runs nothing: the commands that
    would deliver it land in ``self.collected``."""

    collected: _Collected

    def _publish(self, body, priority, content_type, content_encoding, headers, properties,
                 routing_key, mandatory, immediate, exchange, *_, **__):  # fmt: skip
        channel = self.channel
        message = channel.prepare_message(
            body, priority, content_type, content_encoding, headers, properties
        )
        channel.basic_publish(
            message, exchange=exchange, routing_key=routing_key, _publish_batch=self.collected
        )


def foldable(celery: Celery) -> bool:
    """Whether a task message can ride in the job store's transaction (the broker is the
    job store's Redis, and kombu's Redis channel takes a batch publisher)."""
    settings = celery.exifq_settings
    if broker.is_amqp(settings) or settings.broker_url != settings.REDIS_URL:
        return False
    from kombu.transport.redis import Channel

    return hasattr(Channel, "create_publish_batch")


def task_commands(celery: Celery) -> Callable[[str, list], list[Command]] | None:
    """``(task name, args) -> [(command, args), ...]``: the Redis commands (keys with the
    transport's ``global_keyprefix``) that put the task on the workers' queue; ``None`` when
    the broker cannot share the job store's transaction (see :func:`foldable`)."""
    if not foldable(celery):
        return None
    prefix = celery.conf.broker_transport_options.get("global_keyprefix", "")
    local = threading.local()

    def producer() -> _CommandProducer:
        made = getattr(local, "producer", None)
        if made is None:
            channel = celery.connection_for_write().default_channel
            made = local.producer = _CommandProducer(channel, auto_declare=False)
        return made

    def commands(name: str, args: list) -> list[Command]:
        made = producer()
        made.collected = _Collected()
        celery.send_task(name, args=args, queue=QUEUE, producer=made)
        return [_prefixed(prefix, command) for command in made.collected.commands]

    return commands


def _prefixed(prefix: str, command: Command) -> Command:
    """``LPUSH`` / ``PEXPIRE``: the key (the first argument) under kombu's global key prefix."""
    name, args = command
    if name not in ("lpush", "pexpire"):
        raise RuntimeError(f"kombu delivers a message with {name!r}, which is not folded")
    return name, (f"{prefix}{args[0]}", *args[1:])
