"""Cloudinary's upload API at ``/compat/cloudinary`` (``api.compat.cloudinary``): a signed
upload answered with what Cloudinary would say of the image, synchronous.

Signed as Cloudinary signs (no OpenAPI security scheme can say it: the credentials are
body fields): ``api_key`` (a key of ``COMPAT_CLOUDINARY_KEYS``), ``timestamp`` and
``signature``, the SHA-1 (or SHA-256) of the other parameters sorted and joined, followed
by the API secret (an exifq API key); an open service needs none. Errors:
``{"error": {"message"}}``; a client's mistake is a 400 (a file too large or not an
image, and a rate limit, too).
"""

from __future__ import annotations

from api.openapi import requests
from api.openapi.compat.shared import operation, pending
from api.openapi.metadata import PERCENT_PAIR
from api.openapi.parts import BOOLEAN, INTEGER, TEXT, json_answer, schema_ref, strict

PREFIX = "/compat/cloudinary/v1_1"
SECURITY_SCHEMES: dict = {}
_FLAG = {
    "anyOf": [{"type": "boolean"}, {"type": "string"}, {"type": "integer"}],
    "description": "true, 1, yes or on",
}
_FIELDS = {
    "api_key": {"type": "string", "description": "the public key (when the service has keys)"},
    "timestamp": {"type": "integer", "description": "Unix seconds; an hour off is stale"},
    "signature": {"type": "string", "description": "40 (SHA-1) or 64 (SHA-256) hex digits"},
    "public_id": {"type": "string", "maxLength": 255, "description": "echoed back"},
    "image_metadata": _FLAG,
    "media_metadata": _FLAG,
    "phash": _FLAG,
    "colors": _FLAG,
    "faces": _FLAG,
}
SCHEMAS = {
    "CloudinaryError": strict({"error": strict({"message": TEXT}, ["message"])}, ["error"]),
    "CloudinaryUpload": strict(
        {
            "public_id": TEXT,
            "version": INTEGER,
            "width": INTEGER,
            "height": INTEGER,
            "format": TEXT,
            "resource_type": {"const": "image"},
            "created_at": TEXT,
            "bytes": INTEGER,
            "type": {"const": "upload"},
            "etag": {"type": "string", "description": "the file's MD5"},
            "placeholder": BOOLEAN,
            "original_filename": TEXT,
            "pages": INTEGER,
            "phash": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "colors": {"type": "array", "items": PERCENT_PAIR},
            "predominant": {"type": "object", "properties": {"google": {"type": "array"}}},
            "faces": {
                "type": "array",
                "items": {"type": "array", "items": INTEGER, "minItems": 4, "maxItems": 4},
            },
            "image_metadata": {
                "type": "object",
                "additionalProperties": TEXT,
                "description": "EXIF, maker notes, IPTC, then XMP: one flat object of text",
            },
        },
        ["public_id", "version", "resource_type", "created_at", "type", "original_filename"],
        description="no url/secure_url: exifq keeps no asset",
    ),
    "CloudinaryPending": pending(),
}


def paths() -> dict:
    multipart = {
        "type": "object",
        "properties": {
            "file": {
                "anyOf": [{"type": "string", "format": "binary"}, {"type": "string"}],
                "description": "the file, a URL, or a data:...;base64, URI",
            },
            **_FIELDS,
        },
        "required": ["file"],
    }
    by_json = {**multipart, "properties": {**multipart["properties"], "file": TEXT}}
    upload = operation(
        "cloudinary",
        "CloudinaryError",
        {
            "400": "the request, the file or its job was refused; or rate limited",
            "401": "a missing, unknown or wrong signature",
            "403": "forbidden",
            "404": "not found",
            "500": "our fault",
            "503": "Redis or storage unavailable",
        },
        {
            "200": json_answer("the upload response", schema_ref("CloudinaryUpload")),
            "202": json_answer(
                "still running after COMPAT_WAIT_SECONDS", schema_ref("CloudinaryPending")
            ),
        },
        summary="Cloudinary: upload an image, read what it holds",
        operationId="cloudinary_upload",
        security=[],
        parameters=[
            {"name": "cloud_name", "in": "path", "required": True, "schema": TEXT},
        ],
        requestBody={
            "required": True,
            "content": {
                "multipart/form-data": {"schema": multipart},
                "application/x-www-form-urlencoded": {"schema": by_json},
                "application/json": {
                    "schema": by_json,
                    "example": {"file": requests.data_uri(), "phash": True},
                },
            },
        },
    )
    return {f"{PREFIX}/{{cloud_name}}/image/upload": {"post": upload}}
