"""The service's other routes: the cleaned file's download (``api.downloads``), the hash
distance (``api.distance``), the limits (``api.limits``), health (``api.health``),
``/metrics`` (``api.metrics``), this document, and the two pages for people (``/`` and
``/docs/``, ``api.web`` and ``api.docs``)."""

from __future__ import annotations

from api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    NATIVE_SECURITY,
    TEXT,
    UUID_PATH,
    json_answer,
    limited,
    response_ref,
    strict,
)
from worker.media.formats import ALL, VIDEOS

_BINARY = {"schema": {"type": "string", "format": "binary"}}
CONTENT_DISPOSITION = {
    "description": "attachment; an ASCII filename and the UTF-8 filename* (RFC 6266)",
    "schema": {"type": "string"},
    "required": True,
}


def _download() -> dict:
    types = [*dict.fromkeys(fmt.mime for fmt in (*ALL, *VIDEOS)), "application/octet-stream"]
    return {
        "summary": "The cleaned file of a completed remove job (until its expiresAt)",
        "description": "Served as the file's own type. With DOWNLOAD_REDIRECT and S3, a 302 to "
        "a presigned URL valid for at most 15 minutes instead. A key is optional: with one, "
        "only that key's files are found.",
        "operationId": "download_cleaned",
        "tags": ["jobs"],
        "security": NATIVE_SECURITY,
        "parameters": [UUID_PATH],
        "responses": {
            "200": {
                "description": "the cleaned file",
                "headers": {"Content-Disposition": CONTENT_DISPOSITION},
                "content": dict.fromkeys(types, _BINARY),
            },
            "302": {
                "description": "DOWNLOAD_REDIRECT: the presigned URL",
                "headers": {"Location": {"schema": {"type": "string", "format": "uri"}}},
            },
            "404": response_ref("NotFound"),
        },
    }


_HEX = {"type": "string", "pattern": "^([0-9a-fA-F]+|[01]+)$"}
DISTANCE = strict(
    {
        "success": {"const": True},
        "a": TEXT,
        "b": TEXT,
        "distance": {"type": "integer", "minimum": 0, "description": "bits that differ"},
        "similarity": {"type": "number", "minimum": 0, "maximum": 1, "description": "1 - d/bits"},
    },
    ["success", "a", "b", "distance", "similarity"],
)
LIMITS = strict(
    {
        "success": {"const": True},
        "maxUploadBytes": INTEGER,
        "maxVideoBytes": {"type": "integer", "description": "the upload limit of a video"},
        "maxImagePixels": INTEGER,
        "maxBatchItems": INTEGER,
        "maxBatchBytes": INTEGER,
        "rateLimits": {
            "type": "array",
            "description": "the caller's (its key's, else RATE_LIMIT); empty: none",
            "items": strict(
                {"amount": INTEGER, "seconds": INTEGER, "limit": TEXT},
                ["amount", "seconds", "limit"],
            ),
        },
    },
    [
        "success",
        "maxUploadBytes",
        "maxVideoBytes",
        "maxImagePixels",
        "maxBatchItems",
        "maxBatchBytes",
        "rateLimits",
    ],
)
READY = strict(
    {
        "success": BOOLEAN,
        "ready": BOOLEAN,
        "checks": {
            "type": "object",
            "description": "redis, storage, broker, workers: ok (...) or why not",
            "additionalProperties": TEXT,
        },
    },
    ["success", "ready", "checks"],
)
HEALTH = strict({"success": {"const": True}, "status": {"const": "ok"}}, ["success", "status"])


def _get(summary: str, responses: dict, operation_id: str, **more: object) -> dict:
    return {
        "get": {"summary": summary, "operationId": operation_id, **more, "responses": responses}
    }


def _page(summary: str, operation_id: str) -> dict:
    html = {"description": "HTML", "content": {"text/html": {"schema": TEXT}}}
    return {"get": limited({"summary": summary, "operationId": operation_id,
                            "tags": ["pages"], "responses": {"200": html}})}  # fmt: skip


def paths() -> dict:
    hashes = [
        {"name": name, "in": "query", "required": True, "schema": _HEX} for name in ("a", "b")
    ]
    unlimited = {"tags": ["service"], "security": []}
    return {
        "/download-cleaned/{uuid}": {"get": limited(_download())},
        "/api/v1/hash/distance": {
            "get": limited(
                {
                    "summary": "Hamming distance and similarity of two hashes (hex or bits)",
                    "operationId": "hash_distance",
                    "tags": ["jobs"],
                    "parameters": hashes,
                    "responses": {
                        "200": json_answer("distance and similarity", DISTANCE),
                        "400": response_ref("BadRequest"),
                    },
                }
            )
        },
        "/api/v1/limits": {
            "get": limited(
                {
                    "summary": "The sizes accepted and the caller's rate limits",
                    "operationId": "limits",
                    "tags": ["service"],
                    "responses": {"200": json_answer("the limits", LIMITS)},
                }
            )
        },
        "/healthz": _get(
            "Liveness: the process answers",
            {"200": json_answer("alive", HEALTH)},
            "healthz",
            **unlimited,
        ),
        "/readyz": _get(
            "Readiness: Redis, storage (and a broker of its own); live workers reported",
            {"200": json_answer("ready", READY), "503": json_answer("not ready", READY)},
            "readyz",
            parameters=[
                {
                    "name": "require",
                    "in": "query",
                    "schema": {"enum": ["workers"]},
                    "description": "also fail while no worker is alive (monitoring)",
                }
            ],
            **unlimited,
        ),
        "/metrics": _get(
            "Prometheus metrics",
            {
                "200": {
                    "description": "text format 0.0.4",
                    "content": {"text/plain": {"schema": TEXT}},
                }
            },
            "metrics",
            **unlimited,
        ),
        "/openapi.json": {
            "get": limited(
                {
                    "summary": "This document",
                    "operationId": "openapi",
                    "tags": ["service"],
                    "responses": {"200": json_answer("OpenAPI 3.1", {"type": "object"})},
                }
            )
        },
        "/": _page("The web page: drop photos, see what they hold, remove it", "web_page"),
        "/docs/": _page("Swagger UI over this document (served offline)", "docs"),
    }
