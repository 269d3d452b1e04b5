"""The Celery tasks: thin wrappers that turn outcomes of ``worker.pipeline`` into job states.

``exifq.process`` runs one job; ``exifq.chunk`` runs a chunk of a batch's jobs
(``worker.chunks``); ``exifq.fanout`` sends the jobs of a chunk of a large batch
one message each (kept for messages queued by an older API); ``exifq.answer``
answers a similarity job once its records are hashed (``worker.answering``);
``exifq.webhook`` POSTs a finished job's status to its ``callbackUrl``
(``worker.webhooks``); ``exifq.sweep`` deletes expired objects.

Retries of ``exifq.process``: a ``TransientError`` (storage or network) or a Redis connection
fault retries with exponential backoff (``worker.app.retry_countdown``) up to
``TASK_MAX_RETRIES`` times, then fails the job as ``service_unavailable``; a retry
that cannot be sent (the broker is away too) requeues the message instead of dropping it. Bad
input (``ExifqError``) never retries. A soft time limit fails the job as
``timeout``; a hard one (the pool kills the process) does the same from the
worker's main process through ``on_failure``. Any other exception is our bug:
logged with its traceback, the job fails as ``internal_error``, and the
worker keeps serving.
"""

from __future__ import annotations

import contextlib
import importlib
import logging

from billiard.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery import Task, shared_task, signals
from celery.exceptions import Reject

from common import broker, jobmetrics
from common.errors import Timeout
from common.jobs import FAILED
from common.tasks import (
    ANSWER_TASK,
    CHUNK_TASK,
    FANOUT_TASK,
    PROCESS_TASK,
    QUEUE,
    SWEEP_TASK,
    WEBHOOK_TASK,
)
from common.webhook_queue import Delivery
from worker import answering, chunks, pipeline, sweeper, webhooks
from worker.app import retry_countdown
from worker.runtime import Runtime, runtime_for

log = logging.getLogger(__name__)

TRANSIENT = pipeline.TRANSIENT
MEDIA_MODULES = ("worker.media.extract", "worker.media.strip", "worker.media.hashes")


@signals.worker_init.connect
def preload_media(sender=None, **_) -> None:
    """Import the media cores in the parent, so pool processes fork with them loaded.

    Otherwise each new pool process pays the imports (Pillow plugins, NumPy,
    OpenCV) inside its first task, and that task's time limit. The extract
    core's tag tables are built from the installed ExifTool (once, under a file
    lock, into the cache) and loaded here too, all of them: no ExifTool stops
    the worker with the install command.
    """
    for name in MEDIA_MODULES:
        importlib.import_module(name)
    from common.settings import load_settings
    from worker.media.extract import engine

    settings = getattr(getattr(sender, "app", None), "exifq_settings", None) or load_settings()
    engine.use_exiftool(settings.exiftool, settings.tables_dir, eager=True)


@signals.worker_process_init.connect
def build_runtime(**_) -> None:
    """Create this pool process's Redis and storage clients before its first task."""
    from celery import current_app

    rt = runtime_for(current_app)
    _ = rt.jobs, rt.storage


def _runtime(task: Task) -> Runtime:
    return runtime_for(task.app)


def _fail_quietly(rt: Runtime, job_id: str, error: dict) -> str:
    """Fail the job; if even that is impossible (Redis away), log it and let the TTL end it."""
    try:
        job = rt.jobs.get(job_id)
        pipeline.after_finish(rt, rt.jobs.fail(job_id, error), job, error)
    except TRANSIENT as exc:
        log.error("job %s: could not record failure %s: %s", job_id, error["code"], exc)
    return FAILED


class JobTask(Task):
    """Fails the job when the pool kills its process at the hard time limit (a chunk: sends its
    jobs one message each, so the one that hung meets the limit on its own)."""

    def on_failure(self, exc, task_id, args, kwargs, einfo) -> None:
        if isinstance(exc, TimeLimitExceeded) and args and self.name == CHUNK_TASK:
            with contextlib.suppress(Exception):
                _hand_over(self, list(args[0]))
            return
        if isinstance(exc, TimeLimitExceeded) and args:
            limit = self.app.exifq_settings.TASK_TIME_LIMIT
            _fail_quietly(_runtime(self), args[0], Timeout(f"ran over {limit:g} s").to_dict())


