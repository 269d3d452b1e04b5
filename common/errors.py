"""The errors exifq reports, each with the code a failed job carries.

Media functions, the URL loader and the API raise these; a task turns one into
a ``failed`` job with ``{"code", "message"}``, the API into an HTTP status with
``{"success": false, "error": message}``. Anything else escaping is our bug.
"""

from __future__ import annotations

# The ``code`` of an API error answer that has no error of its own to name it, by HTTP
# status (the API's error handler and the client's reading of answers share it).
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_format",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


class ExifqError(Exception):
    """Base class: a problem with the client's input that we can name."""

    code = "error"
    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class BadRequest(ExifqError):
    """A parameter is missing or malformed."""

    code = "bad_request"
    http_status = 400


class UnsupportedFormat(ExifqError):
    """The bytes are not an image format we handle (whatever the file name says)."""

    code = "unsupported_format"
    http_status = 415


class CorruptImage(ExifqError):
    """The format is known but the file is truncated or malformed."""

    code = "corrupt_image"
    http_status = 422


class CorruptFile(ExifqError):
    """A video (or another non-image file) of a known format that is truncated or malformed:
    ``corrupt_image``'s sibling for what is not an image."""

    code = "corrupt_file"
    http_status = 422


class TooLarge(ExifqError):
    """The file is bigger than ``MAX_UPLOAD_BYTES``."""

    code = "too_large"
    http_status = 413


class DecompressionBomb(ExifqError):
    """The declared pixel count is beyond ``MAX_IMAGE_PIXELS`` (or XML/zlib expands absurdly;
    or a video declares a frame, duration or sample count beyond its limits)."""

    code = "decompression_bomb"
    http_status = 413


class UrlForbidden(ExifqError):
    """The URL's scheme or resolved address is not allowed (SSRF guard)."""

    code = "url_forbidden"
    http_status = 400


class UrlFetchFailed(ExifqError):
    """The URL could not be fetched (connection, HTTP status, redirects)."""

    code = "url_fetch_failed"
    http_status = 400


class Timeout(ExifqError):
    """The job or the fetch ran out of time."""

    code = "timeout"
    http_status = 504


class TransientError(Exception):
    """A fault on our side that may pass (storage or network): retry, don't fail the job."""
