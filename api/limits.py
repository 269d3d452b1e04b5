"""``GET /api/v1/limits``: the sizes this server accepts, so a client can plan its requests.

The CLI reads it to split a folder larger than one batch into several
batches; anyone may read it (limits are no secret, and no job is touched).
``rateLimits`` are the caller's (its key's, else ``RATE_LIMIT``): a batch of
N jobs costs N, so no batch may be larger than the smallest ``amount``.
"""

from __future__ import annotations

from flask import Blueprint

from api.ratelimit import limits_of
from api.services import services

bp = Blueprint("limits", __name__)


@bp.get("/api/v1/limits")
def limits():
    svc = services()
    settings = svc.settings
    return {
        "success": True,
        "maxUploadBytes": settings.MAX_UPLOAD_BYTES,
        "maxVideoBytes": settings.MAX_VIDEO_BYTES,
        "maxImagePixels": settings.MAX_IMAGE_PIXELS,
        "maxBatchItems": settings.MAX_BATCH_ITEMS,
        "maxBatchBytes": settings.MAX_BATCH_BYTES,
        "rateLimits": limits_of(svc),
    }
