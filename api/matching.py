"""``POST /api/v1/{visual_hash|remove_duplicates|rank_images}`` and their ``GET .../{uuid}``:
similarity jobs in the request and response shapes of Ximilar's image matching API.

``worker.matching`` reads the request (a 400 for a malformed one; a bad
record is only that record's failure) and builds the answer. Here the request
is kept in storage (without image bytes) until answered, and each record with ``_url`` or
``_base64`` becomes a hash job of a batch (``api.fanout``), so records are
hashed in parallel by every worker; ``worker.answering`` answers once the
last one is done. ``?wait=N`` answers the finished body when it is ready in
time. While it runs, ``GET`` shows the batch's progress; once done it
answers Ximilar's body (its ``status`` is then ``{"code", "text"}``) with our
``uuid`` added.
"""

from __future__ import annotations

import json
import uuid as uuid_module

from flask import Blueprint, request

from api.auth import request_owner
from api.batch import allow_large_request, find_batch, progress_body
from api.fanout import BatchInput, create_batch, removed_on_failure
from api.inputs import parse_wait, read_callback
from api.ratelimit import charge, costs_jobs, request_cost
from api.services import Services, services
from common import options as opts
from common.batches import Batch, request_key
from common.errors import BadRequest, ExifqError
from common.fetch import FetchPolicy, check_submitted_url
from common.names import clean_file_name
from common.operations.hashes import OPERATION as HASH
from worker import matching
from worker.answering import request_answer
from worker.media.formats import require_format

bp = Blueprint("matching", __name__)
KIND = f"<any({', '.join(matching.KINDS)}):kind>"


def record_name(record: object, index: int) -> str:
    if isinstance(record, dict):
        for field in ("_id", "_url"):
            if isinstance(record.get(field), str | int):
                return str(record[field])[:2048]
    return f"record {index}"


def batch_input(
    record_input: matching.RecordInput, name: str, policy: FetchPolicy | None = None
) -> BatchInput:
    """One record as a batch input; with ``policy``, a URL the loader would refuse without
    resolving it fails the record at once (``common.fetch.submitted``)."""
    if record_input.error is not None:
        return BatchInput(name=name, error=record_input.error)
    if record_input.url is not None:
        try:
            if policy is not None:
                check_submitted_url(record_input.url, policy)
        except ExifqError as exc:
            return BatchInput(name=name, error=exc.to_dict())
        return BatchInput(name=name, url=record_input.url)
    data = record_input.data
    try:
        fmt = require_format(data[:32])
    except ExifqError as exc:
        return BatchInput(name=name, error=exc.to_dict())
    return BatchInput(
        name=name, upload=data, upload_format=fmt, size=len(data), file_name=clean_file_name(name)
    )


def answer_body(svc: Services, batch: Batch) -> tuple[dict, int]:
    """The finished answer (200), or the progress so far (202)."""
    if batch.error is not None:
        return {"success": False, "uuid": batch.uuid, "status": "failed", "error": batch.error}, 200
    if batch.result_key is not None:
        return {**json.loads(svc.storage.get(batch.result_key)), "uuid": batch.uuid}, 200
    if batch.items_finished:  # the answer task was lost (its worker died): ask again
        request_answer(svc.batches, svc.send_task, batch.uuid)
    return {**progress_body(batch), "status": "processing", "statusUrl": _status_url(batch)}, 202


def _status_url(batch: Batch) -> str:
    return f"/api/v1/{batch.kind}/{batch.uuid}"


def _answer(svc: Services, batch: Batch, wait: float) -> tuple[dict, int]:
    if wait > 0 and not batch.finished:
        batch = svc.batches.wait(batch.uuid, wait) or batch
    return answer_body(svc, batch)


@bp.post(f"/api/v1/{KIND}")
@costs_jobs
def submit(kind: str):
    svc = services()
    owner = request_owner(svc.settings.api_keys, required=True)
    allow_large_request(request, svc)
    body = request.get_json(silent=True)
    if body is None:
        raise BadRequest("send a JSON object with 'records'")
    parsed = matching.parse_request(
        kind,
        body,
        max_records=svc.settings.MAX_BATCH_ITEMS,
        max_base64_bytes=svc.settings.MAX_UPLOAD_BYTES,
    )
    wait = parse_wait(request.args.get("wait"))
    callback = read_callback(request.args.get("callbackUrl", body.get("callbackUrl")), svc.settings)
    images = ([parsed.query] if parsed.query is not None else []) + parsed.records
    policy = FetchPolicy.from_settings(svc.settings)
    inputs = [
        batch_input(record_input, record_name(record, i), policy)
        for i, (record, record_input) in enumerate(zip(images, parsed.inputs, strict=True))
    ]
    charge(request_cost(len(inputs)))
    batch_id = str(uuid_module.uuid4())
    stored = json.dumps(parsed.to_json()).encode()
    svc.storage.put(request_key(batch_id), stored, content_type="application/json")
    options = opts.to_json(HASH.parse_options({"types": matching.hash_type_option(parsed)}))
    with removed_on_failure(svc, [request_key(batch_id)]):
        batch = create_batch(
            svc,
            kind,
            owner=owner,
            inputs=inputs,
            operations={HASH.name: options},
            batch_id=batch_id,
            callback_url=callback,
        )
    return _answer(svc, batch, wait)


@bp.get(f"/api/v1/{KIND}/<uuid:batch_id>")
def status(kind: str, batch_id: uuid_module.UUID):
    svc = services()
    batch = find_batch(svc, kind, str(batch_id))
    body, _ = _answer(svc, batch, parse_wait(request.args.get("wait")))
    return body, 200
