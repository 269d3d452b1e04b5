"""The Celery application, built from settings by :func:`create_celery`.

``celery -A worker.app worker`` works as is: ``worker.app.app`` is built from
the environment on first access (module ``__getattr__``), never at import, so
importing this module reads nothing and connects to nothing.

Delivery guarantees, and why each setting is what it is:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged
  only after its task finished, so a crashed worker process loses nothing; the
  task is idempotent (see ``worker.pipeline``) and the job store refuses to move
  a finished job, so a second run changes nothing.
- ``worker_prefetch_multiplier=1``: a worker holds no more messages than it
  runs, so a killed worker strands at most ``concurrency`` of them.
- Redis transport: an unacknowledged message returns to the queue once it is
  older than ``visibility_timeout``, found by a sweep that runs every
  ``unacked_restore_interval`` seconds on every ``unacked_restore_throttle``-th
  call (kombu defaults 10 and 10: about 100 s between sweeps). We sweep every
  ``visibility_timeout / 10`` seconds (1–10 s) with throttle 1, so a message
  held by a SIGKILLed worker runs again after about the visibility timeout
  (measured in ``tests/service/test_faults.py``: 11 s with a 10 s timeout).
- The visibility timeout also runs while a task executes or waits for its
  retry countdown, so it must exceed the hard time limit plus the longest
  countdown; :func:`retry_countdown` caps countdowns to keep that true, and
  :func:`create_celery` refuses settings that break it.
- RabbitMQ (``BROKER_URL=amqp://...``, :func:`amqp_config`): a durable quorum
  queue, persistent messages, publisher confirms (a send returns once the
  broker has the message), and no visibility timeout: an unacknowledged
  message returns as soon as its consumer's connection closes (a SIGKILLed
  worker), or when it outlives RabbitMQ's ``consumer_timeout`` (30 min by
  default; keep it above ``TASK_TIME_LIMIT``). Retry countdowns use Celery's
  native delayed delivery (the queue's exchange is a topic exchange for it)
  instead of being held by the worker. ``worker.recovery`` is not needed: a
  delivery is never outside the broker's books, so it is off.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from functools import cache

import redis
from celery import Celery, bootsteps
from kombu.exceptions import OperationalError

from common import broker, heartbeat, operations
from common.redis_client import redis_client
from common.settings import Settings, load_settings
from common.tasks import CHUNK_TASK, JOB_IDS_IN_ARGS, PROCESS_TASK, QUEUE, SWEEP_TASK

log = logging.getLogger(__name__)


def restore_interval(visibility_timeout: float) -> float:
    """Seconds between sweeps for unacknowledged messages: a tenth of the timeout, 1–10 s."""
    return min(10.0, max(1.0, visibility_timeout / 10))


MAX_COUNTDOWN = 60.0  # RabbitMQ: the longest retry countdown


def retry_countdown(retries: int, settings: Settings) -> float:
    """Exponential backoff 1, 2, 4, ... s; with Redis capped so countdown + hard limit <
    visibility timeout (a waiting retry is an unacknowledged message there)."""
    if broker.is_amqp(settings):
        return min(2.0**retries, MAX_COUNTDOWN)
    room = settings.BROKER_VISIBILITY_TIMEOUT - settings.TASK_TIME_LIMIT
    return min(2.0**retries, max(0.5, room / 2))


def check_limits(settings: Settings) -> None:
    """Refuse settings that would let the broker redeliver a task that is still running."""
    broker.check_broker_url(settings)
    if settings.TASK_SOFT_TIME_LIMIT >= settings.TASK_TIME_LIMIT:
        raise ValueError("TASK_SOFT_TIME_LIMIT must be below TASK_TIME_LIMIT")
    if broker.is_amqp(settings):
        return  # RabbitMQ redelivers on a closed connection, not after a timeout
    if settings.TASK_TIME_LIMIT + 1 >= settings.BROKER_VISIBILITY_TIMEOUT:
        raise ValueError("BROKER_VISIBILITY_TIMEOUT must exceed TASK_TIME_LIMIT (by 1 s or more)")


CONFIRM_TIMEOUT = 10.0  # RabbitMQ: how long a send waits for the broker's confirmation


def redis_config(settings: Settings) -> dict:
    """The Redis transport: visibility timeout and the sweeps that restore stranded messages."""
    visibility = settings.BROKER_VISIBILITY_TIMEOUT
    return {
        "broker_transport_options": {
            "visibility_timeout": visibility,
            "unacked_restore_interval": restore_interval(visibility),
            "unacked_restore_throttle": 1,
            # The sweep's lock; kombu keeps it 300 s, so a worker killed mid-sweep
            # would stop every sweep for 5 minutes. Restores are transactional anyway.
            "unacked_mutex_expire": max(5, 3 * restore_interval(visibility)),
            "global_keyprefix": settings.REDIS_KEY_PREFIX,
            "socket_connect_timeout": 5,
        },
    }


def amqp_config(settings: Settings) -> dict:
    """RabbitMQ: a durable quorum queue behind a topic exchange (native delayed delivery needs
    one), persistent messages and publisher confirms."""
    return {
        "broker_transport_options": {"confirm_publish": True},
        "task_default_queue_type": "quorum",
        "task_default_exchange_type": "topic",
        "task_default_delivery_mode": "persistent",
        "broker_native_delayed_delivery_queue_type": "quorum",
        "worker_detect_quorum_queues": True,
    }


def chunk_limits(settings: Settings) -> dict:
    """``exifq.chunk``'s time limits: a job's plus the chunk's budget (``worker.chunks``)."""
    from worker.chunks import budget

    extra = budget(settings, broker.is_amqp(settings))
    return {
        "soft_time_limit": settings.TASK_SOFT_TIME_LIMIT + extra,
        "time_limit": settings.TASK_TIME_LIMIT + extra,
    }


