"""Ximilar image matching v2 at ``/compat/ximilar/image_matching/v2`` (``api.compat.ximilar``):
``ping``, ``visual_hash``, ``remove_duplicates``, ``rank_images``, synchronous.

``Authorization: Token KEY`` (an exifq API key). Errors: 401 ``{"detail"}``, otherwise
``{"status": {"code", "text"}}`` with that HTTP status.
"""

from __future__ import annotations

from api.openapi import requests
from api.openapi.batch import IN_RECORD
from api.openapi.compat.shared import operation
from api.openapi.parts import INTEGER, NUMBER, TEXT, UUID, json_answer, schema_ref, strict
from worker.matching import KINDS

PREFIX = "/compat/ximilar/image_matching/v2"
SECURITY_SCHEMES = {
    "XimilarToken": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Token KEY`, KEY an exifq API key",
    }
}
_SECURITY = [{"XimilarToken": []}, {}]
_STATUS = {
    "type": "object",
    "properties": {"code": INTEGER, "text": TEXT, "request_id": UUID, "proc_id": UUID},
    "required": ["code", "text"],
}
_RECORD = {
    "type": "object",
    "description": "your record's fields (not _base64), its _status, and for visual_hash "
    "phash (64 bits) and/or bmh1 (968 bits) as bit strings",
    "properties": {
        "_id": {"type": "string"},
        "_url": TEXT,
        "_status": {**_STATUS, "properties": {**_STATUS["properties"], "message": TEXT}},
        "_width": INTEGER,
        "_height": INTEGER,
        "phash": {"type": "string", "pattern": "^[01]{64}$"},
        "bmh1": {"type": "string", "pattern": "^[01]{968}$"},
        "removed_records": {"type": "array", "items": schema_ref("XimilarRecord")},
    },
    "required": ["_status"],
}
_RECORDS = {"type": "array", "items": schema_ref("XimilarRecord")}
SCHEMAS = {
    "XimilarRecord": _RECORD,
    "XimilarError": strict({"status": _STATUS}, ["status"]),
    "XimilarUnauthorized": strict({"detail": TEXT}, ["detail"]),
    "XimilarAnswer": strict(
        {
            "records": _RECORDS,
            "skipped_records": _RECORDS,
            "query_records": _RECORDS,
            "answer_records": _RECORDS,
            "answer_distances": {"type": "array", "items": NUMBER},
            "status": _STATUS,
            "statistics": strict(
                {"processing time": {"type": "number", "description": "seconds"}},
                ["processing time"],
            ),
        },
        ["status", "statistics"],
    ),
    "XimilarPending": strict(
        {"uuid": UUID, "status": _STATUS, "statusUrl": {"type": "string", "format": "uri"}},
        ["uuid", "status", "statusUrl"],
    ),
}
_ERRORS = {
    "400": "a malformed request",
    "404": "unknown or expired",
    "413": "the request is larger than MAX_BATCH_BYTES",
    "429": "rate limited",
    "500": "the answer could not be made",
    "503": "Redis or storage unavailable",
}


def _unauthorized(answers: dict) -> dict:
    answers["401"] = json_answer("Invalid token.", schema_ref("XimilarUnauthorized"))
    return answers


def _body(kind: str) -> dict:
    properties = {
        "records": {"type": "array", "items": IN_RECORD, "minItems": 1},
        "hash_type": {"enum": ["phash", "bmh1"]},
    }
    if kind != "visual_hash":
        properties["range"] = {"type": "integer", "minimum": 0, "default": 0}
    if kind == "rank_images":
        properties["query_record"] = IN_RECORD
        properties["k"] = {"type": "integer", "minimum": 1}
    required = ["records", "query_record"] if kind == "rank_images" else ["records"]
    schema = {"type": "object", "properties": properties, "required": required}
    media = {"schema": schema, "example": requests.similarity(kind)}
    return {"required": True, "content": {"application/json": media}}


def paths() -> dict:
    ping_answer = strict(
        {"status": _STATUS, "_service_info": {"type": "object"}}, ["status", "_service_info"]
    )
    found = {}
    ping = {
        "summary": "Ximilar: ping (checks the token)",
        "security": _SECURITY,
    }
    found[f"{PREFIX}/ping"] = {
        method: operation(
            "ximilar",
            "XimilarError",
            {"429": _ERRORS["429"], "503": _ERRORS["503"]},
            _unauthorized({"200": json_answer("OK", ping_answer)}),
            operationId=f"ximilar_ping_{method}",
            **ping,
        )
        for method in ("get", "post")
    }
    for kind in KINDS:
        answers = {
            "200": json_answer("Ximilar's answer", schema_ref("XimilarAnswer")),
            "202": json_answer(
                "not answered within COMPAT_WAIT_SECONDS: follow statusUrl",
                schema_ref("XimilarPending"),
            ),
        }
        found[f"{PREFIX}/{kind}"] = {
            "post": operation(
                "ximilar",
                "XimilarError",
                {k: v for k, v in _ERRORS.items() if k != "404"},
                _unauthorized(dict(answers)),
                summary=f"Ximilar: {kind}",
                operationId=f"ximilar_{kind}",
                security=_SECURITY,
                requestBody=_body(kind),
            )
        }
        found[f"{PREFIX}/{kind}/{{uuid}}"] = {
            "get": operation(
                "ximilar",
                "XimilarError",
                {k: v for k, v in _ERRORS.items() if k not in ("400", "413")},
                _unauthorized(dict(answers)),
                summary=f"Ximilar: the {kind} answer later (not in Ximilar's API)",
                operationId=f"ximilar_{kind}_result",
                security=_SECURITY,
                parameters=[{"name": "uuid", "in": "path", "required": True, "schema": UUID}],
            )
        }
    return found
