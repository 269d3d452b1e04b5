"""``/api/v1/batch`` (``api.batch``: many inputs × operations, one UUID) and the Ximilar-shaped
similarity jobs ``/api/v1/{visual_hash,remove_duplicates,rank_images}`` (``api.matching``,
``worker.matching``)."""

from __future__ import annotations

from api.openapi import requests, results
from api.openapi.jobs import BASE64, CALLBACK_FIELD, FILE, URL, WAIT_FIELD
from api.openapi.parts import (
    CALLBACK,
    DATE_TIME,
    INTEGER,
    NATIVE_SECURITY,
    TEXT,
    UUID,
    UUID_PATH,
    WAIT,
    json_answer,
    limited,
    nullable,
    response_ref,
    schema_ref,
    strict,
)
from common import options as opts
from common.operations import Operation
from worker.matching import KINDS

_ITEM_STATUS = {"enum": ["queued", "processing", "completed", "failed"]}
PROGRESS = {
    "success": {"const": True},
    "uuid": UUID,
    "status": {"enum": ["processing", "completed", "completed_with_errors"]},
    "total": INTEGER,
    "completed": INTEGER,
    "failed": INTEGER,
    "createdAt": DATE_TIME,
    "expiresAt": DATE_TIME,
}


def batch_schemas(ops: tuple[Operation, ...]) -> dict:
    item = strict(
        {
            "index": INTEGER,
            "name": {"type": "string", "description": "the file's relative name, or the URL"},
            "op": {"enum": [op.name for op in ops]},
            "uuid": UUID,
            "status": _ITEM_STATUS,
            "statusUrl": TEXT,
            "downloadUrl": TEXT,
            "error": schema_ref("JobError"),
            "result": nullable(
                {
                    "anyOf": [schema_ref(results.result_name(op)) for op in ops],
                    "description": "with include=results, for a completed item",
                }
            ),
        },
        ["index", "name", "op", "uuid", "status", "statusUrl"],
    )
    page = {
        "operations": {"type": "array", "items": TEXT},
        "offset": INTEGER,
        "limit": INTEGER,
        "nextOffset": {"type": "integer", "description": "absent on the last page"},
        "items": {"type": "array", "items": schema_ref("BatchItem")},
    }
    batch = strict(
        {**PROGRESS, "statusUrl": TEXT, **page},
        list(PROGRESS),
        description="progress; a page of items from the status URL or after `wait`",
    )
    return {"BatchItem": item, "Batch": batch}


def _batch_body(ops: tuple[Operation, ...]) -> dict:
    names = ", ".join(op.name for op in ops)
    operations = {
        "description": f"some of {names} (default extract)",
        "anyOf": [{"type": "string"}, {"type": "array", "items": {"enum": [o.name for o in ops]}}],
    }
    form = {name: s for op in ops for name, s in opts.json_schema(op.options, form=True).items()}
    typed = {name: s for op in ops for name, s in opts.json_schema(op.options).items()}
    shared = {"operations": operations, "wait": WAIT_FIELD, "callbackUrl": CALLBACK_FIELD}
    multipart = {
        "type": "object",
        "properties": {
            "file": {"type": "array", "items": FILE},
            "url": {"type": "array", "items": URL, "example": []},
            "base64": {"type": "array", "items": BASE64, "example": []},
            **shared,
            "callbackUrl": {**CALLBACK_FIELD, "example": ""},  # (api.openapi.jobs.UNSENT)
            **form,
            "operations": {"type": "string", "default": "extract", "description": "comma list"},
        },
    }
    by_json = {
        "type": "object",
        "properties": {
            "urls": {"type": "array", "items": URL},
            "url": URL,
            "base64": {"anyOf": [BASE64, {"type": "array", "items": BASE64}]},
            **shared,
            **typed,
        },
        "anyOf": [{"required": [name]} for name in ("urls", "url", "base64")],
    }
    return {
        "required": True,
        "description": "Files first, then base64 inputs, then URLs; an unusable input is an "
        "item failed from the start. Options go to every operation that takes them. A "
        "multipart body is read as it arrives and its first items start before it ends: "
        "send `operations` and the options before the files (an option after files already "
        "at work is a 400).",
        "content": {
            "application/json": {"schema": by_json, "example": requests.batch()},
            "multipart/form-data": {"schema": multipart},
        },
    }


def batch_paths(ops: tuple[Operation, ...]) -> dict:
    batch = schema_ref("Batch")
    page = [
        {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0}},
        {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
        },
        {
            "name": "include",
            "in": "query",
            "schema": {"enum": ["results"]},
            "description": "inline completed items' results",
        },
    ]
    submit = {
        "summary": "Many files and/or URLs, one or more operations: one batch UUID",
        "operationId": "submit_batch",
        "tags": ["batches"],
        "security": NATIVE_SECURITY,
        "description": "Each (input, operation) is an ordinary job. The request costs one unit "
        "of the rate limit per job.",
        "parameters": [WAIT, CALLBACK, *page],
        "requestBody": _batch_body(ops),
        "responses": {
            "200": json_answer("finished within `wait`: progress and the first page", batch),
            "202": json_answer("accepted (still running after `wait`)", batch),
            "400": response_ref("BadRequest"),
            "413": response_ref("TooLarge"),
        },
    }
    status = {
        "summary": "Progress of a batch and one page of its items",
        "operationId": "status_batch",
        "tags": ["batches"],
        "security": NATIVE_SECURITY,
        "parameters": [UUID_PATH, WAIT, *page],
        "responses": {
            "200": json_answer("the batch", batch),
            "400": response_ref("BadRequest"),
            "404": response_ref("NotFound"),
        },
    }
    return {
        "/api/v1/batch": {"post": limited(submit)},
        "/api/v1/batch/{uuid}": {"get": limited(status)},
    }


