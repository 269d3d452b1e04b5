"""Uploadcare's upload and file-info APIs at ``/compat/uploadcare`` (seed:
``uploadcare-file-analysis.txt``).

- ``POST /base/`` (Upload API): multipart ``UPLOADCARE_PUB_KEY`` and one or more
  files; each file becomes an ordinary extract job (with pixels, for the
  perceptual hash) and the answer maps each file field's name to the job's
  UUID, the file's ``uuid``: ``{"file": "..."}``. It does not wait.
- ``GET /files/{uuid}/`` (REST API, ``Authorization: Uploadcare.Simple
  PUBLIC:SECRET``; ``?include=appdata``) waits for the job up to
  ``COMPAT_WAIT_SECONDS`` and answers the seed's file info: ``uuid mime_type
  size original_filename is_image is_ready datetime_uploaded content_info``
  and the 64-bit perceptual ``hash`` (in ``content_info.image`` and in the
  seed's ``image_info`` object). Still running then: 202 with ``is_ready``
  false and ``status``. ``appdata.uc_clamav_virus_scan`` appears when the
  engine scans (its ``scan`` option); never otherwise.

Keys: ``COMPAT_UPLOADCARE_KEYS`` pairs ``PUBLIC:SECRET``, each secret an exifq
API key (uploads carry only the public key). exifq keeps no original file:
``original_file_url`` and ``datetime_stored`` are ``null``. Errors: the Upload
API's ``{"error": {"content", "statusCode", "errorCode"}}``, the REST API's
``{"detail"}``, with Uploadcare's statuses.
"""

from __future__ import annotations

import uuid as uuid_module
from datetime import UTC, datetime

from flask import Blueprint, request

from api.compat import base
from api.services import Services, services
from common.errors import BadRequest
from common.jobs import COMPLETED, Job

PREFIX = "/compat/uploadcare"
_FORMATS = {"jpg": "JPEG"}  # else the engine's format name, upper-cased
_UPLOAD_ERRORS = {
    400: "RequestParamRequiredError",
    401: "ProjectPublicKeyInvalidError",
    403: "ProjectPublicKeyInvalidError",
    413: "FileSizeLimitExceededError",
    415: "FileTypeForbiddenError",
}


def upload_render(status: int, message: str):
    if status in (401, 403):
        status, message = 403, "UPLOADCARE_PUB_KEY is invalid."
    code = _UPLOAD_ERRORS.get(status, "InternalServerError" if status >= 500 else "RequestError")
    error = {"content": message, "statusCode": status, "errorCode": code}
    return base.json_error({"error": error}, status)


def rest_render(status: int, message: str):
    if status == 401:
        message = "Incorrect authentication credentials."
    elif status == 404:
        message = "Not found."
    return base.json_error({"detail": message}, status)


# ------------------------------------------------------------------ keys


def _secret(svc: Services, public: object) -> str | None:
    """The secret (an API key) paired with ``public``; ``None`` for an unknown public key."""
    pairs = base.key_pairs(svc.settings.COMPAT_UPLOADCARE_KEYS)
    return pairs.get(public) if isinstance(public, str) else None


def _upload_owner(svc: Services) -> str:
    public = request.form.get("UPLOADCARE_PUB_KEY")
    if not svc.settings.api_keys:
        return ""
    if not public:
        raise BadRequest("UPLOADCARE_PUB_KEY is required.")
    secret = _secret(svc, public)
    return base.owner_for(svc, secret if secret is not None else "\x00")


def _rest_owner(svc: Services) -> str:
    if not svc.settings.api_keys:
        return ""
    pair = base.uploadcare_simple(request.headers.get("Authorization"))
    if pair is None or _secret(svc, pair[0]) != pair[1]:
        raise base.Unauthorized("Incorrect authentication credentials.")
    return base.owner_for(svc, pair[1])


# ------------------------------------------------------------------ shape


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _whole(value: object) -> object:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def image_info(native: dict) -> dict:
    """``content_info.image`` (with the perceptual ``hash``) from the engine's result."""
    image = native.get("image") or {}
    gps = native.get("gps") or {}
    located = gps.get("latitude") is not None and gps.get("longitude") is not None
    taken = native.get("datetimeOriginal")
    dpi = image.get("dpi")
    fmt = str(image.get("format") or "")
    return {
        "format": _FORMATS.get(fmt, fmt.upper()),
        "width": image.get("width"),
        "height": image.get("height"),
        "sequence": (image.get("frames") or 1) > 1,
        "orientation": image.get("orientation"),
        "geo_location": {"latitude": gps["latitude"], "longitude": gps["longitude"]}
        if located
        else None,
        "datetime_original": taken[:19] if isinstance(taken, str) else None,
        "dpi": [_whole(d) for d in dpi] if isinstance(dpi, list) else None,
        "hash": native.get("pHash"),
    }


