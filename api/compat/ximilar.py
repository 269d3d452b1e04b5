"""Ximilar image matching v2 at ``/compat/ximilar/image_matching/v2`` (seed:
``ximilar-image-matching.txt``).

``POST /ping``, ``/visual_hash``, ``/remove_duplicates`` and ``/rank_images``
with ``Authorization: Token KEY`` (an API key). The request is read by
``worker.matching`` and runs as the native similarity job does (one hash job
per record, ``api.fanout``; ``worker.answering`` answers); the request waits
for the answer and writes it in the seed's shape:

- ``visual_hash`` gives each record ``phash`` and ``bmh1`` as bit strings
  (both unless ``hash_type`` names one, as the seed says);
- ``remove_duplicates`` and ``rank_images`` default to ``hash_type`` ``bmh1``
  and ``range`` 0 (the seed's defaults; the native API's are phash and 10);
- ``_id`` is echoed as a string, and made up (a UUID) for records of
  ``remove_duplicates`` and ``rank_images`` that have none, as the seed shows;
- ``status`` and each ``_status`` carry ``request_id`` (the batch's UUID), a
  failed record's ``text`` is what went wrong; ``statistics`` has
  ``processing time`` in seconds; ``answer_distances`` are numbers of bits.

A job not answered within ``COMPAT_WAIT_SECONDS`` answers 202 with its
``uuid``; ``GET /{method}/{uuid}`` (not in the seed) gives the answer later.
Errors: 401 ``{"detail": ...}`` (Ximilar's token authentication), otherwise
``{"status": {"code", "text"}}`` with that HTTP status.
"""

from __future__ import annotations

import json
import time
import uuid as uuid_module

from flask import Blueprint, request

from api.batch import allow_large_request
from api.compat import base
from api.fanout import create_batch
from api.matching import answer_body, batch_input, record_name
from api.services import Services, services
from common import options as opts
from common.batches import Batch, request_key
from common.errors import BadRequest
from common.fetch.policy import FetchPolicy
from common.operations.hashes import OPERATION as HASH
from worker import matching
from worker.media.hashes import to_bits

PREFIX = "/compat/ximilar/image_matching/v2"
SERVICE_INFO = {
    "_name": "Image matching service",
    "_info": "Get visual hashes, find (near-)duplicate images and rank them",
}
SEED_HASH_TYPE = "bmh1"  # the seed's default for remove_duplicates and rank_images
SEED_RANGE = 0
_DROPPED = ("hash_type", "range", "answer_count", "query_record")


def render(status: int, message: str):
    if status == 401:
        return base.json_error({"detail": "Invalid token."}, 401)
    return base.json_error({"status": {"code": status, "text": message}}, status)


# ------------------------------------------------------------------ request


def prepared(kind: str, body: dict) -> tuple[dict, tuple[str, ...]]:
    """The request as ``worker.matching`` reads it (the seed's defaults applied, ``_id``
    strings), and the hash types each record's job computes."""
    body = dict(body)
    if kind != "visual_hash":
        body.setdefault("hash_type", SEED_HASH_TYPE)
    if kind == "remove_duplicates":
        body.setdefault("range", SEED_RANGE)
    records = body.get("records")
    if records == []:  # Ximilar's API refuses it (the native API answers it with nothing)
        raise BadRequest("records is empty")
    if isinstance(records, list):
        body["records"] = [_with_id(kind, record) for record in records]
    if kind == "visual_hash" and "hash_type" not in body:
        return body, ("phash", "bmh1")
    return body, (body.get("hash_type"),)


def _with_id(kind: str, record: object) -> object:
    if not isinstance(record, dict):
        return record
    given = record.get("_id")
    if isinstance(given, str | int | float) and not isinstance(given, bool):
        return {**record, "_id": str(given)}
    if given is None and kind != "visual_hash":
        return {**record, "_id": str(uuid_module.uuid4())}
    return record


def _submit(svc: Services, kind: str, body: dict, owner: str) -> Batch:
    """The native similarity job for ``body`` (as ``api.matching`` makes one)."""
    request_body, types = prepared(kind, body)
    parsed = matching.parse_request(
        kind,
        request_body,
        max_records=svc.settings.MAX_BATCH_ITEMS,
        max_base64_bytes=svc.settings.MAX_UPLOAD_BYTES,
    )
    images = ([parsed.query] if parsed.query is not None else []) + parsed.records
    policy = FetchPolicy.from_settings(svc.settings)  # literal addresses fail at once
    inputs = [
        batch_input(record_input, record_name(record, i), policy)
        for i, (record, record_input) in enumerate(zip(images, parsed.inputs, strict=True))
    ]
    batch_id = str(uuid_module.uuid4())
    stored = json.dumps(parsed.to_json()).encode()
    svc.storage.put(request_key(batch_id), stored, content_type="application/json")
    options = opts.to_json(HASH.parse_options({"types": list(types)}))
    return create_batch(
        svc, kind, owner=owner, inputs=inputs, operations={HASH.name: options}, batch_id=batch_id
    )


# ------------------------------------------------------------------ answer


