"""``POST /api/v1/batch`` (many files and URLs, one or more operations → one UUID) and
``GET /api/v1/batch/{uuid}`` (progress, and each item's status and result link).

Inputs: repeated multipart ``file`` fields, ``base64`` files (repeated form fields
or a JSON list; plain or ``data:`` URLs), and URLs as repeated ``url`` form fields or
a JSON ``urls`` list. ``operations`` is a comma list (or JSON list)
of registered operations (``common.operations``; default ``extract``);
options keep their single-job names (``pixels``; ``keep``, ``drop``;
``types``, ``fast``) and go to every requested operation that has them.
Each (input, operation) is one ordinary job (``api.fanout``). An input that
cannot be an image — not one, too large, a malformed URL — is an item failed
from the start, never a failed request.

A multipart body is read as it arrives and its items are written and sent in growing
groups while the rest is still uploading (``api.batch_stream``: send the operations and
options before the files); a JSON or url-encoded body is read whole and written at once
(``api.fanout.create_batch``). Inputs and operations are read by ``api.batch_inputs``.

A poll costs three Redis commands whatever the batch's size; items come in
pages (``offset``, ``limit`` ≤ 1000), and ``include=results`` inlines the
results of the page's completed items.
"""

from __future__ import annotations

import json
import uuid as uuid_module
from concurrent.futures import ThreadPoolExecutor

from flask import Blueprint, Request, request

from api.auth import request_owner
from api.batch_inputs import Parameters, read_inputs
from api.batch_stream import StreamedBatch, is_streamed
from api.inputs import parse_wait, request_params
from api.jobs import require_visible
from api.ratelimit import costs_jobs
from api.services import Services, services
from common import operations as registry
from common.batches import PLAIN, Batch, ItemState
from common.bodies import progress_body
from common.errors import BadRequest
from common.status import COMPLETED, FAILED
from common.storage import ObjectNotFound

bp = Blueprint("batch", __name__)

MAX_PAGE = 1000
PARALLEL_READS = 8


def allow_large_request(req: Request, svc: Services) -> None:
    """Let this request carry a whole batch: up to ``MAX_BATCH_BYTES`` and one part per item."""
    req.max_content_length = svc.settings.MAX_BATCH_BYTES
    req.max_form_parts = 2 * svc.settings.MAX_BATCH_ITEMS + 100
    req.max_form_memory_size = 64 * 1024 * 1024


def find_batch(svc: Services, kind: str, batch_id: str) -> Batch:
    """The batch, if the request may see it (see ``api.jobs.require_visible``)."""
    batch = svc.batches.get(batch_id)
    require_visible(svc, batch, kind)
    return batch


def _item_body(state: ItemState) -> dict:
    item = state.item
    body = {
        "index": state.index,
        "name": item.name,
        "op": item.op,
        "uuid": item.uuid,
        "status": state.status,
        "statusUrl": f"/api/v1/{item.op}/{item.uuid}",
    }
    operation = registry.get(item.op)
    if state.status == COMPLETED and operation is not None and operation.produces_file:
        body["downloadUrl"] = f"/download-cleaned/{item.uuid}"
    if state.status == FAILED:
        body["error"] = state.error
    return body


def _result(svc: Services, job_id: str) -> dict | None:
    job = svc.jobs.get(job_id)
    try:
        return json.loads(svc.storage.get(job.result_key)) if job and job.result_key else None
    except ObjectNotFound:
        return None


def batch_body(svc: Services, batch: Batch, offset: int, limit: int, results: bool) -> dict:
    """Progress and one page of items (with their results if ``results``)."""
    states = svc.batches.items(batch.uuid, offset, limit)
    items = [_item_body(state) for state in states]
    if results:
        done = [body for body in items if body["status"] == COMPLETED]
        if done:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(done))) as pool:
                results_ = pool.map(lambda body: _result(svc, body["uuid"]), done)
                for body, result in zip(done, results_, strict=True):
                    body["result"] = result
    page = {"operations": batch.operations, "offset": offset, "limit": limit}
    if offset + limit < batch.total:
        page["nextOffset"] = offset + limit
    return {**progress_body(batch), **page, "items": items}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    value = request.args.get(name, default)
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= number <= high:
        raise BadRequest(f"{name} must be between {low} and {high}")
    return number


def _answer(svc: Services, batch: Batch, wait: float):
    if wait > 0 and not batch.finished:
        batch = svc.batches.wait(batch.uuid, wait) or batch
    offset = _int_arg("offset", 0, 0, 10**9)
    limit = _int_arg("limit", MAX_PAGE, 1, MAX_PAGE)
    results = request.args.get("include", "") == "results"
    return batch_body(svc, batch, offset, limit, results), 200 if batch.finished else 202


@bp.post("/api/v1/batch")
@costs_jobs
def submit():
    svc = services()
    owner = request_owner(svc.settings.api_keys, required=True)
    allow_large_request(request, svc)
    if is_streamed(request):
        batch, wait = StreamedBatch(svc, owner).read(request)
    else:
        params = request_params(request)
        checked = Parameters.check(params, svc)
        batch = checked.create_batch(svc, owner, read_inputs(request, params, svc))
        wait = checked.wait
    if wait > 0:
        return _answer(svc, batch, wait)
    body = {**progress_body(batch), "statusUrl": f"/api/v1/batch/{batch.uuid}"}
    return body, 202


@bp.get("/api/v1/batch/<uuid:batch_id>")
def status(batch_id: uuid_module.UUID):
    svc = services()
    batch = find_batch(svc, PLAIN, str(batch_id))
    body, _ = _answer(svc, batch, parse_wait(request.args.get("wait")))
    return body, 200