def _mime(mime: str | None) -> dict | None:
    if not mime:
        return None
    kind, _, subtype = mime.partition("/")
    return {"mime": mime, "type": kind, "subtype": subtype}


def virus_scan(scan: dict) -> dict:
    """The engine's ``virusScan`` as Uploadcare's ``uc_clamav_virus_scan`` application data."""
    when = scan.get("scannedAt")
    return {
        "data": {"infected": bool(scan.get("infected")), "infected_with": scan.get("infectedWith")},
        "version": scan.get("engine"),
        "datetime_created": when,
        "datetime_updated": when,
    }


def file_info(job: Job, native: dict | None, url: str, appdata: bool) -> dict:
    """The seed's file info for ``job``; ``native`` is its result once completed."""
    native = native or {}
    file = native.get("file") or {}
    mime = file.get("mimeType") or _format_mime(job.file_format)
    completed = job.status == COMPLETED and bool(native.get("image"))
    image = image_info(native) if completed else None
    info = {
        "datetime_removed": None,
        "datetime_stored": None,
        "datetime_uploaded": _iso(job.created_at),
        "is_image": completed,
        "is_ready": job.finished,
        "mime_type": mime,
        "original_file_url": None,
        "original_filename": job.file_name,
        "size": file.get("size", job.size),
        "url": url,
        "uuid": job.uuid,
        "variations": None,
        "content_info": None if not job.finished else {"mime": _mime(mime), "image": image},
        "metadata": {},
    }
    if image is not None:
        info["image_info"] = {"id": job.uuid, **image}
    if appdata:
        scan = native.get("virusScan")
        # A file clamd could not scan whole gets no verdict: never a clean "infected": false.
        scanned = scan and scan.get("scanned")
        info["appdata"] = {"uc_clamav_virus_scan": virus_scan(scan)} if scanned else {}
    return info


def _format_mime(name: str | None) -> str | None:
    from worker.media.formats import ALL

    return next((fmt.mime for fmt in ALL if fmt.name == name), None)


# ------------------------------------------------------------------ routes


def upload():
    svc = services()
    owner = _upload_owner(svc)
    files = list(request.files.items(multi=True))
    if not files:
        raise BadRequest("Request does not contain files.")
    # The virus scan runs where the engine has it and a clamd is configured (issue 13).
    options = {"pixels": True, "scan": bool(getattr(svc.settings, "CLAMD_URL", None))}
    answer = {}
    for field, file in files:
        job, _ = base.submit(svc, "extract", options, owner=owner, file=file, wait=0)
        answer[field] = job.uuid
    return answer, 200


def file_info_route(file_id: str):
    svc = services()
    owner = _rest_owner(svc)
    try:
        job_id = str(uuid_module.UUID(file_id))
    except ValueError:
        raise base.NotFound("Not found.") from None
    job = svc.jobs.get(job_id)
    if not base.visible(svc, job, "extract", owner):
        raise base.NotFound("Not found.")
    job, body = base.settle(svc, job)
    url = base.absolute(svc.settings, f"{PREFIX}/files/{job.uuid}/")
    include = {part.strip() for part in request.args.get("include", "").split(",")}
    info = file_info(job, (body or {}).get("metadata"), url, "appdata" in include)
    if body is None:
        return {**info, "status": job.status}, 202
    return info, 200


def blueprint() -> Blueprint:
    bp = Blueprint("compat_uploadcare", __name__, url_prefix=PREFIX)
    upload_bp = Blueprint("upload", __name__)
    upload_bp.add_url_rule("/base/", view_func=upload, methods=["POST"])
    base.install_errors(upload_bp, upload_render)
    rest_bp = Blueprint("rest", __name__)
    rest_bp.add_url_rule("/files/<file_id>/", view_func=file_info_route, methods=["GET"])
    base.install_errors(rest_bp, rest_render)
    bp.register_blueprint(upload_bp)
    bp.register_blueprint(rest_bp)
    return bp
