"""``GET /openapi.json``: the OpenAPI 3.1 description of API v1 (``api.docs`` renders it)."""

from __future__ import annotations

from flask import Blueprint

from common import operations
from common import options as opts
from common.operations import Operation
from worker.media.formats import ALL as FORMATS

bp = Blueprint("openapi", __name__)

_ERROR = {
    "type": "object",
    "required": ["success", "error"],
    "properties": {
        "success": {"const": False},
        "error": {"type": "string", "description": "what went wrong, for people"},
        "code": {
            "type": "string",
            "description": "the error's name, for programs (bad_request, too_large, ...)",
        },
    },
}
_JOB_ERROR = {
    "type": "object",
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
_JOB = {
    "type": "object",
    "required": ["success", "status", "uuid"],
    "properties": {
        "success": {"type": "boolean"},
        "status": {"enum": ["queued", "processing", "completed", "failed"]},
        "uuid": {"type": "string", "format": "uuid"},
        "statusUrl": {"type": "string"},
        "fileName": {"type": "string"},
        "expiresAt": {"type": "string", "format": "date-time"},
        "downloadUrl": {"type": "string", "description": "remove jobs only"},
        "error": _JOB_ERROR,
    },
    "additionalProperties": True,
}


def _error(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _ERROR}}}


def _job_answer(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": _JOB}}}


def _param(name: str, where: str, schema: dict, description: str = "") -> dict:
    return {"name": name, "in": where, "schema": schema, "description": description}


_WAIT = _param(
    "wait", "query", {"type": "number", "minimum": 0, "maximum": 30}, "seconds to wait for the end"
)
_UUID = {**_param("uuid", "path", {"type": "string", "format": "uuid"}), "required": True}
_CALLBACK = _param(
    "callbackUrl",
    "query",
    {"type": "string", "format": "uri"},
    "POSTed the status once finished, signed (X-Exifq-Signature; docs/operators.md)",
)
_LIMITED = _error("rate limited: wait Retry-After seconds")


_BASE64 = {"type": "string", "description": "the file as base64, or a data: URL of base64"}


def _body(multipart: dict, by_url: dict) -> dict:
    content = {"multipart/form-data": {"schema": multipart}, "application/json": {"schema": by_url}}
    return {"required": True, "content": content}


def _submit(op: Operation) -> dict:
    form = opts.json_schema(op.options, form=True)
    multipart = {
        "type": "object",
        "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}, **form},
    }
    by_url = {
        "type": "object",
        "anyOf": [{"required": ["url"]}, {"required": ["base64"]}],
        "properties": {
            "url": {"type": "string", "format": "uri"},
            "base64": _BASE64,
            **opts.json_schema(op.options),
        },
    }
    return {
        "summary": op.summary,
        "description": op.description,
        "operationId": f"submit_{op.name}",
        "parameters": [_WAIT, _CALLBACK, *(_param(n, "query", s) for n, s in form.items())],
        "requestBody": _body(multipart, by_url),
        "responses": {
            "202": _job_answer("queued"),
            "200": _job_answer("finished within ?wait"),
            "400": _error("bad parameters"),
            "401": _error("missing or invalid API key"),
            "413": _error("file too large"),
            "415": _error("not a supported image"),
            "429": _LIMITED,
            "503": _error("Redis or storage unavailable"),
        },
    }


def _status(op: Operation) -> dict:
    return {
        "summary": f"Status and result of a {op.name} job",
        "operationId": f"status_{op.name}",
        "parameters": [_UUID, _WAIT],
        "responses": {
            "200": _job_answer("the job"),
            "404": _error("unknown or expired"),
            "503": _error("Redis or storage unavailable"),
        },
    }


def _batch_schema(ops: tuple[Operation, ...]) -> dict:
    return {
        "type": "object",
        "required": ["success", "uuid", "status", "total", "completed", "failed"],
        "properties": {
            "success": {"type": "boolean"},
            "uuid": {"type": "string", "format": "uuid"},
            "status": {"enum": ["processing", "completed", "completed_with_errors"]},
            "total": {"type": "integer"},
            "completed": {"type": "integer"},
            "failed": {"type": "integer"},
            "nextOffset": {"type": "integer", "description": "absent on the last page"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["index", "name", "op", "uuid", "status", "statusUrl"],
                    "properties": {
                        "index": {"type": "integer"},
                        "name": {"type": "string"},
                        "op": {"enum": [op.name for op in ops]},
                        "uuid": {"type": "string", "format": "uuid"},
                        "status": {"enum": ["queued", "processing", "completed", "failed"]},
                        "statusUrl": {"type": "string"},
                        "downloadUrl": {"type": "string"},
                        "error": _JOB_ERROR,
                        "result": {"type": "object", "description": "with ?include=results"},
                    },
                },
            },
        },
    }


