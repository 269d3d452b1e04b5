"""What every drop-in adapter shares: credentials, job submission and the synchronous wait.

An adapter is a thin translation: it reads the hosted API's request, makes an
ordinary job (``api.jobs``) or similarity batch (``api.fanout``) with the same
storage, expiry, keys and limits as the native API, waits for the job to
finish (:func:`submit`, :func:`settle`) up to ``COMPAT_WAIT_SECONDS``, and
writes the hosted API's answer. A job not finished by then is answered 202
with its ``uuid`` and ``status``. Errors are written by the adapter's own
``render`` (:func:`install_errors`) in the hosted API's shape: a client's
mistake is a 4xx there too, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from api.auth import key_owner
from api.errors import UNAVAILABLE
from api.inputs import Submission, check_url, read_upload
from api.jobs import created_and_waited, job_body, waited_for
from api.services import Services
from common import operations
from common import options as opts
from common.batches import Batch
from common.errors import BadRequest, ExifqError
from common.fetch.policy import FetchPolicy
from common.jobs import Job
from common.names import clean_file_name
from common.operations import Operation
from common.settings import Settings

log = logging.getLogger(__name__)

ADAPTERS = ("exiftools", "ximilar", "imagekit", "uploadcare", "cloudinary")
MAX_FIELD = 4096  # longest text field an adapter accepts (names, ids, signatures)


class Unauthorized(ExifqError):
    code = "unauthorized"
    http_status = 401


class Forbidden(ExifqError):
    code = "forbidden"
    http_status = 403


class NotFound(ExifqError):
    code = "not_found"
    http_status = 404


def _statuses(cls: type[ExifqError]) -> dict[str, int]:
    found = {}
    for sub in cls.__subclasses__():
        found[sub.code] = sub.http_status
        found.update(_statuses(sub))
    return found


# A failed job's error code → the HTTP status of that error (4xx: the client's input).
JOB_ERROR_STATUS = _statuses(ExifqError)


def job_error_status(error: dict | None) -> int:
    """The status a failed job's error deserves: its 4xx, or 500 for our own faults."""
    status = JOB_ERROR_STATUS.get(str((error or {}).get("code")), 500)
    return status if 400 <= status < 500 else 500


# ------------------------------------------------------------------ settings


def enabled(settings: Settings) -> list[str]:
    """The adapters ``COMPAT_ADAPTERS`` turns on (``all``, or names); unknown names raise."""
    names = [n.strip().lower() for n in settings.COMPAT_ADAPTERS.split(",") if n.strip()]
    if "all" in names:
        return list(ADAPTERS)
    unknown = sorted(set(names) - set(ADAPTERS))
    if unknown:
        raise ValueError(f"COMPAT_ADAPTERS: unknown adapter {', '.join(unknown)}")
    return [name for name in ADAPTERS if name in names]


def key_pairs(text: str) -> dict[str, str]:
    """``"PUBLIC:SECRET,PUBLIC:SECRET"`` as ``{public: secret}`` (a malformed pair raises)."""
    pairs = {}
    for part in text.split(","):
        if not part.strip():
            continue
        public, sep, secret = part.strip().partition(":")
        if not sep or not public or not secret:
            raise ValueError("key pairs are written PUBLIC:SECRET, separated by commas")
        pairs[public] = secret
    return pairs


# ------------------------------------------------------------------ credentials


def authorization(scheme: str, header: str | None = None) -> str | None:
    """The credentials after ``scheme`` in ``Authorization`` (scheme case-insensitive)."""
    value = request.headers.get("Authorization", "") if header is None else header
    given, _, rest = value.strip().partition(" ")
    if given.lower() != scheme.lower() or not rest.strip():
        return None
    return rest.strip()


def basic_user(header: str | None) -> str | None:
    """The user name of ``Authorization: Basic base64(user:password)`` (RFC 7617)."""
    encoded = authorization("Basic", header or "")
    if encoded is None:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user = decoded.partition(":")[0]
    return user or None


def token(header: str | None) -> str | None:
    """The key of ``Authorization: Token KEY`` (Ximilar)."""
    return authorization("Token", header or "")


def uploadcare_simple(header: str | None) -> tuple[str, str] | None:
    """``(public, secret)`` of ``Authorization: Uploadcare.Simple PUBLIC:SECRET``."""
    pair = authorization("Uploadcare.Simple", header or "")
    if pair is None:
        return None
    public, sep, secret = pair.partition(":")
    return (public, secret) if sep and public and secret else None


def owner_for(svc: Services, key: str | None, *, required: bool = True) -> str | None:
    """The owner (key hash) for an API key an adapter read; ``Unauthorized`` when wrong."""
    if key is not None and (len(key) > MAX_FIELD or not encodable(key)):
        key = "\x00"  # never a configured key
    try:
        return key_owner(svc.settings.api_keys, key, required=required)
    except ExifqError as exc:
        raise Unauthorized(exc.message) from None


