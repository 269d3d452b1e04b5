"""``GET /download-cleaned/{uuid}``: the file of a completed job whose operation produces one
(``remove``).

Streamed from storage (never loaded whole), refused with 404 once the job's
``expiresAt`` has passed even if the object lingers, and named with a
``Content-Disposition`` that cannot smuggle quotes, paths or header breaks:
an ASCII ``filename`` plus the RFC 6266 / RFC 5987 ``filename*`` for the real name.

With ``DOWNLOAD_REDIRECT`` and a store that presigns (S3), the answer is a 302
to a presigned URL instead, made after the same key and expiry checks, valid
for at most 15 minutes and never past the job's ``expiresAt``, with which S3
answers the same ``Content-Disposition`` and type: the bytes then never pass
through the API.
"""

from __future__ import annotations

import math
import uuid as uuid_module
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from flask import Blueprint, Response, redirect

from api.jobs import JobNotFound, require_visible
from api.services import services
from common import operations
from common.jobs import COMPLETED, safe_name
from common.names import clean_file_name
from common.storage import ObjectNotFound

CHUNK = 256 * 1024
MAX_REDIRECT_SECONDS = 15 * 60

bp = Blueprint("downloads", __name__)


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name percent-encoded."""
    name = clean_file_name(file_name, default="image")
    return f"attachment; filename=\"{safe_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


def redirect_seconds(expires_at: float, now: float) -> int:
    """How long a presigned URL may live: at most ``MAX_REDIRECT_SECONDS`` and never past the
    job's expiry (whole seconds, rounded down; 0 when under one is left)."""
    return max(0, math.floor(min(MAX_REDIRECT_SECONDS, expires_at - now)))


def _chunks(stream: BinaryIO) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


@bp.get("/download-cleaned/<uuid:job_id>")
def download_cleaned(job_id: uuid_module.UUID):
    svc = services()
    job = svc.jobs.get(str(job_id))
    operation = operations.get(job.op) if job else None
    if operation is None or not operation.produces_file:
        raise JobNotFound()
    require_visible(svc, job, job.op)
    if job.status != COMPLETED or not job.cleaned_key:
        raise JobNotFound()
    mime = job.cleaned_type or "application/octet-stream"
    if svc.settings.DOWNLOAD_REDIRECT:
        seconds = redirect_seconds(job.expires_at, svc.clock.now())
        url = seconds and svc.storage.presigned_url(
            job.cleaned_key,
            seconds,
            content_disposition=content_disposition(job.file_name),
            content_type=mime,
        )
        if url:
            response = redirect(url, 302)
            response.headers["Cache-Control"] = "private, no-store"
            return response
    try:
        stream = svc.storage.open(job.cleaned_key)
    except ObjectNotFound:
        raise JobNotFound() from None
    response = Response(_chunks(stream), mimetype=mime)
    response.headers["Content-Disposition"] = content_disposition(job.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