def _json_answer(description: str, schema: dict) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _batch_paths(ops: tuple[Operation, ...]) -> dict:
    names = ", ".join(op.name for op in ops)
    operations = {"description": f"comma list of {names} (default extract)", "type": "string"}
    form = {name: s for op in ops for name, s in opts.json_schema(op.options, form=True).items()}
    typed = {name: s for op in ops for name, s in opts.json_schema(op.options).items()}
    batch = _batch_schema(ops)
    multipart = {
        "type": "object",
        "properties": {
            "file": {"type": "array", "items": {"type": "string", "format": "binary"}},
            "url": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "operations": operations,
            **form,
        },
    }
    by_url = {
        "type": "object",
        "anyOf": [{"required": ["urls"]}, {"required": ["base64"]}],
        "properties": {
            "urls": {"type": "array", "items": {"type": "string", "format": "uri"}},
            "base64": {"type": "array", "items": _BASE64},
            "operations": operations,
            **typed,
        },
    }
    page = [
        _param("offset", "query", {"type": "integer", "minimum": 0}, "first item of the page"),
        _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000}),
        _param("include", "query", {"enum": ["results"]}, "inline completed items' results"),
    ]
    submit = {
        "summary": "Many files and/or URLs, one or more operations: one batch UUID",
        "operationId": "submit_batch",
        "parameters": [_WAIT, _CALLBACK],
        "requestBody": _body(multipart, by_url),
        "responses": {
            "202": _json_answer("accepted; items fan out to the workers", batch),
            "200": _json_answer("finished within ?wait", batch),
            "400": _error("no inputs, too many, or bad options"),
            "401": _error("missing or invalid API key"),
            "413": _error("request larger than MAX_BATCH_BYTES"),
            "429": _LIMITED,
        },
    }
    status = {
        "summary": "Progress of a batch and one page of its items",
        "operationId": "status_batch",
        "parameters": [_UUID, _WAIT, *page],
        "responses": {
            "200": _json_answer("the batch", batch),
            "404": _error("unknown or expired"),
        },
    }
    return {"/api/v1/batch": {"post": submit}, "/api/v1/batch/{uuid}": {"get": status}}


_MATCHING = {
    "visual_hash": "Ximilar-shaped: the hash of every record",
    "remove_duplicates": "Ximilar-shaped: clusters of near-duplicate records",
    "rank_images": "Ximilar-shaped: records ranked by distance to query_record",
}