def visible(svc: Services, record: Job | Batch | None, kind: str, owner: str | None) -> bool:
    """Whether ``record`` exists, is of ``kind`` (a job's op, a batch's kind), has not expired
    and belongs to ``owner`` (any owner when ``None``), as ``api.jobs.require_visible``."""
    return not (
        record is None
        or (record.op if isinstance(record, Job) else record.kind) != kind
        or record.expires_at <= svc.clock.now()
        or (owner is not None and record.owner != owner)
    )


def encodable(value: Any) -> bool:
    """Whether every string in ``value`` (JSON-like) encodes as UTF-8 (no lone surrogates)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, TypeError, ValueError, RecursionError):
        return False
    return True


def text_field(value: object, name: str, *, limit: int = MAX_FIELD) -> str:
    """A short text parameter, or ``BadRequest``."""
    if not isinstance(value, str) or len(value) > limit or not encodable(value):
        raise BadRequest(f"{name} must be a string of at most {limit} characters")
    return value


# ------------------------------------------------------------------ URLs


def public_base(settings: Settings) -> str:
    """Where clients reach this service: ``PUBLIC_URL``, else the request's own host."""
    return (settings.PUBLIC_URL or request.host_url).rstrip("/")


def absolute(settings: Settings, path: str) -> str:
    return public_base(settings) + path


# ------------------------------------------------------------------ jobs


def submit(
    svc: Services,
    op_name: str,
    params: dict,
    *,
    owner: str,
    file: FileStorage | None = None,
    url: object = None,
    wait: float | None = None,
) -> tuple[Job, dict | None]:
    """An ordinary job of ``op_name`` for an upload or a URL, exactly as the native API makes
    it (``params``: options by name; an option the engine does not have is left out), waited
    for as :func:`settle` waits, through the API process's listener as the native ``?wait=``
    (``api.jobs.created_and_waited``)."""
    operation, submission = _submission(svc, op_name, params, file, url)
    timeout = svc.settings.COMPAT_WAIT_SECONDS if wait is None else wait
    return _settled(svc, *created_and_waited(svc, operation, submission, owner, timeout))


def _submission(
    svc: Services, op_name: str, params: dict, file: FileStorage | None, url: object
) -> tuple[Operation, Submission]:
    operation = operations.get(op_name)
    known = set(opts.names(operation.options))
    options = operation.parse_options({k: v for k, v in params.items() if k in known})
    if file is not None:
        stream, fmt, size = read_upload(file, svc.settings.MAX_UPLOAD_BYTES)
        name = clean_file_name(file.filename)
        return operation, Submission(options, 0.0, stream, fmt, size, name)
    if url is not None:
        if not encodable(url):
            raise BadRequest("url must be a string")
        policy = FetchPolicy.from_settings(svc.settings)  # refused at once, as natively
        return operation, Submission(options, 0.0, url=check_url(url, policy))
    raise BadRequest("send a file or a url")


def has_option(op_name: str, name: str) -> bool:
    """Whether the engine's ``op_name`` takes option ``name`` (features landing over time)."""
    operation = operations.get(op_name)
    return operation is not None and name in opts.names(operation.options)


def settle(svc: Services, job: Job, wait: float | None = None) -> tuple[Job, dict | None]:
    """The job after waiting for it up to ``wait`` (default ``COMPAT_WAIT_SECONDS``), and its
    native body (``api.jobs.job_body``) once finished, else ``None``."""
    timeout = svc.settings.COMPAT_WAIT_SECONDS if wait is None else wait
    return _settled(svc, *waited_for(svc, job, timeout))


def _settled(svc: Services, job: Job, notice: str) -> tuple[Job, dict | None]:
    return job, (job_body(svc, job, notice) if job.finished else None)


def pending(job_id: str, status: str, **more: object) -> tuple[dict, int]:
    """The answer for a job still running after the wait: 202 with its uuid and status."""
    return {"uuid": job_id, "status": status, **more}, 202


# ------------------------------------------------------------------ errors

Render = Callable[[int, str], Response | tuple]


def install_errors(bp: Blueprint, render: Render) -> None:
    """Answer every error raised in ``bp``'s views with ``render(status, message)``."""

    @bp.errorhandler(Exception)
    def _error(exc: Exception):
        if isinstance(exc, ExifqError):
            return render(exc.http_status, exc.message)
        if isinstance(exc, HTTPException):
            return render(exc.code or 500, exc.description or exc.name)
        if isinstance(exc, UNAVAILABLE):
            log.warning("backend unavailable: %s", exc)
            return render(503, "service temporarily unavailable, try again")
        if isinstance(exc, UnicodeError):
            return render(400, "the request holds text that is not valid Unicode")
        log.exception("unhandled error in %s", bp.name)
        return render(500, "internal error")

    # Flask finds a handler registered for a status code (the app's 404, 413 and 429) before
    # one registered for a class: these must be the adapter's too, or a body too large or a
    # rate limit would answer in the native shape.
    for code in (404, 413, 429):
        bp.register_error_handler(code, _error)


def json_error(body: dict, status: int) -> Response:
    response = jsonify(body)
    response.status_code = status
    return response
