"""``POST /api/v1/{operation}`` and ``GET /api/v1/{operation}/{uuid}`` for every registered
operation (``api.jobs``, ``api.inputs``): request bodies from the operation's own option
declarations (``common.options.json_schema``), answers from :mod:`.results`."""

from __future__ import annotations

from api.openapi import requests, results
from api.openapi.parts import (
    CALLBACK,
    NATIVE_SECURITY,
    UUID_PATH,
    WAIT,
    json_answer,
    limited,
    response_ref,
    schema_ref,
)
from common import options as opts
from common.operations import Operation

FILE = {"type": "string", "format": "binary", "description": "the image (or video)"}
URL = {
    "type": "string",
    "format": "uri",
    "maxLength": 2048,
    "description": "an http(s) URL the worker fetches (private addresses are refused)",
}
BASE64 = {"type": "string", "description": "the file as base64, or a data: URL of base64"}
WAIT_FIELD = WAIT["schema"] | {"description": WAIT["description"]}
CALLBACK_FIELD = CALLBACK["schema"] | {"description": CALLBACK["description"]}
# Swagger UI fills a form's fields with samples ("string", https://example.com/) and sends
# them; an empty example leaves the field empty, and so not sent, until a person fills it.
UNSENT = {"url": URL, "base64": BASE64, "callbackUrl": CALLBACK_FIELD}
ONE_INPUT = (
    "Send exactly one input: a multipart `file`, the file itself as the body "
    "(`Content-Type: image/*`, `video/*` or `application/octet-stream`), a `url`, or `base64`."
)
RAW = {"schema": {"type": "string", "format": "binary", "description": "the file itself"}}
NAME = {
    "name": "name",
    "in": "query",
    "required": False,
    "description": "a raw body's file name (else the `Content-Disposition` filename)",
    "schema": {"type": "string", "maxLength": 255},
}


def request_body(op: Operation) -> dict:
    """A JSON object or multipart (a file, or the other inputs as fields). JSON comes first:
    Swagger UI opens on it, with an example that runs (:mod:`.requests`)."""
    multipart = {
        "type": "object",
        "properties": {
            "file": FILE,
            **{name: {**schema, "example": ""} for name, schema in UNSENT.items()},
            "wait": WAIT_FIELD,
            **opts.json_schema(op.options, form=True),
        },
        "oneOf": [{"required": [name]} for name in ("file", "url", "base64")],
    }
    by_json = {
        "type": "object",
        "properties": {
            "url": URL,
            "base64": BASE64,
            "wait": WAIT_FIELD,
            "callbackUrl": CALLBACK_FIELD,
            **opts.json_schema(op.options),
        },
        "oneOf": [{"required": [name]} for name in ("url", "base64")],
    }
    content = {
        "application/json": {"schema": by_json, "example": requests.job()},
        "multipart/form-data": {
            "schema": multipart,
            "encoding": {"file": {"contentType": "image/*, video/*, application/octet-stream"}},
        },
        # The body is the file: no multipart framing; parameters in the query string.
        "image/*": RAW,
        "video/*": RAW,
        "application/octet-stream": RAW,
    }
    return {"required": True, "description": ONE_INPUT, "content": content}


def submit(op: Operation) -> dict:
    pending = results.names(op)[0]
    description = (
        f"{op.description}\n\n{ONE_INPUT} The options (body fields) may also be sent as query "
        "parameters, as `wait` and `callbackUrl` may be body fields; with a raw body they are all "
        "query parameters. The job is "
        "queued (202, poll `statusUrl`); with `wait` the answer is the finished job (200) "
        "when it ends in time."
    )
    return limited(
        {
            "summary": op.summary,
            "description": description.strip(),
            "operationId": f"submit_{op.name}",
            "tags": ["jobs"],
            "security": NATIVE_SECURITY,
            "parameters": [WAIT, CALLBACK, NAME],
            "requestBody": request_body(op),
            "responses": {
                "200": json_answer(
                    "finished within `wait`: completed, or failed with the job's error",
                    results.body(op, pending=False),
                ),
                "202": json_answer("queued: poll statusUrl", schema_ref(pending)),
                "400": response_ref("BadRequest"),
                "413": response_ref("TooLarge"),
                "415": response_ref("Unsupported"),
            },
        }
    )


def status(op: Operation) -> dict:
    return limited(
        {
            "summary": f"Status and result of a {op.name} job",
            "description": "A key is optional: with one, only that key's jobs are found.",
            "operationId": f"status_{op.name}",
            "tags": ["jobs"],
            "security": NATIVE_SECURITY,
            "parameters": [UUID_PATH, WAIT],
            "responses": {
                "200": json_answer(
                    "the job: queued, processing, completed or failed", results.body(op)
                ),
                "400": response_ref("BadRequest"),
                "404": response_ref("NotFound"),
            },
        }
    )


def paths(ops: tuple[Operation, ...]) -> dict:
    found = {}
    for op in ops:
        found[f"/api/v1/{op.name}"] = {"post": submit(op)}
        found[f"/api/v1/{op.name}/{{uuid}}"] = {"get": status(op)}
    return found
