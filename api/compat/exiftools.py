"""exiftools.com API v1 at ``/compat/exiftools`` (seed: ``exiftools-api.txt``).

``POST /api/v1/extract`` and ``POST /api/v1/remove`` take a multipart ``file``,
or ``url`` in a JSON body, a form field or the query string; the key comes as
``X-API-Key`` or ``?key=`` (the native API's keys). Both answer synchronously:
the job is made as ``POST /api/v1/{extract,remove}`` makes it and the request
waits on its completion channel. ``GET /api/v1/extract/{uuid}`` (a key is
optional and filters) answers the same body again; ``GET /api/v1/remove/{uuid}``
(not in the seed) lets a client follow a remove that answered 202.

Extract asks the engine for ExifTool's printed values (``values=printed``,
when the engine has that option) and no pixel work (ExifTool decodes no
pixels). ``metadata.exif`` is one flat object, as ``exiftool -j`` prints
without ``-G``: IFD0, ExifIFD, GPS, InteropIFD, other EXIF IFDs, then IFD1, the
first occurrence of a name winning (ExifTool ranks IFD1's duplicates lowest).
Errors: ``{"success": false, "error": "..."}``; 400 for the client's mistakes,
401 ``"Invalid API key"``, 404 for unknown results, 500 only for our faults.
"""

from __future__ import annotations

import uuid as uuid_module

from flask import Blueprint, request

from api.auth import presented_key
from api.compat import base
from api.compat.base import NotFound
from api.services import services
from common.errors import BadRequest
from common.jobs import COMPLETED, FAILED, Job

PREFIX = "/compat/exiftools"
NO_RESULT = "No extraction found with the given UUID."
SERVER_FAULT = "An error occurred while processing your request"
EXTRACT_OPTIONS = {"pixels": False, "values": "printed"}
# ExifTool's -j order for EXIF: the main IFDs, then the thumbnail's duplicates lose.
_EXIF_FIRST = ("image", "exif", "gps", "interoperability")


def render(status: int, message: str):
    if status == 401:
        message = "Invalid API key"
    elif status >= 500 and status != 503:
        status, message = 500, SERVER_FAULT
    elif 400 <= status < 500 and status not in (401, 404, 405):
        status = 400
    return base.json_error({"success": False, "error": message}, status)


# ------------------------------------------------------------------ shape


def flat_exif(sections: dict) -> dict:
    """EXIF sections (``image``, ``exif``, ...) as one object; the first of a name wins."""
    flat: dict = {}
    others = sections.get("other") or {}
    groups = [sections.get(name) for name in _EXIF_FIRST] + list(others.values())
    for group in [*groups, sections.get("thumbnail")]:
        for tag, value in (group or {}).items():
            flat.setdefault(tag, value)
    return flat


def flat_groups(groups: dict) -> dict:
    """Maker-note groups (``{"Canon": {...}}``) as one object; the first of a name wins."""
    flat: dict = {}
    for tags in groups.values():
        for tag, value in (tags or {}).items():
            flat.setdefault(tag, value)
    return flat


def metadata(native: dict) -> dict:
    """The seed's ``metadata`` from the engine's: ``exif`` flat, ``File`` as in the seed's
    curl example, the other groups beside them."""
    sections = native.get("exif") or {}
    file = native.get("file") or {}
    shaped = {
        "exif": flat_exif(sections),
        "iptc": native.get("iptc") or {},
        "xmp": native.get("xmp") or {},
        "makernotes": flat_groups(sections.get("makernote") or {}),
        "File": {"Name": file.get("name"), "Size": file.get("size"), "Type": file.get("mimeType")},
    }
    for name in ("icc", "gps", "image", "comments", "datetimeOriginal", "warnings"):
        if native.get(name) not in (None, {}, []):
            shaped[name] = native[name]
    return shaped


def extract_body(body: dict) -> dict:
    """The seed's extract answer from the native completed-job body."""
    name = body.get("fileName", "")
    return {
        "success": True,
        "status": COMPLETED,
        "fileName": name,
        "filename": name,
        "uuid": body["uuid"],
        "metadata": metadata(body.get("metadata") or {}),
    }


# ------------------------------------------------------------------ routes


def _input() -> tuple[object, object]:
    """The multipart ``file``, or the ``url`` from a JSON body, a form field or the query."""
    file = request.files.get("file")
    if file is not None:
        return file, None
    url = request.args.get("url")
    url = request.form.get("url", url)
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("Invalid request parameters: the JSON body must be an object")
        url = body.get("url", url)
    if url is None:
        raise BadRequest("Invalid request parameters: send a file or a url")
    return None, url


def _answer(job: Job, body: dict | None, shape) -> tuple[dict, int]:
    svc = services()
    if body is None:
        follow = base.absolute(svc.settings, f"{PREFIX}/api/v1/{job.op}/{job.uuid}")
        return base.pending(job.uuid, job.status, success=True, statusUrl=follow)
    if job.status == FAILED:
        status = base.job_error_status(job.error)
        message = (job.error or {}).get("message", "") if status < 500 else SERVER_FAULT
        return {"success": False, "uuid": job.uuid, "status": FAILED, "error": message}, (
            400 if status < 500 else 500
        )
    return shape(body), 200


def _remove_body(body: dict) -> dict:
    path = f"/download-cleaned/{body['uuid']}"
    return {
        "success": True,
        "status": COMPLETED,
        "uuid": body["uuid"],
        "fileName": body.get("fileName", ""),
        "downloadUrl": base.absolute(services().settings, path),
    }


def _submit(op: str, options: dict, shape):
    svc = services()
    owner = base.owner_for(svc, presented_key())
    file, url = _input()
    job, body = base.submit(svc, op, options, owner=owner, file=file, url=url)
    return _answer(job, body, shape)


def extract():
    return _submit("extract", EXTRACT_OPTIONS, extract_body)


def remove():
    return _submit("remove", {}, _remove_body)


def _find(op: str, job_id: str) -> tuple[Job, dict | None]:
    """The owner's job ``job_id`` of ``op`` as it stands, and its native body if finished."""
    svc = services()
    owner = base.owner_for(svc, presented_key(), required=False)
    try:
        job_id = str(uuid_module.UUID(job_id))
    except ValueError:
        raise NotFound(NO_RESULT) from None
    job = svc.jobs.get(job_id)
    if not base.visible(svc, job, op, owner):
        raise NotFound(NO_RESULT)
    return base.settle(svc, job, 0)


def extract_result(job_id: str):
    return _answer(*_find("extract", job_id), extract_body)


def remove_result(job_id: str):
    return _answer(*_find("remove", job_id), _remove_body)


def blueprint() -> Blueprint:
    bp = Blueprint("compat_exiftools", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/api/v1/extract", view_func=extract, methods=["POST"])
    bp.add_url_rule("/api/v1/remove", view_func=remove, methods=["POST"])
    bp.add_url_rule("/api/v1/extract/<job_id>", view_func=extract_result, methods=["GET"])
    bp.add_url_rule("/api/v1/remove/<job_id>", view_func=remove_result, methods=["GET"])
    base.install_errors(bp, render)
    return bp
