"""``POST /api/v1/{operation}`` and ``GET /api/v1/{operation}/{uuid}``: submit and poll jobs.

One pair of routes per registered operation (``common.operations``), made
by :func:`blueprint` when the app is created.

Submitting streams the upload into storage at ``uploads/{uuid}`` (file bytes
never go through Redis), writes the ``queued`` job record, sends the task
carrying only the UUID, and answers 202. With ``?wait=N`` (≤ 30 s) the
request blocks until the job finishes and answers 200 with the finished job
when it does in time: a new job's finish reaches it through the process's
listener (``common.completions``, no subscription per request), a status
poll's through a subscription to the job's completion channel.
"""

from __future__ import annotations

import contextlib
import logging
import uuid as uuid_module
from collections.abc import Iterable

from flask import Blueprint, request

from api.auth import request_owner
from api.errors import UNAVAILABLE
from api.inputs import Submission, input_fields, parse_wait, read_callback, read_submission
from api.services import Services, services
from common import bodies, operations
from common import options as opts
from common.batches import Batch
from common.errors import ExifqError
from common.fetch.policy import FetchPolicy
from common.jobs import Job, upload_key
from common.operations import Operation
from common.storage import ObjectNotFound
from common.tasks import PROCESS_TASK

log = logging.getLogger(__name__)


class JobNotFound(ExifqError):
    code = "not_found"
    http_status = 404

    def __init__(self) -> None:
        super().__init__("Job not found or expired")


def require_visible(svc: Services, record: Job | Batch | None, kind: str) -> None:
    """404 unless ``record`` exists, is of ``kind`` (a job's op, a batch's kind), has not
    expired and belongs to the key the request presents (if any)."""
    owner = request_owner(svc.settings.api_keys, required=False)
    if (
        record is None
        or (record.op if isinstance(record, Job) else record.kind) != kind
        or record.expires_at <= svc.clock.now()
        or (owner is not None and record.owner != owner)
    ):
        raise JobNotFound()


def find_job(svc: Services, op: str, job_id: str) -> Job:
    """The job, if the request may see it (see :func:`require_visible`)."""
    job = svc.jobs.get(job_id)
    require_visible(svc, job, op)
    return job


def job_body(svc: Services, job: Job, result_json: str = "") -> dict:
    """The JSON a client sees for ``job`` (``common.bodies``); the result is read from storage
    unless ``result_json`` (its text) is given."""
    try:
        return bodies.job_body(job, lambda: result_json or svc.storage.get(job.result_key))
    except ObjectNotFound:
        raise JobNotFound() from None


def new_job(
    svc: Services,
    op: Operation,
    submission: Submission,
    owner: str,
    job_id: str | None = None,
    notify: str | None = None,
) -> Job:
    """Store the upload, write the job record and send the task (one Redis transaction when the
    broker is the job store's Redis); undo what was done on failure. ``notify``: the listener's
    channel the finish is published on too (``JobStore.awaiting``)."""
    callback = read_callback(submission.callback_url, svc.settings)
    job_id = job_id or str(uuid_module.uuid4())
    if submission.upload is not None:
        svc.storage.put(
            upload_key(job_id), submission.upload, content_type=submission.upload_format.mime
        )
    try:
        folded = svc.task_commands(PROCESS_TASK, [job_id]) if svc.task_commands else None
        job = svc.jobs.create(
            op.name,
            options=opts.to_json(submission.options),
            owner=owner,
            **input_fields(submission),
            job_id=job_id,
            callback_url=callback,
            notify=notify,
            also=folded or (),
        )
        if folded is None:
            svc.enqueue(job_id)
    except Exception:
        log.warning("job %s: could not be queued; removing it", job_id)
        with contextlib.suppress(*UNAVAILABLE):
            svc.jobs.delete(job_id)
        if submission.upload is not None:
            with contextlib.suppress(*UNAVAILABLE):
                svc.storage.delete(upload_key(job_id))
        raise
    log.info("job %s: %s queued (%s)", job.uuid, op.name, job.source)
    return job


def created_and_waited(
    svc: Services, op: Operation, submission: Submission, owner: str, wait: float
) -> tuple[Job, str]:
    """:func:`new_job`, then waited for up to ``wait`` s: the job as it then stands and the
    notice its finish carried. The wait is registered before the job exists, with the API
    process's listener (``JobStore.awaiting``), so the finish message is all it reads."""
    if wait <= 0:
        return new_job(svc, op, submission, owner), ""
    job_id = str(uuid_module.uuid4())
    with svc.jobs.awaiting(job_id) as waiting:
        job = new_job(svc, op, submission, owner, job_id, waiting.notify)
        waited, notice = svc.jobs.wait(job_id, wait, waiting, job)
    return waited or job, notice


def waited_for(svc: Services, job: Job, wait: float) -> tuple[Job, str]:
    """An existing job once finished, or as it stands after ``wait`` s (subscribed to its
    completion channel meanwhile); the notice its finish carried, if this wait received it."""
    if wait <= 0 or job.finished:
        return job, ""
    waited, notice = svc.jobs.wait(job.uuid, wait)
    return waited or job, notice


def _answer(svc: Services, job: Job, notice: str = ""):
    if job.finished:
        return job_body(svc, job, notice), 200
    return job_body(svc, job), 202


def submit(op: str):
    svc = services()
    operation = operations.get(op)
    owner = request_owner(svc.settings.api_keys, required=True)
    settings = svc.settings
    policy = FetchPolicy.from_settings(settings)
    submission = read_submission(
        operation, request, settings.MAX_UPLOAD_BYTES, settings.MAX_VIDEO_BYTES, policy
    )
    return _answer(svc, *created_and_waited(svc, operation, submission, owner, submission.wait))


def status(op: str, job_id: uuid_module.UUID):
    svc = services()
    job = find_job(svc, op, str(job_id))
    body, _ = _answer(svc, *waited_for(svc, job, parse_wait(request.args.get("wait"))))
    return body, 200


def blueprint(ops: Iterable[Operation]) -> Blueprint:
    """The submit and status routes of ``ops``."""
    bp = Blueprint("jobs", __name__)
    segment = f"<any({', '.join(op.name for op in ops)}):op>"
    bp.add_url_rule(f"/api/v1/{segment}", view_func=submit, methods=["POST"])
    bp.add_url_rule(f"/api/v1/{segment}/<uuid:job_id>", view_func=status, methods=["GET"])
    return bp