def _status(status: dict, request_id: str) -> dict:
    """A native ``_status`` in the seed's words: ``text`` is what went wrong."""
    text = status.get("message") or status.get("text", "")
    return {"code": status.get("code", 500), "text": text, "request_id": request_id}


def _record(record: dict, request_id: str, hashes: dict | None = None) -> dict:
    shaped = {k: v for k, v in record.items() if k not in ("_hash", "_distance")}
    if isinstance(record.get("_status"), dict):
        shaped["_status"] = _status(record["_status"], request_id)
    if "removed_records" in record:
        shaped["removed_records"] = [_record(r, request_id) for r in record["removed_records"]]
    for name, value in (hashes or {}).items():
        shaped[name] = to_bits(value) if name == "phash" else value
    return shaped


def shaped_answer(
    kind: str, native: dict, request_id: str, seconds: float, hashes: list[dict] | None = None
) -> dict:
    """The seed's answer from the native one; ``hashes[i]`` are record i's hashes (the types
    asked for) when ``kind`` is ``visual_hash``."""
    body: dict = {}
    records = native.get("records")
    if records is not None:
        if kind == "visual_hash":
            pairs = zip(records, hashes or [{}] * len(records), strict=False)
            ok = [r.get("_status", {}).get("code") == 200 for r in records]
            body["records"] = [
                _record(r, request_id, h if good else None)
                for (r, h), good in zip(pairs, ok, strict=False)
            ]
        else:
            body["records"] = [_record(r, request_id) for r in records]
    if kind == "rank_images":
        body["query_records"] = [_record(native["query_record"], request_id)]
        body["answer_records"] = [_record(r, request_id) for r in native["answer_records"]]
        body["answer_distances"] = [float(d) for d in native["answer_distances"]]
    if "skipped_records" in native:
        body["skipped_records"] = [_record(r, request_id) for r in native["skipped_records"]]
    for name, value in native.items():
        if name not in body and name not in _DROPPED and name not in ("status", "uuid"):
            body[name] = value
    status = native.get("status") or matching.OK_STATUS
    body["status"] = {**status, "request_id": request_id, "proc_id": request_id}
    body["statistics"] = {"processing time": round(seconds, 6)}
    return body


def _hashes(svc: Services, batch: Batch) -> list[dict]:
    """Each record's hashes (visual_hash answers every type its jobs computed)."""
    states = svc.batches.all_items(batch.uuid)
    return [((state.summary or {}).get("hashes") or {}) for state in states]


def _answer(svc: Services, kind: str, batch: Batch, started: float, wait: float | None):
    timeout = svc.settings.COMPAT_WAIT_SECONDS if wait is None else wait
    if timeout > 0 and not batch.finished:
        batch = svc.batches.wait(batch.uuid, timeout) or batch
    native, code = answer_body(svc, batch)
    if code == 202:
        follow = base.absolute(svc.settings, f"{PREFIX}/{kind}/{batch.uuid}")
        status = {"code": 202, "text": "PROCESSING", "request_id": batch.uuid}
        return {"uuid": batch.uuid, "status": status, "statusUrl": follow}, 202
    if native.get("success") is False:
        text = (native.get("error") or {}).get("message", "the request could not be answered")
        return {"status": {"code": 500, "text": text, "request_id": batch.uuid}}, 500
    hashes = _hashes(svc, batch) if kind == "visual_hash" else None
    return shaped_answer(kind, native, batch.uuid, time.monotonic() - started, hashes), 200


# ------------------------------------------------------------------ routes


def _owner(svc: Services) -> str:
    return base.owner_for(svc, base.token(request.headers.get("Authorization")))


def ping():
    _owner(services())
    return {"status": {"code": 200, "text": "OK"}, "_service_info": SERVICE_INFO}


def submit(kind: str):
    started = time.monotonic()
    svc = services()
    owner = _owner(svc)
    allow_large_request(request, svc)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("send a JSON object with 'records'")
    if not base.encodable(body):
        raise BadRequest("the request holds text that is not valid Unicode")
    batch = _submit(svc, kind, body, owner)
    return _answer(svc, kind, batch, started, None)


def status(kind: str, batch_id: uuid_module.UUID):
    svc = services()
    owner = base.owner_for(svc, base.token(request.headers.get("Authorization")), required=False)
    batch = svc.batches.get(str(batch_id))
    if not base.visible(svc, batch, kind, owner):
        raise base.NotFound("Not found.")
    elapsed = max(0.0, (batch.finished_at or svc.clock.now()) - batch.created_at)
    return _answer(svc, kind, batch, time.monotonic() - elapsed, 0)


def blueprint() -> Blueprint:
    bp = Blueprint("compat_ximilar", __name__, url_prefix=PREFIX)
    kinds = f"<any({', '.join(matching.KINDS)}):kind>"
    bp.add_url_rule("/ping", view_func=ping, methods=["POST", "GET"])
    bp.add_url_rule(f"/{kinds}", view_func=submit, methods=["POST"])
    bp.add_url_rule(f"/{kinds}/<uuid:batch_id>", view_func=status, methods=["GET"])
    base.install_errors(bp, render)
    return bp
