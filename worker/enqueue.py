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

``exifq.process`` is sent for every single job, and Celery takes about 0.1 ms
of CPU to build each of its messages. :class:`ProcessMessages` has Celery build
one, with a stand-in job id, and then fills in each job's ids (task id, the
job id in the body and its repr, a new delivery tag): the same message, in
a tenth of the time (``tests/unit/service/test_enqueue.py`` compares the two).
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections.abc import Callable

from celery import Celery
from kombu import Producer

from common import broker
from common.tasks import PROCESS_TASK, QUEUE

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
    built = built_by_celery(celery)
    process = ProcessMessages(built)

    def commands(name: str, args: list) -> list[Command]:
        if name == PROCESS_TASK and len(args) == 1 and isinstance(args[0], str):
            return process.commands(args[0])
        return built(name, args)

    return commands


def built_by_celery(celery: Celery) -> Callable[[str, list], list[Command]]:
    """``(task name, args) -> commands`` with every message built by Celery's ``send_task``."""
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


_STAND_IN = "00000000-0000-4000-8000-00000000cafe"  # a job id no job has


class ProcessMessages:
    """``exifq.process`` messages from one that Celery built (``build(name, args)``, made on
    first use): each job's ids filled in, everything else as Celery made it. Should Celery's
    message ever not be the one ``LPUSH`` this expects, every message is Celery's own."""

    def __init__(self, build: Callable[[str, list], list[Command]]) -> None:
        self._build = build
        self._template: tuple | None = None

    def _made(self) -> tuple | None:
        if self._template is None:
            made = self._build(PROCESS_TASK, [_STAND_IN])
            self._template = (False,)
            if len(made) == 1 and made[0][0] == "lpush" and len(made[0][1]) == 2:
                key, text = made[0][1]
                message = json.loads(text)
                body = base64.b64decode(message["body"]).decode()
                headers, properties = message["headers"], message["properties"]
                if (
                    _STAND_IN in body
                    and properties.get("body_encoding") == "base64"
                    and headers.get("root_id") == headers.get("id")
                    and properties.get("correlation_id") == headers.get("id")
                ):
                    self._template = (True, key, message, body)
        return self._template if self._template[0] else None

    def commands(self, job_id: str) -> list[Command]:
        """The commands that deliver ``exifq.process(job_id)``."""
        template = self._made()
        if template is None:
            return self._build(PROCESS_TASK, [job_id])
        _, key, message, body = template
        task_id = str(uuid.uuid4())
        headers = {**message["headers"], "id": task_id, "root_id": task_id}
        headers["argsrepr"] = headers["argsrepr"].replace(_STAND_IN, job_id)
        properties = {
            **message["properties"],
            "correlation_id": task_id,
            "delivery_tag": str(uuid.uuid4()),
        }
        filled = {
            **message,
            "body": base64.b64encode(body.replace(_STAND_IN, job_id).encode()).decode(),
            "headers": headers,
            "properties": properties,
        }
        return [("lpush", (key, json.dumps(filled)))]


def _prefixed(prefix: str, command: Command) -> Command:
    """``LPUSH`` / ``PEXPIRE``: the key (the first argument) under kombu's global key prefix."""
    name, args = command
    if name not in ("lpush", "pexpire"):
        raise RuntimeError(f"kombu delivers a message with {name!r}, which is not folded")
    return name, (f"{prefix}{args[0]}", *args[1:])
