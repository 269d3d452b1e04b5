"""Read a job submission: the input (multipart ``file``, a raw body, ``url`` or ``base64``), the
options, ``wait`` and ``callbackUrl``.

A raw body (``Content-Type: image/*``, ``video/*`` or ``application/octet-stream``) is the file
itself, with no multipart framing to parse; its name comes from ``?name=`` or the request's
``Content-Disposition`` ``filename``, and every parameter from the query string.

Parameters come from the query string, form fields and a JSON object body,
in that order of precedence (later wins). The upload's type is sniffed from
its first bytes, once (415 when it is no image we handle; the format then
travels with the job), and its size checked (413). ``base64`` (plain, or a ``data:``
URL: ``common.inline``) is decoded here and then taken as an upload. Options are validated by
the operation's own declaration (``common.operations``) into a typed value:
a wrong name, type or value is a 400. A URL is refused at once (400
``url_forbidden``) for what the worker's loader would refuse without
resolving it: its scheme, user info, or a literal address the policy forbids
(``common.fetch.submitted``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from flask import Request
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header

from common import options as opts
from common.errors import BadRequest, TooLarge
from common.fetch.policy import FetchPolicy
from common.fetch.submitted import check_submitted_url
from common.inline import decode_base64
from common.names import clean_file_name
from common.operations import Operation
from common.settings import Settings
from common.webhooks import check_callback_url
from worker.media.formats import Format, require_format

if TYPE_CHECKING:
    from api.fanout import BatchInput

MAX_WAIT_SECONDS = 30
MAX_URL_LENGTH = 2048
# Not options of any operation: parameters of the job itself.
META_PARAMS = frozenset({"key", "wait", "url", "file", "base64", "callbackUrl", "name"})
RAW_TYPES = ("image/", "video/", "application/octet-stream")
_UNSAFE_URL = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Submission:
    """A validated job request."""

    options: Any  # the operation's options dataclass
    wait: float
    upload: IO[bytes] | None = None  # positioned at its first byte
    upload_format: Format | None = None
    size: int | None = None
    file_name: str = ""
    url: str | None = None
    callback_url: object = None  # as sent: checked by :func:`read_callback` against settings


def input_fields(source: Submission | BatchInput) -> dict:
    """The job record's fields that say where a job's input comes from (a single job's
    :class:`Submission`, or one input of a batch)."""
    return {
        "source": "url" if source.url else "upload",
        "file_name": source.file_name,
        "file_format": source.upload_format.name if source.upload_format else None,
        "url": source.url,
        "size": source.size,
    }


def request_params(request: Request) -> dict:
    """Query string, then form fields, then a JSON object body, merged (later wins)."""
    params: dict = dict(request.args.items())
    params.update(request.form.items())
    if not all(isinstance(name, str) for name in params):  # a multipart part without a name
        raise BadRequest("every form field needs a name")
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("the JSON body must be an object")
        params.update(body)
    return params


def parse_wait(value: object) -> float:
    """``wait`` in seconds, 0 to 30."""
    if value is None or value == "":
        return 0.0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise BadRequest(f"wait must be a number of seconds, not {value!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise BadRequest(f"wait must be a number of seconds, not {value!r}") from None
    if not 0 <= seconds <= MAX_WAIT_SECONDS:
        raise BadRequest(f"wait must be between 0 and {MAX_WAIT_SECONDS} seconds")
    return seconds


def options_of(operation: Operation, params: dict) -> Any:
    """The operation's options from ``params``; a name that is neither an option nor one of
    :data:`META_PARAMS` is a 400."""
    names = opts.names(operation.options)
    unknown = sorted(set(params) - set(names) - META_PARAMS)
    if unknown:
        allowed = ", ".join((*names, "url", "wait", "key", "callbackUrl"))
        raise BadRequest(f"unknown parameter: {', '.join(unknown)} (allowed: {allowed})")
    return operation.parse_options(params, strict=False)


def _size_of(stream: IO[bytes]) -> int:
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    return size


def read_upload(
    file: FileStorage,
    max_bytes: int,
    kinds: tuple[str, ...] = ("image",),
    max_video_bytes: int | None = None,
) -> tuple[IO[bytes], Format, int]:
    """The upload's stream (at byte 0), sniffed format and size; 415 / 413 when refused
    (a video, where ``kinds`` allows one, has its own limit ``max_video_bytes``)."""
    stream = file.stream
    fmt = require_format(stream.read(64), kinds)
    size = _size_of(stream)
    if fmt.kind == "video" and max_video_bytes is not None:
        max_bytes = max_video_bytes
    if size > max_bytes:
        raise TooLarge(f"file too large (limit {max_bytes} bytes)")
    return stream, fmt, size


def read_inline(value: object, max_bytes: int) -> tuple[IO[bytes], Format, int, str]:
    """A ``base64`` input as an upload: stream, sniffed format, size and a file name."""
    data = decode_base64(value, max_bytes)
    fmt = require_format(data[:32])
    return io.BytesIO(data), fmt, len(data), f"base64{fmt.extension}"


def allow_inline(request: Request, max_upload_bytes: int) -> None:
    """Let the body carry a base64 file (a third larger than the file) in JSON or a form."""
    room = max_upload_bytes * 4 // 3 + 1024 * 1024
    request.max_content_length = max(request.max_content_length or 0, room)
    request.max_form_memory_size = max(request.max_form_memory_size or 0, room)


def check_url(value: object, policy: FetchPolicy | None = None) -> str:
    """A URL string worth handing to the worker's loader (which checks the addresses a name
    resolves to); with ``policy``, refused (``UrlForbidden``) for what the loader would refuse
    before resolving anything."""
    if not isinstance(value, str) or not value.strip():
        raise BadRequest("url must be a non-empty string")
    url = value.strip()
    if len(url) > MAX_URL_LENGTH or _UNSAFE_URL.search(url):
        raise BadRequest("url is too long or contains spaces or control characters")
    if policy is not None:
        check_submitted_url(url, policy)
    return url


def read_submission(
    operation: Operation,
    request: Request,
    max_upload_bytes: int,
    max_video_bytes: int | None = None,
    policy: FetchPolicy | None = None,
) -> Submission:
    """Validate a ``POST /api/v1/{operation}`` request (``policy``: see :func:`check_url`)."""
    if is_raw_body(request):
        return read_raw_submission(operation, request, max_upload_bytes, max_video_bytes)
    allow_inline(request, max_upload_bytes)
    params = request_params(request)
    options = options_of(operation, params)
    wait = parse_wait(params.get("wait"))
    file = request.files.get("file")
    url, inline = _beside(file, params.get("url"), params.get("base64"))
    if sum(x is not None for x in (file, url, inline)) > 1:
        raise BadRequest("send one of a file, a url or base64, not both or all")
    callback = params.get("callbackUrl")
    if inline is not None:
        stream, fmt, size, name = read_inline(inline, max_upload_bytes)
        return Submission(options, wait, stream, fmt, size, name, callback_url=callback)
    if file is not None:
        stream, fmt, size = read_upload(file, max_upload_bytes, operation.kinds, max_video_bytes)
        name = clean_file_name(file.filename)
        return Submission(options, wait, stream, fmt, size, name, callback_url=callback)
    if url is not None:
        return Submission(options, wait, url=check_url(url, policy), callback_url=callback)
    raise BadRequest("send a multipart 'file', a 'url' or 'base64'")


def is_raw_body(request: Request) -> bool:
    """Whether the body is the file itself (an image, video or octet-stream content type)."""
    return (request.mimetype or "").startswith(RAW_TYPES)


def raw_body_name(request: Request) -> str:
    """A raw body's file name: ``?name=``, else the ``Content-Disposition`` ``filename``."""
    name = request.args.get("name")
    if not name:
        _, disposition = parse_options_header(request.headers.get("Content-Disposition", ""))
        name = disposition.get("filename")
    return clean_file_name(name)


