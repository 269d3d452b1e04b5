"""One job, start to finish: load the input, run the operation, store the output, finish the job.

Running it twice gives the same outcome (Celery may deliver a message again):
outputs are written under keys derived from the job's UUID before the job is
marked finished, the job store ignores a second finish, and a delivery that
finds the job already finished only removes the upload if it lingers. The
order is: results → cleaned file → ``completed`` → delete upload.

``ExifqError`` (bad input) fails the job with its code. ``TransientError``
(storage or network) propagates so the task can retry. Anything else is our
bug and propagates too; the task turns it into ``internal_error``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass

import orjson
import redis

from common import jobmetrics, operations
from common.batches import PLAIN
from common.errors import ExifqError, TransientError
from common.jobs import (
    COMPLETED,
    FAILED,
    Counters,
    Finish,
    FinishCall,
    Job,
    cleaned_key,
    result_key,
    upload_key,
)
from common.operations import Limits, Outcome, Source
from common.storage import ObjectNotFound
from common.webhook_queue import BATCH, JOB, Delivery
from worker import answering, scan, staging, webhooks
from worker.runtime import Runtime

log = logging.getLogger(__name__)

MISSING = "missing"
# Faults a task retries (or a chunk hands to the single-job path): storage, network, Redis.
TRANSIENT = (TransientError, redis.ConnectionError, redis.TimeoutError)
NOTICE_MAX_BYTES = 256 * 1024


def worker_lost(deliveries: int) -> dict:
    """The error of a job whose message stopped its worker on every delivery."""
    return {
        "code": "worker_lost",
        "message": f"the job stopped its worker {deliveries - 1} times and was given up",
    }


@dataclass(frozen=True)
class Ending:
    """A started job's outcome, stored and ready to be finished: the finish to run (one job
    store script, ``common.jobs``), then :func:`settle`."""

    job: Job
    call: FinishCall
    error: dict | None = None

    @property
    def status(self) -> str:
        return COMPLETED if self.error is None else FAILED


def process(rt: Runtime, job_id: str) -> str:
    """Run job ``job_id``; return the status it ends in (or ``"missing"`` if it expired)."""
    ending = run_started(rt, job_id, rt.jobs.start(job_id, rt.name))
    if isinstance(ending, str):
        return ending
    return settle(rt, ending, rt.jobs.run_finish(ending.call))


def run_started(rt: Runtime, job_id: str, job: Job | None) -> Ending | str:
    """Run job ``job_id`` as :meth:`~common.jobs.JobStore.start` left it (``job``) up to its
    finish: outputs stored, the finish not yet run. A status instead when there is nothing to
    finish (``"missing"``; the status of a job finished before, its upload discarded)."""
    if job is None:
        log.warning("job %s: no record (expired or never created); message dropped", job_id)
        return MISSING
    if job.finished:
        _discard_upload(rt, job)
        return job.status
    if job.deliveries > 1:
        _count(rt, "redeliveries", job.op)
    if job.deliveries > rt.settings.TASK_MAX_DELIVERIES:
        return failing(rt, job, worker_lost(job.deliveries))
    operation = operations.get(job.op)
    if operation is None:
        error = {"code": "unknown_operation", "message": f"no operation {job.op!r} on this worker"}
        return failing(rt, job, error)
    with staging.scratch() as space:  # (videos run from files: worker/staging.py)
        try:
            source = _load_input(rt, job, space)
            options = operation.options_from_json(job.options)
            limits = Limits(rt.settings.MAX_IMAGE_PIXELS, rt.settings.APPROX_PIXELS_MAX)
            cpu = time.process_time()
            outcome = scan.run_with_scan(operation, source, options, limits, rt.settings)
            cpu = time.process_time() - cpu
        except ExifqError as exc:
            return failing(rt, job, exc.to_dict())
        except ObjectNotFound:
            error = {"code": "upload_missing", "message": "the uploaded file is no longer stored"}
            return failing(rt, job, error)
        return Ending(job, _store(rt, job, source.name, outcome, cpu))


def settle(rt: Runtime, ending: Ending, finish: Finish) -> str:
    """What follows a job's finish: :func:`after_finish`, then the upload deleted."""
    after_finish(rt, finish, ending.job, ending.error, counted=True)
    _discard_upload(rt, ending.job)
    return ending.status


