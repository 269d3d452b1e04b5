"""The JSON a client sees for a job or a batch: what the API's status routes answer and what a
webhook (``callbackUrl``) POSTs, built in one place so the two never differ."""

from __future__ import annotations

import json
from collections.abc import Callable

from common.batches import PLAIN, Batch
from common.clock import isoformat
from common.jobs import Job
from common.status import COMPLETED, FAILED


def status_url(job: Job) -> str:
    return f"/api/v1/{job.op}/{job.uuid}"


def download_url(job: Job) -> str:
    return f"/download-cleaned/{job.uuid}"


def batch_status_url(batch: Batch) -> str:
    return f"/api/v1/{batch.kind}/{batch.uuid}"


def job_body(job: Job, read_result: Callable[[], str]) -> dict:
    """Status, and the result (``read_result()``, its JSON text; it may raise
    ``ObjectNotFound``) or error once finished."""
    head = {"uuid": job.uuid, "status": job.status}
    if job.status == FAILED:
        return {"success": False, **head, "error": job.error}
    if job.status != COMPLETED:
        return {"success": True, **head, "statusUrl": status_url(job)}
    result = json.loads(read_result())
    body = {"success": True, **head, **result, "expiresAt": isoformat(job.expires_at)}
    if job.cleaned_key:
        body["downloadUrl"] = download_url(job)
    return body


def progress_body(batch: Batch) -> dict:
    return {
        "success": True,
        "uuid": batch.uuid,
        "status": batch.status,
        "total": batch.total,
        "completed": batch.completed,
        "failed": batch.failed,
        "createdAt": isoformat(batch.created_at),
        "expiresAt": isoformat(batch.expires_at),
    }


def finished_batch_body(batch: Batch, read_answer: Callable[[str], str]) -> dict:
    """A finished batch: its progress and status URL (items are paged from there), or a
    similarity job's answer (``read_answer(key)``) with its ``uuid``, or its failure."""
    if batch.kind == PLAIN:
        return {**progress_body(batch), "statusUrl": batch_status_url(batch)}
    if batch.error is not None:
        return {"success": False, "uuid": batch.uuid, "status": "failed", "error": batch.error}
    return {**json.loads(read_answer(batch.result_key)), "uuid": batch.uuid}
