"""Fan a batch out: one ordinary job per (input, operation), written in one go, then sent.

An input is an upload (a sniffed file stream), a URL, or something already
known to be unusable (it carries an error): the last becomes an item that is
failed from the start, so one bad input never fails the whole request. Every
job is an ordinary job (its own UUID, status URL and download), so workers
share a batch's items exactly as they share single jobs.

A request that fails part-way (storage or Redis away, the disk full) leaves
nothing behind: the uploads it stored are deleted again, and a job whose task
could not be sent is failed and its upload deleted.
"""

from __future__ import annotations

import contextlib
import logging
import uuid as uuid_module
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import IO

from api.errors import UNAVAILABLE
from api.inputs import input_fields
from api.services import Services
from common.batches import Batch, NewItem, chunks
from common.jobs import upload_key
from common.tasks import CHUNK_TASK
from common.webhook_queue import BATCH, Delivery, WebhookQueue, request_delivery
from worker.answering import request_answer
from worker.media.formats import Format

log = logging.getLogger(__name__)

PARALLEL_UPLOADS = 8  # uploads stored at once (each is one PUT)


@dataclass(frozen=True)
class BatchInput:
    """One input of a batch: exactly one of ``upload``, ``url``, ``error``."""

    name: str  # what the batch's items call it (a relative path or the URL)
    upload: IO[bytes] | bytes | None = None
    upload_format: Format | None = None
    size: int | None = None
    url: str | None = None
    error: dict | None = None
    file_name: str = ""  # the job's own file name (the download's name)


@contextlib.contextmanager
def removed_on_failure(svc: Services, keys: Sequence[str]) -> Iterator[None]:
    """On an exception, delete the objects ``keys`` holds by then (best effort: the first
    failing delete stops it, the lifecycle rule and the sweeper get the rest), and re-raise."""
    try:
        yield
    except BaseException:
        for key in list(keys):
            try:
                svc.storage.delete(key)
            except (*UNAVAILABLE, OSError):
                log.warning("could not remove %s after a failed request", key)
                break
        raise


def _store_uploads(
    svc: Services, inp: BatchInput, job_ids: Sequence[str], stored: list[str]
) -> None:
    for job_id in job_ids:
        data = inp.upload
        if not isinstance(data, bytes):
            data.seek(0)
        svc.storage.put(upload_key(job_id), data, content_type=inp.upload_format.mime)
        stored.append(upload_key(job_id))  # list.append is atomic: threads share it


def create_batch(
    svc: Services,
    kind: str,
    *,
    owner: str,
    inputs: Sequence[BatchInput],
    operations: dict[str, dict],
    batch_id: str | None = None,
    callback_url: str | None = None,
) -> Batch:
    """Store the uploads, write the batch and its jobs, send the tasks; the batch as written.

    ``operations`` maps each operation's name to its options (JSON-safe, as
    ``common.options.to_json`` gives them); items go input by input, in
    the order of ``operations``.
    """
    batch_id = batch_id or str(uuid_module.uuid4())
    job_ids = [[str(uuid_module.uuid4()) for _ in operations] for _ in inputs]
    pairs = list(zip(inputs, job_ids, strict=True))
    uploads = [(inp, ids) for inp, ids in pairs if inp.upload is not None]
    stored: list[str] = []
    with removed_on_failure(svc, stored):
        if uploads:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_UPLOADS, len(uploads))) as pool:
                futures = [
                    pool.submit(_store_uploads, svc, inp, ids, stored) for inp, ids in uploads
                ]
                for done in futures:
                    done.result()
        items = [
            NewItem(
                inp.name,
                svc.jobs.new_job(
                    op,
                    options=options,
                    owner=owner,
                    **input_fields(inp),
                    job_id=job_id,
                    batch=batch_id,
                    error=inp.error,
                ),
            )
            for inp, ids in pairs
            for (op, options), job_id in zip(operations.items(), ids, strict=True)
        ]
        batch = svc.batches.create(
            batch_id,
            kind,
            owner=owner,
            operations=list(operations),
            items=items,
            callback_url=callback_url,
        )
    _send(svc, [new.job.uuid for new in items if new.job.error is None])
    if batch.items_finished:  # every input was unusable: nothing will finish it later
        request_answer(svc.batches, svc.send_task, batch_id)
        if batch.finished and callback_url:
            queue = WebhookQueue(svc.jobs.redis, svc.jobs.prefix)
            request_delivery(svc.send_task, queue, Delivery(BATCH, batch_id), svc.clock.now())
    return batch


def _send(svc: Services, job_ids: list[str]) -> None:
    """Send the jobs' tasks: one ``exifq.chunk`` per chunk of jobs (``common.batches.chunks``;
    the workers run each chunk's jobs with pipelined job-store writes, ``worker.chunks``). If
    the broker fails part-way, fail the jobs not sent and re-raise."""
    groups = chunks(job_ids)
    for position, ids in enumerate(groups):
        try:
            svc.send_task(CHUNK_TASK, [ids])
        except Exception:
            unsent = [job_id for group in groups[position:] for job_id in group]
            log.warning("batch: %d of %d tasks could not be sent", len(unsent), len(job_ids))
            error = {"code": "service_unavailable", "message": "the job could not be queued"}
            with contextlib.suppress(*UNAVAILABLE):
                for job_id in unsent:
                    svc.jobs.fail(job_id, error)
            with removed_on_failure(svc, [upload_key(job_id) for job_id in unsent]):
                raise