# ------------------------------------------------------------------ similarity

RECORD_STATUS = {
    "type": "object",
    "properties": {"code": INTEGER, "text": TEXT, "message": TEXT},
    "required": ["code", "text"],
}
ANSWER_RECORD = {
    "type": "object",
    "description": "the record's own fields (not _base64) and what exifq adds",
    "properties": {
        "_id": {},
        "_url": TEXT,
        "_status": schema_ref("RecordStatus"),
        "_width": INTEGER,
        "_height": INTEGER,
        "_hash": {"type": "string", "pattern": "^[01]+$", "description": "bit string"},
        "_distance": {"type": "integer", "description": "bits from the kept record"},
        "removed_records": {"type": "array", "items": schema_ref("AnswerRecord")},
    },
    "required": ["_status"],
}
_RECORDS = {"type": "array", "items": schema_ref("AnswerRecord")}
_ANSWERS = {
    "visual_hash": ({"records": _RECORDS}, ["records"]),
    "remove_duplicates": (
        {"records": _RECORDS, "skipped_records": _RECORDS, "range": INTEGER},
        ["records", "skipped_records", "range"],
    ),
    "rank_images": (
        {
            "query_record": schema_ref("AnswerRecord"),
            "answer_records": _RECORDS,
            "answer_distances": {"type": "array", "items": INTEGER},
            "answer_count": INTEGER,
            "skipped_records": _RECORDS,
            "range": INTEGER,
        },
        ["query_record", "answer_records", "answer_distances", "answer_count", "skipped_records"],
    ),
}
IN_RECORD = {
    "type": "object",
    "properties": {
        "_url": URL,
        "_base64": BASE64,
        "_id": {"description": "yours, echoed back"},
    },
    "description": "an image by _url or _base64, with any fields of yours (echoed back)",
}


def similarity_schemas() -> dict:
    found = {"RecordStatus": RECORD_STATUS, "AnswerRecord": ANSWER_RECORD, "Record": IN_RECORD}
    for kind, (properties, required) in _ANSWERS.items():
        found[_answer_name(kind)] = strict(
            {
                **properties,
                "hash_type": {"enum": ["phash", "bmh1"]},
                "status": strict({"code": {"enum": [200, 300]}, "text": TEXT}, ["code", "text"]),
                "uuid": UUID,
            },
            [*required, "hash_type", "status", "uuid"],
        )
    found["SimilarityFailed"] = results.FAILED
    found["SimilarityProgress"] = strict(
        {**PROGRESS, "status": {"const": "processing"}, "statusUrl": TEXT},
        [*PROGRESS, "statusUrl"],
    )
    return found


def _answer_name(kind: str) -> str:
    return "".join(part.capitalize() for part in kind.split("_")) + "Answer"


def _similarity_body(kind: str) -> dict:
    properties = {
        "records": {"type": "array", "items": schema_ref("Record"), "minItems": 1},
        "hash_type": {"enum": ["phash", "bmh1"], "default": "phash"},
        "callbackUrl": CALLBACK_FIELD,
    }
    if kind != "visual_hash":
        properties["range"] = {
            "type": "integer",
            "minimum": 0,
            "description": "the largest distance in bits of a duplicate (default phash 10, "
            "bmh1 48)",
        }
    if kind == "rank_images":
        properties["query_record"] = schema_ref("Record")
        properties["k"] = {"type": "integer", "minimum": 1, "description": "at most k answers"}
    required = ["records", "query_record"] if kind == "rank_images" else ["records"]
    schema = {"type": "object", "properties": properties, "required": required}
    media = {"schema": schema, "example": requests.similarity(kind)}
    return {"required": True, "content": {"application/json": media}}


def similarity_paths() -> dict:
    found = {}
    for kind in KINDS:
        finished = {"oneOf": [schema_ref(_answer_name(kind)), schema_ref("SimilarityFailed")]}
        progress = schema_ref("SimilarityProgress")
        submit = {
            "summary": f"{kind}: Ximilar's image matching request and answer",
            "operationId": f"submit_{kind}",
            "tags": ["similarity"],
            "security": NATIVE_SECURITY,
            "description": "Each record is hashed by a hash job; the answer is Ximilar's body "
            "with our uuid. Costs one unit of the rate limit per record.",
            "parameters": [WAIT, CALLBACK],
            "requestBody": _similarity_body(kind),
            "responses": {
                "200": json_answer("answered within `wait`", finished),
                "202": json_answer("accepted: progress while records are hashed", progress),
                "400": response_ref("BadRequest"),
                "413": response_ref("TooLarge"),
            },
        }
        status = {
            "summary": f"Progress or answer of a {kind} job",
            "operationId": f"status_{kind}",
            "tags": ["similarity"],
            "security": NATIVE_SECURITY,
            "parameters": [UUID_PATH, WAIT],
            "responses": {
                "200": json_answer(
                    "the answer, or the progress while it runs",
                    {"oneOf": [*finished["oneOf"], progress]},
                ),
                "400": response_ref("BadRequest"),
                "404": response_ref("NotFound"),
            },
        }
        found[f"/api/v1/{kind}"] = {"post": limited(submit)}
        found[f"/api/v1/{kind}/{{uuid}}"] = {"get": limited(status)}
    return found
