"""Uploadcare's upload and file-info APIs at ``/compat/uploadcare`` (``api.compat.uploadcare``):
``POST /base/`` makes an extract job per file, ``GET /files/{uuid}/`` answers its file info.

Uploads carry the public key in the ``UPLOADCARE_PUB_KEY`` field (``COMPAT_UPLOADCARE_KEYS``
pairs it with its secret, an exifq API key); the REST API takes
``Authorization: Uploadcare.Simple PUBLIC:SECRET``. Errors: the Upload API's
``{"error": {"content", "statusCode", "errorCode"}}``, the REST API's ``{"detail"}``.
"""

from __future__ import annotations

from api.openapi.compat.shared import operation
from api.openapi.parts import (
    BOOLEAN,
    INTEGER,
    NUMBER,
    TEXT,
    UUID,
    json_answer,
    nullable,
    schema_ref,
    strict,
)

PREFIX = "/compat/uploadcare"
SECURITY_SCHEMES = {
    "UploadcareSimple": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Uploadcare.Simple PUBLIC:SECRET`, a pair of COMPAT_UPLOADCARE_KEYS",
    }
}
_IMAGE = {
    "format": TEXT,
    "width": nullable(INTEGER),
    "height": nullable(INTEGER),
    "sequence": BOOLEAN,
    "orientation": nullable(INTEGER),
    "geo_location": nullable(strict({"latitude": NUMBER, "longitude": NUMBER})),
    "datetime_original": nullable(TEXT),
    "dpi": nullable({"type": "array", "items": NUMBER}),
    "hash": nullable({"type": "string", "description": "the 64-bit pHash, hex"}),
}
_MIME = nullable(strict({"mime": TEXT, "type": TEXT, "subtype": TEXT}, ["mime", "type", "subtype"]))
_SCAN = strict(
    {
        "data": strict({"infected": BOOLEAN, "infected_with": nullable(TEXT)}),
        "version": nullable(TEXT),
        "datetime_created": nullable(TEXT),
        "datetime_updated": nullable(TEXT),
    }
)
_INFO = {
    "datetime_removed": {"type": "null"},
    "datetime_stored": {"type": "null", "description": "exifq keeps no original file"},
    "datetime_uploaded": TEXT,
    "is_image": BOOLEAN,
    "is_ready": BOOLEAN,
    "mime_type": nullable(TEXT),
    "original_file_url": {"type": "null"},
    "original_filename": TEXT,
    "size": nullable(INTEGER),
    "url": {"type": "string", "format": "uri"},
    "uuid": UUID,
    "variations": {"type": "null"},
    "content_info": nullable(
        strict({"mime": _MIME, "image": nullable(strict(_IMAGE))}, ["mime", "image"])
    ),
    "metadata": {"type": "object"},
    "image_info": strict({"id": UUID, **_IMAGE}),
    "appdata": strict(
        {"uc_clamav_virus_scan": _SCAN}, description="with ?include=appdata, once scanned"
    ),
}
SCHEMAS = {
    "UploadcareUploadError": strict(
        {
            "error": strict(
                {"content": TEXT, "statusCode": INTEGER, "errorCode": TEXT},
                ["content", "statusCode", "errorCode"],
            )
        },
        ["error"],
    ),
    "UploadcareRestError": strict({"detail": TEXT}, ["detail"]),
    "UploadcareFileInfo": strict(
        _INFO, [name for name in _INFO if name not in ("image_info", "appdata")]
    ),
    "UploadcarePending": strict(
        {**_INFO, "status": {"enum": ["queued", "processing"]}},
        ["uuid", "is_ready", "status"],
    ),
}


def paths() -> dict:
    upload_body = {
        "type": "object",
        "properties": {
            "UPLOADCARE_PUB_KEY": {
                "type": "string",
                "description": "the public key (needed when the service has keys)",
            },
            "file": {"type": "string", "format": "binary"},
        },
        "additionalProperties": {"type": "string", "format": "binary"},
        "description": "one or more files, under any field names",
    }
    upload = operation(
        "uploadcare",
        "UploadcareUploadError",
        {
            "400": "no file, or a missing public key (RequestParamRequiredError)",
            "403": "UPLOADCARE_PUB_KEY is invalid.",
            "413": "FileSizeLimitExceededError",
            "415": "FileTypeForbiddenError",
            "429": "rate limited",
            "500": "our fault",
            "503": "Redis or storage unavailable",
        },
        {
            "200": json_answer(
                "each file field's name → the file's uuid (its extract job's)",
                {"type": "object", "additionalProperties": UUID},
            )
        },
        summary="Uploadcare: upload files (each an extract job; no wait)",
        operationId="uploadcare_upload",
        security=[],
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": upload_body}}},
    )
    info = operation(
        "uploadcare",
        "UploadcareRestError",
        {
            "401": "Incorrect authentication credentials.",
            "404": "Not found.",
            "429": "rate limited",
            "500": "our fault",
            "503": "Redis or storage unavailable",
        },
        {
            "200": json_answer("the file info", schema_ref("UploadcareFileInfo")),
            "202": json_answer(
                "not ready after COMPAT_WAIT_SECONDS: is_ready false",
                schema_ref("UploadcarePending"),
            ),
        },
        summary="Uploadcare: file info (waits for the file's job)",
        operationId="uploadcare_file_info",
        security=[{"UploadcareSimple": []}, {}],
        parameters=[
            {"name": "file_id", "in": "path", "required": True, "schema": TEXT},
            {
                "name": "include",
                "in": "query",
                "schema": {"type": "string"},
                "description": "appdata: add uc_clamav_virus_scan (when the file was scanned)",
            },
        ],
    )
    return {f"{PREFIX}/base/": {"post": upload}, f"{PREFIX}/files/{{file_id}}/": {"get": info}}