def read_raw_submission(
    operation: Operation, request: Request, max_upload_bytes: int, max_video_bytes: int | None
) -> Submission:
    """A submission whose body is the file; parameters from the query string only."""
    params = dict(request.args.items())
    options = options_of(operation, params)
    wait = parse_wait(params.get("wait"))
    if params.get("url") or params.get("base64"):
        raise BadRequest("send one of a file, a url or base64, not both or all")
    body = request.get_data(cache=False)
    if not body:
        raise BadRequest("the request body is empty: send the file as the body")
    file = FileStorage(io.BytesIO(body))
    stream, fmt, size = read_upload(file, max_upload_bytes, operation.kinds, max_video_bytes)
    name = raw_body_name(request)
    return Submission(
        options, wait, stream, fmt, size, name, callback_url=params.get("callbackUrl")
    )


def _beside(file: object, url: object, inline: object) -> tuple[object, object]:
    """``url`` and ``base64``, an empty one left out when another input is given (a form sends
    its empty fields: Swagger UI's "try it out" does)."""
    if any(value not in (None, "") for value in (file, url, inline)):
        url, inline = (None if value == "" else value for value in (url, inline))
    return url, inline


def read_callback(value: object, settings: Settings) -> str | None:
    """The request's ``callbackUrl`` once checked (``common.webhooks``), or ``None``."""
    if value is None or value == "":
        return None
    policy = FetchPolicy.from_settings(settings)
    return check_callback_url(value, policy, settings.WEBHOOK_SECRET)