@shared_task(name=PROCESS_TASK, bind=True, base=JobTask)
def process_job(self: Task, job_id: str) -> str:
    """Run job ``job_id`` (its record holds the operation, options and input)."""
    rt = _runtime(self)
    settings = rt.settings
    try:
        return pipeline.process(rt, job_id)
    except SoftTimeLimitExceeded:
        message = f"ran over {settings.TASK_SOFT_TIME_LIMIT:g} s"
        return _fail_quietly(rt, job_id, Timeout(message).to_dict())
    except TRANSIENT as exc:
        if self.request.retries >= settings.TASK_MAX_RETRIES:
            code = getattr(exc, "code", "service_unavailable")  # a TransientError may name it
            error = {"code": code, "message": f"a service the job needs failed: {exc}"}
            return _fail_quietly(rt, job_id, error)
        log.warning("job %s: transient fault, retrying: %s", job_id, exc)
        with contextlib.suppress(*TRANSIENT):
            rt.jobs.reset_deliveries(job_id)  # a retry is not a crash
            jobmetrics.count(rt.jobs.redis, rt.jobs.prefix, "retries")
        countdown = retry_countdown(self.request.retries, settings)
        try:
            retry = self.retry(
                exc=exc, countdown=countdown, max_retries=settings.TASK_MAX_RETRIES, throw=False
            )
        except Reject as unsent:
            # The retry could not be sent (the broker is away too, as when the one Redis
            # restarts): Celery would drop this message. Requeue it instead; if even that
            # cannot reach the broker, the message stays unacknowledged and returns later.
            log.warning("job %s: retry not sent, message requeued: %s", job_id, unsent.reason)
            raise Reject(unsent.reason, requeue=True) from exc
        raise retry from exc
    except Exception:
        log.exception("job %s: unexpected error", job_id)
        error = {"code": "internal_error", "message": "the worker failed on this job"}
        return _fail_quietly(rt, job_id, error)


def _hand_over(task: Task, job_ids: list[str]) -> None:
    """Send ``exifq.process`` for each of ``job_ids`` (the single-job path), having put them in
    the job store's index first: some may be started already, and ``worker.recovery`` must
    find them should these messages be lost."""
    _runtime(task).jobs.resending(job_ids)
    with task.app.producer_or_acquire() as producer:
        for job_id in job_ids:
            task.app.send_task(PROCESS_TASK, args=[job_id], queue=QUEUE, producer=producer)


@shared_task(name=CHUNK_TASK, bind=True, base=JobTask)
def run_chunk(self: Task, job_ids: list[str]) -> int:
    """Run a chunk of a batch's jobs (``worker.chunks``); returns how many it finished."""
    rt = _runtime(self)
    amqp = broker.is_amqp(rt.settings)
    return chunks.run_chunk(
        rt,
        job_ids,
        delivery=chunks.delivery_count(rt, self.request.id or ",".join(job_ids[:1])),
        seconds=chunks.budget(rt.settings, amqp),
        hand_over=lambda rest: _hand_over(self, rest),
    )


@shared_task(
    name=ANSWER_TASK,
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=5,
    max_retries=5,
)
def answer_similarity(self: Task, batch_id: str) -> str:
    """Answer similarity job ``batch_id`` from its records' hashes (see ``worker.answering``)."""
    return answering.answer(_runtime(self), batch_id)


@shared_task(name=FANOUT_TASK, bind=True, autoretry_for=TRANSIENT, max_retries=5)
def fan_out(self: Task, job_ids: list[str]) -> int:
    """Send ``exifq.process`` for each of ``job_ids`` (a chunk of a large batch).

    The API sends one of these per chunk instead of thousands of messages
    while the client waits. Sent twice (a redelivery), a job merely runs
    twice, which the job store makes harmless.
    """
    _hand_over(self, job_ids)
    return len(job_ids)


@shared_task(
    name=WEBHOOK_TASK,
    bind=True,
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    retry_backoff_max=30,
    max_retries=5,
)
def deliver_webhook(self: Task, delivery: dict) -> str:
    """POST a finished job's or batch's status to its ``callbackUrl`` once (``worker.webhooks``;
    a failed POST is tried again later through the webhook queue, not by this retry, which is
    for Redis and storage faults while the body is read)."""
    return webhooks.attempt(_runtime(self), Delivery.from_json(delivery))


@shared_task(name=SWEEP_TASK, bind=True)
def sweep_expired(self: Task) -> int:
    """Delete stored objects older than ``RESULT_TTL_SECONDS`` (scheduled by beat)."""
    rt = _runtime(self)
    return sweeper.sweep(rt.storage, rt.clock.now(), rt.settings.RESULT_TTL_SECONDS)