def celery_config(settings: Settings) -> dict:
    """Celery settings (lower-case names) for ``settings``."""
    transport = amqp_config(settings) if broker.is_amqp(settings) else redis_config(settings)
    return {
        "broker_url": settings.broker_url,
        "broker_connection_retry_on_startup": True,
        **transport,
        "task_default_queue": QUEUE,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_ignore_result": True,  # results live in the job store and object storage
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "task_soft_time_limit": settings.TASK_SOFT_TIME_LIMIT,
        "task_time_limit": settings.TASK_TIME_LIMIT,
        # A chunk of batch jobs starts items for ``chunks.budget`` seconds: each item that
        # starts keeps the job's whole limits.
        "task_annotations": {CHUNK_TASK: chunk_limits(settings)},
        "worker_prefetch_multiplier": 1,
        "worker_max_memory_per_child": settings.WORKER_MAX_MEMORY_PER_CHILD,
        "worker_concurrency": settings.WORKER_CONCURRENCY,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_send_task_events": False,
        "beat_schedule": {
            "sweep-expired-objects": {
                "task": SWEEP_TASK,
                "schedule": float(settings.SWEEP_INTERVAL_SECONDS),
                "options": {"expires": float(settings.SWEEP_INTERVAL_SECONDS)},
            }
        },
    }


class Heartbeat(bootsteps.StartStopStep):
    """Stamps the worker's name in Redis every few seconds (``/readyz`` counts live workers)."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None
        self.client = None

    def start(self, worker) -> None:
        settings = worker.app.exifq_settings
        self.client = redis_client(settings)
        self.prefix = settings.REDIS_KEY_PREFIX
        self._stamp(worker)
        self.timer_ref = worker.timer.call_repeatedly(
            heartbeat.INTERVAL, self._stamp, (worker,), priority=10
        )

    def _stamp(self, worker) -> None:
        from celery.worker import state

        busy = len(state.active_requests)  # exifq_jobs_in_flight
        try:
            heartbeat.stamp(self.client, self.prefix, worker.hostname, time.time(), busy)
        except redis.RedisError as exc:  # Redis away: the broker connection reports it too
            log.warning("heartbeat failed: %s", exc)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
        if self.client is not None:
            with contextlib.suppress(redis.RedisError):
                heartbeat.forget(self.client, self.prefix, worker.hostname)


class Recovery(bootsteps.StartStopStep):
    """Re-sends the tasks of jobs whose message the broker lost (``worker.recovery``), checked
    every restore interval; a job is looked at a visibility timeout after it was queued."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker) -> None:
        from common.jobs import JobStore
        from worker import recovery

        settings = worker.app.exifq_settings
        prefix, visibility = settings.REDIS_KEY_PREFIX, settings.BROKER_VISIBILITY_TIMEOUT
        jobs = JobStore(redis_client(settings), prefix=prefix, ttl=settings.RESULT_TTL_SECONDS)
        held = jobs.redis
        if settings.broker_url != settings.REDIS_URL:  # the broker is a Redis of its own
            options = {"socket_timeout": 10, "decode_responses": True}
            held = redis.Redis.from_url(settings.broker_url, **options)
        send = task_sender(worker.app)
        interval = restore_interval(visibility)

        def check() -> None:
            try:
                recovery.recover(
                    jobs,
                    lambda: recovery.pending_job_ids(held, prefix, QUEUE, JOB_IDS_IN_ARGS),
                    lambda job_id: send(PROCESS_TASK, [job_id]),
                    grace=visibility,
                    lock_seconds=max(interval, visibility / 4),
                )
            except (redis.RedisError, OperationalError) as exc:  # the broker reports it too
                log.warning("lost-message check failed: %s", exc)

        self.timer_ref = worker.timer.call_repeatedly(interval, check, priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


def create_celery(settings: Settings) -> Celery:
    """The Celery app for ``settings``; connects to nothing until it is used."""
    from worker import exporter, webhooks

    check_limits(settings)
    operations.load_modules(settings.OPERATION_MODULES)
    app = Celery("exifq", include=["worker.tasks"])
    app.config_from_object(celery_config(settings))
    app.exifq_settings = settings
    app.steps["worker"].add(Heartbeat)
    if not broker.is_amqp(settings):  # RabbitMQ has no window in which a message is lost
        app.steps["worker"].add(Recovery)
    app.steps["worker"].add(webhooks.Poller)  # webhook retries that are due
    app.steps["worker"].add(exporter.Exporter)  # WORKER_METRICS_PORT
    return app


def task_sender(celery: Celery) -> Callable[[str, list], None]:
    """``(task name, args) -> None``: send a task to the workers' queue through ``celery``
    (with RabbitMQ, once the broker confirmed it, or ``OperationalError``-like failure)."""
    if broker.is_amqp(celery.exifq_settings):
        return lambda name, args: celery.send_task(
            name, args=args, queue=QUEUE, confirm_timeout=CONFIRM_TIMEOUT
        )
    return lambda name, args: celery.send_task(name, args=args, queue=QUEUE)


@cache
def _app_from_environment() -> Celery:
    return create_celery(load_settings())


def __getattr__(name: str) -> Celery:
    """``worker.app.app``: the app for the environment's settings, built on first access
    (what ``celery -A worker.app`` and ``exifq worker`` run)."""
    if name == "app":
        return _app_from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
