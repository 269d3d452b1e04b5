"""Cloudinary's upload API at ``/compat/cloudinary`` (seed: ``cloudinary-semantic-extraction.txt``).

``POST /v1_1/{cloud_name}/image/upload`` with ``file`` (a multipart file, a
URL, or a ``data:...;base64,`` URI), ``api_key``, ``timestamp`` and
``signature``, signed as Cloudinary signs: the SHA-1 (a 64-digit signature:
SHA-256) of the parameters other than ``file``, ``cloud_name``,
``resource_type``, ``api_key`` and ``signature``, empty values left out, as
``name=value`` (lists joined by ``,``; ``&`` in a pair written ``%26``, the
SDKs' signature version 2, or as is, version 1) sorted and joined by ``&``,
followed by the API secret. ``COMPAT_CLOUDINARY_KEYS`` pairs ``API_KEY:API_SECRET``, each
secret an exifq API key; a timestamp more than an hour old is stale. Any
``cloud_name`` is accepted.

The upload runs an ordinary extract job (pixels only when ``phash`` is asked
for), waits for it, and answers ``public_id version width height format
resource_type created_at bytes type etag original_filename`` and, when asked,
``image_metadata`` (``media_metadata`` too; one flat object of text values),
``phash``, and — once the engine gives them (issue 13) — ``faces``,
``colors``/``predominant`` and ``pages``; never made up. exifq keeps no
asset: there is no ``url``/``secure_url``. Still running after
``COMPAT_WAIT_SECONDS``: 202 with ``uuid`` and ``status``. Errors:
``{"error": {"message"}}`` with Cloudinary's statuses (400, 401, 500).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import io
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask import Blueprint, request
from werkzeug.datastructures import FileStorage

from api.compat import base
from api.compat.exiftools import flat_exif, flat_groups
from api.services import Services, services
from common.errors import BadRequest, TooLarge
from common.jobs import FAILED, Job
from common.options import TRUE_WORDS

PREFIX = "/compat/cloudinary"
UNSIGNED = frozenset({"file", "cloud_name", "resource_type", "api_key", "signature"})
SIGNATURE_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}
STALE_SECONDS = 3600
MAX_PARAMS = 100
_DATA_URI = re.compile(r"data:[^,;]*(?:;[^,;]*)*;base64,", re.IGNORECASE)


def render(status: int, message: str):
    if status >= 500 and status != 503:
        status = 500
    elif 400 <= status < 500 and status not in (401, 403, 404):
        status = 400
    return base.json_error({"error": {"message": message}}, status)


# ------------------------------------------------------------------ signature


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_text(item) for item in value)
    if isinstance(value, dict):
        return ""
    return "" if value is None else str(value)


def string_to_sign(params: dict, version: int = 2) -> str:
    """Cloudinary's string to sign: ``name=value`` of the signed parameters, sorted, ``&``;
    from version 2 on (the SDKs' default) an ``&`` inside a pair is written ``%26``."""
    pairs = [f"{name}={_text(value)}" for name, value in params.items() if name not in UNSIGNED]
    if version >= 2:
        pairs = [pair.replace("&", "%26") for pair in pairs]
    return "&".join(sorted(pair for pair in pairs if not pair.endswith("=")))


def sign(params: dict, secret: str, algorithm: str = "sha1", version: int = 2) -> str:
    """The signature of ``params`` with ``secret`` (hex digest)."""
    digest = SIGNATURE_ALGORITHMS[algorithm]
    return digest((string_to_sign(params, version) + secret).encode()).hexdigest()


def check_signature(params: dict, secret: str, now: float) -> None:
    """``Unauthorized`` unless ``params`` carry a valid, fresh signature made with ``secret``."""
    given = _text(params.get("signature"))
    if not given:
        raise base.Unauthorized("Missing required parameter - signature")
    algorithm = "sha256" if len(given) == 64 else "sha1"
    try:
        timestamp = int(_text(params.get("timestamp")))
    except ValueError:
        raise BadRequest("Missing required parameter - timestamp") from None
    if abs(now - timestamp) > STALE_SECONDS:
        raise BadRequest(f"Stale request - reported time is {timestamp} (more than an hour off)")
    matches = [
        hmac.compare_digest(given.lower().encode(), sign(params, secret, algorithm, v).encode())
        for v in (2, 1)
    ]
    if not any(matches):
        shown = string_to_sign(params)
        raise base.Unauthorized(f"Invalid Signature {given}. String to sign - '{shown}'.")


def _owner(svc: Services, params: dict) -> str:
    """The owner of a signed request (or ``""`` when the service is open)."""
    if not svc.settings.api_keys:
        return ""
    api_key = params.get("api_key")
    if not api_key:
        raise base.Unauthorized("Must supply api_key")
    secret = base.key_pairs(svc.settings.COMPAT_CLOUDINARY_KEYS).get(_text(api_key))
    if secret is None:
        raise base.Unauthorized(f"Unknown API key {_text(api_key)[:64]}")
    check_signature(params, secret, svc.clock.now())
    return base.owner_for(svc, secret)


# ------------------------------------------------------------------ request


def _params() -> dict:
    """Form fields (``name[]`` fields as lists, as the SDKs send arrays), then a JSON object
    body (later wins)."""
    params: dict = {}
    for name, values in request.form.lists():
        if name.endswith("[]"):
            params[name[:-2]] = values
        else:
            params[name] = values[0]
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise BadRequest("Invalid JSON body: an object is expected")
        params.update(body)
    if len(params) > MAX_PARAMS or not base.encodable(params):
        raise BadRequest("Invalid parameters")
    for name, value in params.items():
        if not isinstance(value, str | int | float | bool | list) or len(_text(value)) > 65536:
            raise BadRequest(f"Invalid value for parameter {name[:64]}")
    return params


def _flag(params: dict, *names: str) -> bool:
    return any(_text(params.get(name)).strip().lower() in TRUE_WORDS for name in names)


def _file(params: dict, svc: Services) -> tuple[FileStorage | None, str | None]:
    """The upload: a multipart file, a ``data:`` URI, or a URL."""
    upload = request.files.get("file")
    if upload is not None:
        return upload, None
    value = params.get("file")
    if not isinstance(value, str) or not value:
        raise BadRequest("Missing required parameter - file")
    prefix = _DATA_URI.match(value)
    if prefix is None:
        return None, value
    encoded = "".join(value[prefix.end() :].split())
    if len(encoded) // 4 * 3 > svc.settings.MAX_UPLOAD_BYTES:
        raise TooLarge(f"File size too large (limit {svc.settings.MAX_UPLOAD_BYTES} bytes)")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("Invalid image file: the data URI is not valid base64") from None
    return FileStorage(io.BytesIO(data), filename="file"), None


# ------------------------------------------------------------------ answer


def image_metadata(native: dict) -> dict:
    """One flat object of text values: EXIF, maker notes, IPTC, then XMP (the first wins)."""
    sections = native.get("exif") or {}
    merged = dict(flat_exif(sections))
    for group in (flat_groups(sections.get("makernote") or {}), native.get("iptc") or {}):
        for name, value in group.items():
            merged.setdefault(name, value)
    for name, value in (native.get("xmp") or {}).items():
        merged.setdefault(name.rpartition(":")[2], value)
    return {name: _printed(value) for name, value in merged.items()}


def _printed(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(_printed(item) for item in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_printed(v)}" for k, v in value.items())
    return _text(value)


def _faces(value: object) -> list | None:
    if not isinstance(value, list):
        return None
    boxes = []
    for face in value:
        if isinstance(face, dict):
            face = [face.get(k) for k in ("x", "y", "w", "h")]
        if not isinstance(face, list | tuple) or len(face) < 4:
            return None
        boxes.append(list(face[:4]))
    return boxes


def _cloudinary_colors(value: object) -> list | None:
    """``colors`` only in Cloudinary's own shape, ``[[hex, percent], ...]``."""
    if isinstance(value, list) and all(isinstance(c, list) and len(c) == 2 for c in value):
        return value
    return None


def upload_body(job: Job, native: dict, params: dict, asked: dict[str, bool]) -> dict:
    """Cloudinary's upload response from the engine's result; fields only when known."""
    image = native.get("image") or {}
    file = native.get("file") or {}
    name = job.file_name or urlsplit(job.url or "").path.rpartition("/")[2]
    body = {
        "public_id": _text(params.get("public_id")) or job.uuid,
        "version": int(job.created_at),
        "width": image.get("width"),
        "height": image.get("height"),
        "format": image.get("format"),
        "resource_type": "image",
        "created_at": datetime.fromtimestamp(job.created_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "bytes": file.get("size"),
        "type": "upload",
        "etag": file.get("md5"),
        "placeholder": False,
        "original_filename": name.rpartition(".")[0] or name,
    }
    pages = native.get("pages", image.get("frames"))  # the pixel facts' count, else frames
    if isinstance(pages, int):
        body["pages"] = pages
    if asked["phash"] and native.get("pHash"):
        body["phash"] = native["pHash"]
    if asked["colors"] and _cloudinary_colors(native.get("palette")) is not None:
        body["colors"] = native["palette"]  # Cloudinary's colors (docs/scan-faces-colours.md)
        if isinstance(native.get("predominant"), dict):
            body["predominant"] = native["predominant"]
    if asked["faces"] and _faces(native.get("faces")) is not None:
        body["faces"] = _faces(native["faces"])
    if asked["image_metadata"]:
        body["image_metadata"] = image_metadata(native)
    return {key: value for key, value in body.items() if value is not None}


# ------------------------------------------------------------------ route


def upload(cloud_name: str):
    svc = services()
    base.text_field(cloud_name, "cloud_name", limit=256)
    params = _params()
    owner = _owner(svc, params)
    if "public_id" in params:
        base.text_field(params["public_id"], "public_id", limit=255)
    asked = {
        "image_metadata": _flag(params, "image_metadata", "media_metadata"),
        "phash": _flag(params, "phash"),
        "colors": _flag(params, "colors"),
        "faces": _flag(params, "faces"),
    }
    options = {"pixels": asked["phash"] or asked["colors"], "faces": asked["faces"]}
    options.update({"colors": True} if asked["colors"] else {})
    options.update({"values": "printed"} if asked["image_metadata"] else {})
    upload_file, url = _file(params, svc)
    job, body = base.submit(svc, "extract", options, owner=owner, file=upload_file, url=url)
    if body is None:
        return base.pending(job.uuid, job.status)
    if job.status == FAILED:
        status = base.job_error_status(job.error)
        message = (job.error or {}).get("message", "")
        return render(status, f"Invalid image file: {message}" if status < 500 else message)
    return upload_body(job, body.get("metadata") or {}, params, asked), 200


def blueprint() -> Blueprint:
    bp = Blueprint("compat_cloudinary", __name__, url_prefix=PREFIX)
    bp.add_url_rule("/v1_1/<cloud_name>/image/upload", view_func=upload, methods=["POST"])
    base.install_errors(bp, render)
    return bp
