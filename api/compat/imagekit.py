"""ImageKit's metadata API at ``/compat/imagekit`` (seed: ``imagekit-metadata.txt``).

``GET /v1/metadata?url=...`` ("Get file metadata from remote URL") with HTTP
Basic authentication, the private key as user name and an empty password:
the private key is an exifq API key. It runs an ordinary extract job on the
URL (with pixels: ``pHash``), waits for it, and answers the seed's metadata
object: ``height width size format hasColorProfile quality density
hasTransparency pHash`` and ``exif {image, thumbnail, exif, gps,
interoperability, makernote}`` with ``exif -n`` values, as the engine gives
them (``makernote`` flat, as the seed shows it). A field the engine does not
know for a file (``density`` without a resolution) is left out, never made up.
A job not finished within ``COMPAT_WAIT_SECONDS`` answers 202 with its
``uuid``; ``GET /v1/metadata/{uuid}`` (not in ImageKit) answers it later.
Errors: ``{"message", "help"}`` with ImageKit's statuses (400, 401, 404, 500).
"""

from __future__ import annotations

import uuid as uuid_module

from flask import Blueprint, request

from api.compat import base
from api.compat.exiftools import flat_groups
from api.services import services
from common.errors import BadRequest
from common.jobs import FAILED, Job

PREFIX = "/compat/imagekit"
HELP = "See docs/compat.md of your exifq server."
EXIF_SECTIONS = ("image", "thumbnail", "exif", "gps", "interoperability")


def render(status: int, message: str):
    if status == 401:
        message = "Your request does not contain a valid private API key."
    elif status >= 500 and status != 503:
        status = 500
    elif 400 <= status < 500 and status not in (401, 403, 404, 405):
        status = 400
    return base.json_error({"message": message, "help": HELP}, status)


def metadata(native: dict) -> dict:
    """The seed's metadata object from the engine's result."""
    image = native.get("image") or {}
    file = native.get("file") or {}
    sections = native.get("exif") or {}
    exif = {name: dict(sections.get(name) or {}) for name in EXIF_SECTIONS}
    exif["makernote"] = flat_groups(sections.get("makernote") or {})
    shaped = {
        "height": image.get("height"),
        "width": image.get("width"),
        "size": file.get("size"),
        "format": image.get("format"),
        "hasColorProfile": bool(image.get("hasColorProfile")),
        "quality": image.get("quality") or 0,
        "density": image.get("density"),
        "hasTransparency": bool(image.get("hasTransparency")),
        "pHash": native.get("pHash"),
        "exif": exif,
    }
    return {name: value for name, value in shaped.items() if value is not None}


def _answer(job: Job, body: dict | None):
    svc = services()
    if body is None:
        follow = base.absolute(svc.settings, f"{PREFIX}/v1/metadata/{job.uuid}")
        return base.pending(job.uuid, job.status, statusUrl=follow)
    if job.status == FAILED:
        status = base.job_error_status(job.error)
        return render(status, (job.error or {}).get("message", "the file could not be read"))
    return metadata(body.get("metadata") or {}), 200


def _owner(required: bool = True) -> str | None:
    user = base.basic_user(request.headers.get("Authorization"))
    return base.owner_for(services(), user, required=required)


def from_url():
    svc = services()
    owner = _owner()
    url = request.args.get("url")
    if not url:
        raise BadRequest("Missing url parameter: the URL of the file to read.")
    return _answer(*base.submit(svc, "extract", {"pixels": True}, owner=owner, url=url))


def result(job_id: uuid_module.UUID):
    svc = services()
    owner = _owner(required=False)
    job = svc.jobs.get(str(job_id))
    if not base.visible(svc, job, "extract", owner):
        raise base.NotFound("The requested file does not exist.")
    return _answer(*base.settle(svc, job, 0))


def blueprint() -> Blueprint:
    bp = Blueprint("compat_imagekit", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/v1/metadata", view_func=from_url, methods=["GET"])
    bp.add_url_rule("/v1/metadata/<uuid:job_id>", view_func=result, methods=["GET"])
    base.install_errors(bp, render)
    return bp