def _load_input(rt: Runtime, job: Job, space: staging.Scratch) -> Source:
    """The job's input: from storage (with the format the API sniffed), or fetched by the
    SSRF-safe loader; a video as a file in ``space``."""
    if job.source == "url":
        fetched = rt.fetch(job.url)
        return staging.stage_bytes(Source(fetched.name, fetched.data), space)
    key = upload_key(job.uuid)
    if staging.is_video(job.file_format):
        limit = rt.settings.MAX_VIDEO_BYTES
        return staging.stage_upload(
            rt.storage, key, job.file_name, job.file_format, space.folder, limit
        )
    return Source(job.file_name, rt.storage.get(key), job.file_format)


def _store(rt: Runtime, job: Job, name: str, outcome: Outcome, cpu: float) -> FinishCall:
    """Write the job's result (and cleaned file); the completion to run once they are stored.
    ``cpu``: the CPU seconds the operation took (a job metric)."""
    results = result_key(job.uuid)
    body = result_json(outcome.result)
    rt.storage.put(results, body, content_type="application/json")
    cleaned = cleaned_key(job.uuid, name)
    if not staging.put_cleaned(rt.storage, cleaned, outcome):
        cleaned = None
    # A single job's completion message carries the finished record and a small result to
    # ?wait= requests. A batch's items are waited for as a batch: theirs carries the status
    # alone (someone waiting on one item reads its record), and the item's summary (small: a
    # hash result) goes into the batch's item state.
    single = not job.batch
    return rt.jobs.completion(
        job.uuid,
        results,
        cleaned,
        cleaned_type=outcome.cleaned_type,
        file_name=name,
        notice=body.decode() if single and len(body) <= NOTICE_MAX_BYTES else "",
        summary=None if single else outcome.summary,
        started=job if single else None,
        counters=finish_counters(rt, job, COMPLETED, cpu=cpu),
    )


def result_json(result: dict) -> bytes:
    """``result`` as UTF-8 JSON: by orjson (a tenth of the json module's time on a typical
    extract), or by the json module for what orjson refuses (an integer over 64 bits). A
    float that is not a number is ``null`` (the json module would write ``NaN``, which is not
    JSON)."""
    try:
        return orjson.dumps(result, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(result, ensure_ascii=False).encode()


def finish_counters(
    rt: Runtime, job: Job, outcome: str, code: str | None = None, cpu: float | None = None
) -> Counters:
    """The metrics (``common.jobmetrics``) the job store adds when it finishes ``job``."""
    seconds = rt.clock.now() - job.updated_at
    increments = jobmetrics.finish_increments(job.op, outcome, seconds, code, cpu)
    return jobmetrics.key(rt.jobs.prefix), increments


def failing(rt: Runtime, job: Job, error: dict) -> Ending:
    """The ending of a started job that failed with ``error``."""
    counters = finish_counters(rt, job, FAILED, error.get("code"))
    return Ending(job, rt.jobs.failure(job.uuid, error, started=job, counters=counters), error)


def after_finish(
    rt: Runtime,
    finish: Finish,
    job: Job | None,
    error: dict | None = None,
    *,
    counted: bool = False,
) -> None:
    """What follows the finish of ``job`` (as it was started) when this call finished it: count
    it (``common.jobmetrics``; unless the finish ``counted`` it already), send its webhook, and
    when it was its batch's last item, the batch's webhook or the task that answers a
    similarity job. Metrics never fail a job."""
    if finish.moved and job is not None and not counted:
        outcome, code = (COMPLETED, None) if error is None else (FAILED, error.get("code"))
        seconds = rt.clock.now() - job.updated_at
        with contextlib.suppress(redis.RedisError):
            jobmetrics.record_finish(rt.jobs.redis, rt.jobs.prefix, job.op, outcome, seconds, code)
    if finish.moved and job is not None and job.callback_url:
        webhooks.request(rt, Delivery(JOB, job.uuid))
    if finish.batch_done:
        batch = rt.batches.get(finish.batch_done)
        if batch is not None and batch.kind == PLAIN:
            if batch.callback_url:
                webhooks.request(rt, Delivery(BATCH, batch.uuid))
        else:
            answering.request_answer(rt.batches, rt.send_task, finish.batch_done)


def _count(rt: Runtime, *field: str) -> None:
    with contextlib.suppress(redis.RedisError):
        jobmetrics.count(rt.jobs.redis, rt.jobs.prefix, *field)


def _discard_upload(rt: Runtime, job: Job) -> None:
    """Delete the uploaded original (privacy: it is kept only until processed)."""
    if job.source == "upload":
        rt.storage.delete(upload_key(job.uuid))
