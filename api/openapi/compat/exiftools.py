"""exiftools.com API v1 at ``/compat/exiftools`` (``api.compat.exiftools``): synchronous
extract and remove, a flat ``metadata.exif`` of ExifTool's printed values.

Keys as the native API (``X-API-Key`` or ``?key=``). A client's mistake is a 400 (a file
too large or not an image too, and a rate limit: the seed knows no other 4xx), a wrong
key a 401, an unknown result a 404.
"""

from __future__ import annotations

from api.openapi.compat.shared import operation, pending
from api.openapi.jobs import FILE, URL
from api.openapi.parts import NATIVE_SECURITY, TEXT, UUID, json_answer, schema_ref, strict
from common.status import COMPLETED

PREFIX = "/compat/exiftools/api/v1"
SECURITY_SCHEMES: dict = {}  # the native ApiKeyHeader / ApiKeyQuery
TAGS = {"type": "object", "additionalProperties": True}
_STATUSES = {
    "400": "the request, the file or its job was refused; or rate limited",
    "401": "Invalid API key",
    "500": "An error occurred while processing your request",
    "503": "Redis or storage unavailable",
}

SCHEMAS = {
    "ExiftoolsError": strict(
        {
            "success": {"const": False},
            "error": TEXT,
            "uuid": UUID,
            "status": {"const": "failed"},
        },
        ["success", "error"],
    ),
    "ExiftoolsExtract": strict(
        {
            "success": {"const": True},
            "status": {"const": COMPLETED},
            "fileName": TEXT,
            "filename": TEXT,
            "uuid": UUID,
            "metadata": strict(
                {
                    "exif": {**TAGS, "description": "every EXIF IFD in one object, printed"},
                    "iptc": TAGS,
                    "xmp": TAGS,
                    "makernotes": {**TAGS, "description": "every maker-note group, flat"},
                    "File": strict(
                        {"Name": TEXT, "Size": {"type": "integer"}, "Type": TEXT},
                        ["Name", "Size", "Type"],
                    ),
                    "icc": {"type": "object"},
                    "gps": {"type": "object"},
                    "image": {"type": "object"},
                    "comments": {"type": "array", "items": TEXT},
                    "datetimeOriginal": TEXT,
                    "warnings": {"type": "array", "items": TEXT},
                },
                ["exif", "iptc", "xmp", "makernotes", "File"],
            ),
        },
        ["success", "status", "fileName", "filename", "uuid", "metadata"],
    ),
    "ExiftoolsRemove": strict(
        {
            "success": {"const": True},
            "status": {"const": COMPLETED},
            "uuid": UUID,
            "fileName": TEXT,
            "downloadUrl": {"type": "string", "format": "uri", "description": "absolute"},
        },
        ["success", "status", "uuid", "fileName", "downloadUrl"],
    ),
    "ExiftoolsPending": pending(success={"const": True}, statusUrl={"type": "string"}),
}
_BODY = {
    "required": True,
    "description": "A multipart `file`, or a `url` (JSON, a form field or the query).",
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {"file": FILE, "url": {**URL, "example": ""}},
            }
        },
        "application/json": {
            "schema": {"type": "object", "properties": {"url": URL}, "required": ["url"]}
        },
    },
}
_URL_QUERY = {"name": "url", "in": "query", "schema": URL}
_JOB_ID = {"name": "job_id", "in": "path", "required": True, "schema": TEXT}


def _pair(op: str, done: str, summary: str) -> dict:
    answers = {
        "200": json_answer("done", schema_ref(done)),
        "202": json_answer(
            "still running after COMPAT_WAIT_SECONDS: follow statusUrl",
            schema_ref("ExiftoolsPending"),
        ),
    }
    submit = operation(
        "exiftools",
        "ExiftoolsError",
        _STATUSES,
        answers,
        summary=summary,
        operationId=f"exiftools_{op}",
        security=NATIVE_SECURITY,
        parameters=[_URL_QUERY],
        requestBody=_BODY,
    )
    result = operation(
        "exiftools",
        "ExiftoolsError",
        {**_STATUSES, "404": "No extraction found with the given UUID."},
        answers,
        summary=f"The {op} job's answer again (a key is optional and filters)",
        operationId=f"exiftools_{op}_result",
        security=NATIVE_SECURITY,
        parameters=[_JOB_ID],
    )
    return {f"{PREFIX}/{op}": {"post": submit}, f"{PREFIX}/{op}/{{job_id}}": {"get": result}}


def paths() -> dict:
    return {
        **_pair("extract", "ExiftoolsExtract", "exiftools.com: extract, synchronously"),
        **_pair("remove", "ExiftoolsRemove", "exiftools.com: remove, synchronously"),
    }
