"""``GET /download-cleaned/{uuid}``: the file of a completed job whose operation produces one
(``remove``).

Streamed from storage (never loaded whole), refused with 404 once the job's
``expiresAt`` has passed even if the object lingers, and named with a
``Content-Disposition`` that cannot smuggle quotes, paths or header breaks:
an ASCII ``filename`` plus the RFC 6266 / RFC 5987 ``filename*`` for the real name.
"""

from __future__ import annotations

import uuid as uuid_module
from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from flask import Blueprint, Response

from api.jobs import JobNotFound, require_visible
from api.services import services
from common import operations
from common.jobs import COMPLETED, safe_name
from common.names import clean_file_name
from common.storage import ObjectNotFound

CHUNK = 256 * 1024

bp = Blueprint("downloads", __name__)


def content_disposition(file_name: str) -> str:
    """``attachment`` with an ASCII fallback name and the UTF-8 name percent-encoded."""
    name = clean_file_name(file_name, default="image")
    return f"attachment; filename=\"{safe_name(name)}\"; filename*=UTF-8''{quote(name, safe='')}"


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
    try:
        stream = svc.storage.open(job.cleaned_key)
    except ObjectNotFound:
        raise JobNotFound() from None
    mime = job.cleaned_type or "application/octet-stream"
    response = Response(_chunks(stream), mimetype=mime)
    response.headers["Content-Disposition"] = content_disposition(job.file_name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