def _matching_paths() -> dict:
    record = {
        "type": "object",
        "properties": {"_url": {"type": "string"}, "_base64": {"type": "string"}, "_id": {}},
    }
    body = {
        "type": "object",
        "required": ["records"],
        "properties": {
            "records": {"type": "array", "items": record},
            "query_record": record,
            "hash_type": {"enum": ["phash", "bmh1"]},
            "range": {"type": "integer"},
            "k": {"type": "integer"},
        },
    }
    paths = {}
    for kind, summary in _MATCHING.items():
        answers = {
            "202": {"description": "accepted; progress while records are hashed"},
            "200": {"description": "Ximilar's response body, with our uuid"},
        }
        paths[f"/api/v1/{kind}"] = {
            "post": {
                "summary": summary,
                "operationId": f"submit_{kind}",
                "parameters": [_WAIT, _CALLBACK],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": body}},
                },
                "responses": {
                    **answers,
                    "400": _error("malformed request"),
                    "401": _error("missing or invalid API key"),
                    "429": _LIMITED,
                },
            }
        }
        paths[f"/api/v1/{kind}/{{uuid}}"] = {
            "get": {
                "summary": f"Progress or answer of a {kind} job",
                "operationId": f"status_{kind}",
                "parameters": [_UUID, _WAIT],
                "responses": {**answers, "404": _error("unknown or expired")},
            }
        }
    return paths


def _simple(summary: str, answers: dict, parameters: list | None = None) -> dict:
    operation = {"summary": summary, "responses": answers}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


def build_spec() -> dict:
    """The OpenAPI document."""
    paths: dict = {}
    ops = operations.all_operations()
    for op in ops:
        paths[f"/api/v1/{op.name}"] = {"post": _submit(op)}
        paths[f"/api/v1/{op.name}/{{uuid}}"] = {"get": _status(op)}
    # Served as the cleaned file's own type (the upload's format), else application/octet-stream.
    binary = {"schema": {"type": "string", "format": "binary"}}
    types = [*dict.fromkeys(fmt.mime for fmt in FORMATS), "application/octet-stream"]
    image = {"content": dict.fromkeys(types, binary), "description": "the cleaned file"}
    paths.update(_batch_paths(ops))
    paths.update(_matching_paths())
    paths["/download-cleaned/{uuid}"] = _simple(
        "The cleaned file of a remove job (24 h)",
        {"200": image, "404": _error("unknown or expired"), "503": _error("storage unavailable")},
        [_UUID],
    )
    hex_param = {"type": "string", "pattern": "^[0-9a-fA-F]+$"}
    paths["/api/v1/hash/distance"] = _simple(
        "Hamming distance and similarity 1 - d/bits of two hashes",
        {"200": {"description": "distance and similarity"}, "400": _error("bad hashes")},
        [{**_param(n, "query", hex_param), "required": True} for n in ("a", "b")],
    )
    paths["/api/v1/limits"] = _simple(
        "The sizes accepted: maxUploadBytes, maxImagePixels, maxBatchItems, maxBatchBytes, "
        "and the caller's rateLimits",
        {"200": {"description": "the limits"}},
    )
    paths["/healthz"] = _simple("Liveness", {"200": {"description": "alive"}})
    ready = {
        "type": "object",
        "required": ["success", "ready", "checks"],
        "properties": {
            "success": {"type": "boolean"},
            "ready": {"type": "boolean"},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }
    paths["/readyz"] = _simple(
        "Readiness: Redis, storage (and a RabbitMQ broker); live workers reported",
        {"200": _json_answer("ready", ready), "503": _json_answer("not ready", ready)},
        [
            _param(
                "require",
                "query",
                {"enum": ["workers"]},
                "also fail while no worker is alive (monitoring)",
            )
        ],
    )
    paths["/metrics"] = _simple("Prometheus metrics", {"200": {"description": "text format"}})
    paths["/openapi.json"] = _simple("This document", {"200": {"description": "OpenAPI 3.1"}})
    paths["/docs"] = _simple("A page rendering this document", {"200": {"description": "HTML"}})
    return {
        "openapi": "3.1.0",
        "info": {"title": "exifq API", "version": "1"},
        "components": {
            "securitySchemes": {
                "header": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "query": {"type": "apiKey", "in": "query", "name": "key"},
            }
        },
        "security": [{"header": []}, {"query": []}, {}],
        "paths": paths,
    }


@bp.get("/openapi.json")
def openapi_json():
    return build_spec()
