"""ImageKit's metadata API at ``/compat/imagekit`` (``api.compat.imagekit``): the metadata
object of a remote URL, synchronous.

HTTP Basic, the private key (an exifq API key) as user name and an empty password.
Errors: ``{"message", "help"}``; a client's mistake is a 400 (a file too large or not an
image, and a rate limit, too), a wrong key a 401, an unknown result a 404.
"""

from __future__ import annotations

from api.openapi.compat.shared import operation, pending
from api.openapi.jobs import URL
from api.openapi.parts import BOOLEAN, INTEGER, TEXT, UUID, json_answer, schema_ref, strict

PREFIX = "/compat/imagekit/v1/metadata"
SECURITY_SCHEMES = {
    "ImageKitBasic": {
        "type": "http",
        "scheme": "basic",
        "description": "user name: the private key (an exifq API key); password: empty",
    }
}
_SECURITY = [{"ImageKitBasic": []}, {}]
_TAGS = {"type": "object", "additionalProperties": True}
SCHEMAS = {
    "ImageKitError": strict({"message": TEXT, "help": TEXT}, ["message", "help"]),
    "ImageKitMetadata": strict(
        {
            "height": INTEGER,
            "width": INTEGER,
            "size": INTEGER,
            "format": TEXT,
            "hasColorProfile": BOOLEAN,
            "quality": INTEGER,
            "density": INTEGER,
            "hasTransparency": BOOLEAN,
            "pHash": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
            "exif": strict(
                {
                    name: _TAGS
                    for name in (
                        "image",
                        "thumbnail",
                        "exif",
                        "gps",
                        "interoperability",
                        "makernote",
                    )
                },
                ["image", "thumbnail", "exif", "gps", "interoperability", "makernote"],
                description="exiftool -n values; makernote flat",
            ),
        },
        ["hasColorProfile", "quality", "hasTransparency", "exif"],
        description="a field the file does not have (density without a resolution) is left out",
    ),
    "ImageKitPending": pending(statusUrl={"type": "string", "format": "uri"}),
}
_STATUSES = {
    "400": "the request, the file or its job was refused; or rate limited",
    "401": "Your request does not contain a valid private API key.",
    "500": "our fault",
    "503": "Redis or storage unavailable",
}
_ANSWERS = {
    "200": json_answer("the metadata object", schema_ref("ImageKitMetadata")),
    "202": json_answer(
        "still running after COMPAT_WAIT_SECONDS: follow statusUrl",
        schema_ref("ImageKitPending"),
    ),
}


def paths() -> dict:
    from_url = operation(
        "imagekit",
        "ImageKitError",
        _STATUSES,
        _ANSWERS,
        summary="ImageKit: get file metadata from a remote URL",
        operationId="imagekit_metadata",
        security=_SECURITY,
        parameters=[{"name": "url", "in": "query", "required": True, "schema": URL}],
    )
    result = operation(
        "imagekit",
        "ImageKitError",
        {**_STATUSES, "404": "The requested file does not exist."},
        _ANSWERS,
        summary="ImageKit: the metadata of a job that answered 202 (not in ImageKit's API)",
        operationId="imagekit_metadata_result",
        security=_SECURITY,
        parameters=[{"name": "uuid", "in": "path", "required": True, "schema": UUID}],
    )
    return {PREFIX: {"get": from_url}, f"{PREFIX}/{{uuid}}": {"get": result}}
