"""Webhook deliveries (``callbackUrl``): one attempt per ``exifq.webhook`` task, retries through
the webhook queue (``common.webhook_queue``), signed as ``common.webhooks`` says.

The job's own task only sends the delivery's task (:func:`request`) after the
job is finished, so a slow or failing receiver never holds a job. An attempt
POSTs the status body (``common.bodies``, what the status URL answers) through
the SSRF-safe loader (``Runtime.post``: every resolved address checked, no
redirects followed, ``WEBHOOK_TIMEOUT``). A 2xx answer ends it; any other
answer or a network failure schedules the next attempt after a doubling wait,
until ``WEBHOOK_RETRY_HOURS`` after the first; an address the policy refuses
ends it at once. Every outcome is counted (``exifq_webhook_deliveries_total``).

Each worker's main process runs :class:`Poller`: every second it takes the
deliveries that are due and sends their tasks.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time

import redis
from celery import bootsteps
from kombu.exceptions import OperationalError

from common import bodies, jobmetrics
from common.errors import ExifqError, TransientError, UrlForbidden
from common.webhook_queue import JOB, Delivery, WebhookQueue, request_delivery
from common.webhooks import SIGNATURE_HEADER, next_attempt_at, signature
from worker.runtime import Runtime

log = logging.getLogger(__name__)

POLL_SECONDS = 1.0
DELIVERED, RETRYING, GIVEN_UP, REFUSED, GONE = (
    "delivered",
    "retrying",
    "given_up",
    "refused",
    "gone",
)


def request(rt: Runtime, delivery: Delivery) -> None:
    """Send the first attempt's task (never raises: the job is finished already)."""
    with contextlib.suppress(redis.RedisError):
        request_delivery(rt.send_task, rt.webhooks, delivery, rt.clock.now())


def status_of(rt: Runtime, delivery: Delivery) -> tuple[str, dict] | None:
    """The callback URL and the body to POST; ``None`` when the job or batch is gone (or past
    its ``expiresAt``, when its status URL answers 404 too)."""
    now = rt.clock.now()
    if delivery.kind == JOB:
        job = rt.jobs.get(delivery.id)
        if job is None or not job.callback_url or not job.finished or job.expires_at <= now:
            return None
        return job.callback_url, bodies.job_body(job, lambda: rt.storage.get(job.result_key))
    batch = rt.batches.get(delivery.id)
    if batch is None or not batch.callback_url or not batch.finished or batch.expires_at <= now:
        return None
    return batch.callback_url, bodies.finished_batch_body(batch, rt.storage.get)


def attempt(rt: Runtime, delivery: Delivery) -> str:
    """Make one attempt; what came of it (``delivered``, ``retrying``, ``given_up``, ...)."""
    found = status_of(rt, delivery)
    if found is None:
        log.info("webhook %s %s: nothing to deliver (expired)", delivery.kind, delivery.id)
        return _counted(rt, GONE)
    url, payload = found
    now = rt.clock.now()
    body = json.dumps(payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: signature(rt.settings.WEBHOOK_SECRET or "", body, int(now)),
        "X-Exifq-Delivery": f"{delivery.kind}:{delivery.id}",
        "X-Exifq-Attempt": str(delivery.attempt),
    }
    try:
        status = rt.post(url, body, headers)
        failure = None if 200 <= status < 300 else f"HTTP {status}"
    except UrlForbidden as exc:
        log.warning("webhook %s %s: refused: %s", delivery.kind, delivery.id, exc)
        return _counted(rt, REFUSED)
    except (ExifqError, TransientError) as exc:  # connection, TLS, timeout
        failure = str(exc)
    if failure is None:
        return _counted(rt, DELIVERED)
    return _retry_later(rt, delivery, now, failure)


def _retry_later(rt: Runtime, delivery: Delivery, now: float, failure: str) -> str:
    settings = rt.settings
    first = delivery.first_at if delivery.first_at is not None else now
    due = next_attempt_at(
        delivery.attempt,
        rt.clock.now(),
        first,
        settings.WEBHOOK_RETRY_SECONDS,
        settings.WEBHOOK_RETRY_HOURS,
    )
    if due is None:
        log.warning(
            "webhook %s %s: given up after %d attempts (%s)",
            *(delivery.kind, delivery.id, delivery.attempt, failure),
        )
        return _counted(rt, GIVEN_UP)
    log.info(
        "webhook %s %s: attempt %d failed (%s); next in %.0f s",
        *(delivery.kind, delivery.id, delivery.attempt, failure, due - now),
    )
    later = Delivery(delivery.kind, delivery.id, delivery.attempt + 1, first)
    rt.webhooks.schedule(later, due)
    return _counted(rt, RETRYING)


def _counted(rt: Runtime, outcome: str) -> str:
    with contextlib.suppress(redis.RedisError):
        jobmetrics.count(rt.jobs.redis, rt.jobs.prefix, "webhooks", outcome)
    return outcome


class Poller(bootsteps.StartStopStep):
    """Sends the tasks of the webhook deliveries that are due (in the worker's main process)."""

    requires = ("celery.worker.components:Timer",)

    def __init__(self, worker, **kwargs) -> None:
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker) -> None:
        from common.redis_client import redis_client
        from worker.app import task_sender

        settings = worker.app.exifq_settings
        queue = WebhookQueue(redis_client(settings), settings.REDIS_KEY_PREFIX)
        send = task_sender(worker.app)

        def poll() -> None:
            try:
                for delivery in queue.take_due(time.time()):
                    request_delivery(send, queue, delivery, time.time())
            except (redis.RedisError, OperationalError) as exc:
                log.warning("webhook queue: %s", exc)

        self.timer_ref = worker.timer.call_repeatedly(POLL_SECONDS, poll, priority=10)

    def stop(self, worker) -> None:
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None
