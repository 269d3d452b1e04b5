"""What the Python client raises: one hierarchy under :class:`ExifqError`.

Every error carries the API's ``code`` (``bad_request``, ``too_large``,
``corrupt_image``...) and ``message``; an HTTP error also its ``status`` and
the answer's JSON ``body``. The API answers ``{"success": false, "error":
"...", "code": "..."}``; an older server without ``code`` gets one from the
HTTP status (:data:`CODES`).

::

    ExifqError
    ├── BadRequest          400, or an option refused before sending
    ├── Unauthorized        401 / 403: missing or wrong API key
    ├── NotFound            404: unknown or expired UUID, unknown route
    ├── TooLarge            413: file or request over the server's limit
    ├── UnsupportedMedia    415: not an image the server reads
    ├── RateLimited         429 after the retries (``retry_after``)
    ├── Unavailable         502 / 503 / 504 after the retries (``retry_after``)
    ├── ServerError         500 and anything else unexpected
    ├── JobFailed           the job ran and failed (``corrupt_image``, ``timeout``...)
    ├── TimedOut            no answer, or the job not finished, in the time allowed
    └── ServerUnreachable   no connection to the server at all
"""

from __future__ import annotations

from typing import Any

from common.errors import STATUS_CODES

# The API's own, and what a proxy or gateway in front of it may answer.
CODES = {
    **STATUS_CODES,
    422: "unprocessable",
    502: "service_unavailable",
    504: "service_unavailable",
}


class ExifqError(Exception):
    """Base class: ``code`` and ``message`` as the API gives them (``str(exc)`` joins them)."""

    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        status: int | None = None,
        body: dict[str, Any] | None = None,
    ) -> None:
        self.code = code or self.default_code
        self.message = message
        self.status = status  # the HTTP status, when the error is an answer
        self.body = body or {}  # the answer's JSON (a failed job's whole body)
        super().__init__(f"{self.code}: {message}")


class BadRequest(ExifqError):
    default_code = "bad_request"


class Unauthorized(ExifqError):
    default_code = "unauthorized"


class NotFound(ExifqError):
    default_code = "not_found"


class TooLarge(ExifqError):
    default_code = "too_large"


class UnsupportedMedia(ExifqError):
    default_code = "unsupported_format"


class _Retryable(ExifqError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after  # seconds the server asked to wait, if it said


class RateLimited(_Retryable):
    default_code = "rate_limited"


class Unavailable(_Retryable):
    default_code = "service_unavailable"


class ServerError(ExifqError):
    default_code = "internal_error"


class JobFailed(ExifqError):
    """The job (or a batch item, a similarity job) finished as ``failed``."""

    default_code = "job_failed"

    def __init__(self, code: str, message: str, *, body: dict[str, Any] | None = None) -> None:
        super().__init__(message, code=code, body=body)

    @property
    def uuid(self) -> str | None:
        return self.body.get("uuid")


class TimedOut(ExifqError):
    default_code = "timeout"


class ServerUnreachable(ExifqError):
    default_code = "server_unreachable"


_BY_STATUS: dict[int, type[ExifqError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Unauthorized,
    404: NotFound,
    413: TooLarge,
    415: UnsupportedMedia,
    429: RateLimited,
    502: Unavailable,
    503: Unavailable,
    504: Unavailable,
}


def error_text(body: dict[str, Any]) -> str:
    """The message of an API error body: ``{"error": "..."}`` or ``{"error": {"message"}}``."""
    error = body.get("error", "")
    if isinstance(error, dict):
        return str(error.get("message") or error.get("code") or "unknown error")
    return str(error or "unknown error")


def from_answer(status: int, body: dict[str, Any], retry_after: float | None = None) -> ExifqError:
    """The error an HTTP answer with ``status`` >= 400 and JSON ``body`` stands for."""
    error = body.get("error")
    code = body.get("code") or (error.get("code") if isinstance(error, dict) else None)
    code = str(code or CODES.get(status, f"http_{status}"))
    cls = _BY_STATUS.get(status, ServerError if status >= 500 else ExifqError)
    kwargs: dict[str, Any] = {"code": code, "status": status, "body": body}
    if issubclass(cls, _Retryable):
        kwargs["retry_after"] = retry_after
    return cls(error_text(body), **kwargs)


def job_failure(body: dict[str, Any]) -> JobFailed:
    """The :class:`JobFailed` of a failed job's body (``error: {code, message}``)."""
    error = body.get("error")
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
    else:
        code, message = None, error
    return JobFailed(str(code or "failed"), str(message or "the job failed"), body=body)
