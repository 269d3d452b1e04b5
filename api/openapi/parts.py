"""Building blocks of the OpenAPI document: references, the error shape, headers, parameters,
the native security schemes, and the answers every rate-limited route can give.

Every error of the native API is ``{"success": false, "error", "code"}``
(``api.errors``). A route that is rate limited (every route but ``/healthz``,
``/readyz`` and ``/metrics``: ``api.ratelimit``) can also answer 401 (a wrong
key is refused before any limit), 429 (with ``Retry-After``) and 503 (Redis, which
holds the keys and the counters, away); its answers carry ``X-RateLimit-*`` when a
limit applies (``RATE_LIMIT`` or the key's own).
"""

from __future__ import annotations

import copy

from common.errors import STATUS_CODES


def schema_ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def header_ref(name: str) -> dict:
    return {"$ref": f"#/components/headers/{name}"}


def response_ref(name: str) -> dict:
    return {"$ref": f"#/components/responses/{name}"}


def nullable(schema: dict) -> dict:
    """``schema`` or ``null`` (JSON Schema 2020-12, as OpenAPI 3.1 writes it)."""
    return {"anyOf": [schema, {"type": "null"}]}


def strict(properties: dict, required: tuple[str, ...] | list[str] = (), **more: object) -> dict:
    """An object of exactly these ``properties`` (a field the code adds without documenting
    it here fails ``tests/unit/service/test_openapi.py``)."""
    schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return {**schema, **more}


TEXT = {"type": "string"}
INTEGER = {"type": "integer"}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
UUID = {"type": "string", "format": "uuid"}
DATE_TIME = {"type": "string", "format": "date-time"}
HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}
ANY_OBJECT = {"type": "object"}

SCHEMAS = {
    "Error": strict(
        {
            "success": {"const": False},
            "error": {"type": "string", "description": "what went wrong, for people"},
            "code": {
                "type": "string",
                "description": "the error's name, for programs: "
                + ", ".join(sorted(set(STATUS_CODES.values())))
                + ", or the named error of the input (unsupported_format, url_forbidden...)",
            },
        },
        ["success", "error", "code"],
    ),
    "JobError": strict(
        {
            "code": {
                "type": "string",
                "description": "unsupported_format, corrupt_image, too_large, "
                "decompression_bomb, url_forbidden, url_fetch_failed, timeout, infected, "
                "scan_unavailable, internal_error...",
            },
            "message": {"type": "string"},
        },
        ["code", "message"],
    ),
}

HEADERS = {
    "Retry-After": {
        "description": "whole seconds until the limit has room for this request again",
        "schema": {"type": "integer", "minimum": 1},
        "required": True,
    },
    "X-RateLimit-Limit": {
        "description": "requests the limit that decided allows per window (when one applies)",
        "schema": INTEGER,
    },
    "X-RateLimit-Remaining": {
        "description": "what is left of it in the current window",
        "schema": {"type": "integer", "minimum": 0},
    },
    "X-RateLimit-Reset": {
        "description": "when the window resets (Unix seconds)",
        "schema": INTEGER,
    },
}
RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def json_answer(description: str, schema: dict, media: str = "application/json") -> dict:
    return {"description": description, "content": {media: {"schema": schema}}}


def error(description: str) -> dict:
    return json_answer(description, schema_ref("Error"))


RESPONSES = {
    "BadRequest": error("bad parameters (bad_request)"),
    "Unauthorized": error("a missing key where one is required, or a wrong key (unauthorized)"),
    "NotFound": error("unknown, expired, or another key's (not_found)"),
    "TooLarge": error("the file or the request is too large (too_large)"),
    "Unsupported": error("not a format exifq reads (unsupported_format)"),
    "RateLimited": {
        **error("rate limited: wait Retry-After seconds (rate_limited)"),
        "headers": {name: header_ref(name) for name in ("Retry-After", *RATE_HEADERS)},
    },
    "Unavailable": error("Redis or storage unavailable: try again (service_unavailable)"),
}

WAIT = {
    "name": "wait",
    "in": "query",
    "description": "seconds to wait for the end before answering (0 to 30)",
    "schema": {"type": "number", "minimum": 0, "maximum": 30},
}
CALLBACK = {
    "name": "callbackUrl",
    "in": "query",
    "description": "POSTed the finished body, signed (X-Exifq-Signature; docs/operators.md)",
    "schema": {"type": "string", "format": "uri"},
}
UUID_PATH = {"name": "uuid", "in": "path", "required": True, "schema": UUID}

SECURITY_SCHEMES = {
    "ApiKeyHeader": {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "a key of API_KEYS or one made by `exifq keys create`",
    },
    "ApiKeyQuery": {
        "type": "apiKey",
        "in": "query",
        "name": "key",
        "description": "the same key in the query string",
    },
}
# A key in either place; none on a service that runs open (no API_KEYS, no managed key).
NATIVE_SECURITY = [{"ApiKeyHeader": []}, {"ApiKeyQuery": []}, {}]


def limited(operation: dict, *, unauthorized: bool = True) -> dict:
    """``operation`` as a rate-limited route answers: 401, 429 and 503 added, and the
    ``X-RateLimit-*`` headers on its other answers."""
    operation = copy.deepcopy(operation)
    answers = operation["responses"]
    for status, answer in answers.items():
        if status != "429" and "$ref" not in answer:
            headers = answer.setdefault("headers", {})
            headers.update({name: header_ref(name) for name in RATE_HEADERS})
    if unauthorized:
        answers.setdefault("401", response_ref("Unauthorized"))
    answers.setdefault("429", response_ref("RateLimited"))
    answers.setdefault("503", response_ref("Unavailable"))
    return operation


def components() -> dict:
    return {
        "schemas": dict(SCHEMAS),
        "headers": dict(HEADERS),
        "responses": dict(RESPONSES),
        "securitySchemes": dict(SECURITY_SCHEMES),
    }
