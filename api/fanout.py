"""Fan a batch out: one ordinary job per (input, operation), written, then sent.

:func:`create_batch` writes a batch in one go (JSON bodies, small multipart ones, similarity
jobs); :class:`GrowingBatch` writes a multipart batch group by group while its body is still
arriving (``api.batch_stream``): the batch is opened in a receiving state no job's finish can
report done, and sealed with its real total at the end of the body (see its docstring).

An input is an upload (a sniffed file stream), a URL, or something already
known to be unusable (it carries an error): the last becomes an item that is
failed from the start, so one bad input never fails the whole request. Every
job is an ordinary job (its own UUID, status URL and download), so workers
share a batch's items exactly as they share single jobs.

A request that fails part-way (storage or Redis away, the disk full) leaves
nothing behind: the uploads it stored are deleted again, and a job whose task
could not be sent is failed and its upload deleted (:func:`create_batch`), or the
whole growing batch is taken back (:meth:`GrowingBatch.discard`).
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
from common.batches import PLAIN, Batch, NewItem, chunks
from common.errors import TransientError
from common.jobs import upload_key
from common.tasks import CHUNK_TASK
from common.webhook_queue import BATCH, Delivery, WebhookQueue, request_delivery
from worker.answering import request_answer
from worker.media.formats import Format

log = logging.getLogger(__name__)


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
    """On an exception, delete the objects ``keys`` holds by then (:func:`remove_objects`), and
    re-raise."""
    try:
        yield
    except BaseException:
        remove_objects(svc, keys)
        raise


def remove_objects(svc: Services, keys: Sequence[str]) -> None:
    """Delete the stored objects ``keys`` after a failed request, best effort: the first failing
    delete stops it (the lifecycle rule and the sweeper get the rest)."""
    for key in list(keys):
        try:
            svc.storage.delete(key)
        except (*UNAVAILABLE, OSError):
            log.warning("could not remove %s after a failed request", key)
            break


def _store_uploads(
    svc: Services, inp: BatchInput, job_ids: Sequence[str], stored: list[str]
) -> None:
    for job_id in job_ids:
        data = inp.upload
        if not isinstance(data, bytes):
            data.seek(0)
        svc.storage.put(upload_key(job_id), data, content_type=inp.upload_format.mime)
        stored.append(upload_key(job_id))  # list.append is atomic: threads share it


def _store_all(
    svc: Services, pairs: Sequence[tuple[BatchInput, list[str]]], stored: list[str]
) -> None:
    """Store the uploads among ``pairs`` (an input, its jobs), as many at once as the storage
    takes (``Storage.parallel_puts``); each key stored is added to ``stored``."""
    uploads = [(inp, ids) for inp, ids in pairs if inp.upload is not None]
    workers = min(svc.storage.parallel_puts, len(uploads))
    if workers <= 1:
        for inp, ids in uploads:
            _store_uploads(svc, inp, ids, stored)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(_store_uploads, svc, inp, ids, stored) for inp, ids in uploads]
        for done in futures:
            done.result()


def _new_items(
    svc: Services,
    pairs: Sequence[tuple[BatchInput, list[str]]],
    operations: dict[str, dict],
    owner: str,
    batch_id: str,
) -> list[NewItem]:
    """The items of ``pairs``: one job per (input, operation), input by input."""
    return [
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


def _pairs(inputs: Sequence[BatchInput], operations: dict) -> list[tuple[BatchInput, list[str]]]:
    """Each input with the new UUIDs of its jobs (one per operation)."""
    return [(inp, [str(uuid_module.uuid4()) for _ in operations]) for inp in inputs]


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
    pairs = _pairs(inputs, operations)
    stored: list[str] = []
    with removed_on_failure(svc, stored):
        _store_all(svc, pairs, stored)
        items = _new_items(svc, pairs, operations, owner, batch_id)
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
        batch_ended(svc, batch_id, callback_url if batch.finished else None)
    return batch


def batch_ended(svc: Services, batch_id: str, callback_url: str | None) -> None:
    """What follows the end of a batch when no job's finish reported it (every item was done
    before the API let go of it): a similarity job's answer task, the batch's webhook."""
    request_answer(svc.batches, svc.send_task, batch_id)
    if callback_url:
        queue = WebhookQueue(svc.jobs.redis, svc.jobs.prefix)
        request_delivery(svc.send_task, queue, Delivery(BATCH, batch_id), svc.clock.now())


class GrowingBatch:
    """A plain batch written while its request is still arriving (``api.batch_stream``).

    :meth:`add` takes a group of inputs: their uploads stored, the batch opened in its
    receiving state the first time (``common.batches.BatchStore.open``), the items and their
    jobs written in one pipeline, then the group's tasks sent (``common.batches.chunks`` of
    it). :meth:`seal` sets the real total once the body has ended and, when every item had
    finished before that, does what follows the batch's end itself (:func:`batch_ended`:
    exactly one of the seal and the last job's finish sees the batch done). :meth:`discard`
    takes everything back after a failure: the batch's keys and its items' job records (a
    worker holding one of their messages finds no record and drops it; an item it already
    ran leaves a result that expires with ``RESULT_TTL_SECONDS``) and the stored uploads
    (best effort, as :func:`removed_on_failure`).
    """

    def __init__(
        self,
        svc: Services,
        *,
        owner: str,
        operations: dict[str, dict],
        callback_url: str | None = None,
    ) -> None:
        self.svc = svc
        self.uuid = str(uuid_module.uuid4())
        self.owner = owner
        self.operations = operations
        self.callback_url = callback_url
        self.job_ids: list[str] = []  # every item's job, in order (also those being written)
        self.stored: list[str] = []  # the uploads stored so far
        self.opened = False

    def add(self, inputs: Sequence[BatchInput]) -> None:
        """Store, write and send a group of inputs (after those added before)."""
        pairs = _pairs(inputs, self.operations)
        self.job_ids += [job_id for _, ids in pairs for job_id in ids]
        _store_all(self.svc, pairs, self.stored)
        if not self.opened:
            self.opened = True
            self.svc.batches.open(
                self.uuid,
                PLAIN,
                owner=self.owner,
                operations=list(self.operations),
                callback_url=self.callback_url,
            )
        items = _new_items(self.svc, pairs, self.operations, self.owner, self.uuid)
        self.svc.batches.append(self.uuid, items)
        for ids in chunks([new.job.uuid for new in items if new.job.error is None]):
            self.svc.send_task(CHUNK_TASK, [ids])

    def seal(self) -> Batch:
        """End the batch: its real total set; the batch as it stands."""
        lost = TransientError(f"batch {self.uuid} was lost from Redis while it was received")
        try:
            ended = self.svc.batches.seal(self.uuid, len(self.job_ids))
        except KeyError:  # Redis lost it (evicted, flushed): a 503, and the rest taken back
            raise lost from None
        if ended:
            batch_ended(self.svc, self.uuid, self.callback_url)
        batch = self.svc.batches.get(self.uuid)
        if batch is None:
            raise lost
        return batch

    def discard(self) -> None:
        """Take back what was written and stored (best effort: errors are logged, not raised)."""
        if self.opened:
            try:
                self.svc.batches.remove(self.uuid, self.job_ids)
            except UNAVAILABLE as exc:
                log.warning(
                    "batch %s: could not remove it after a failed request: %s", self.uuid, exc
                )
        remove_objects(self.svc, self.stored)


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
