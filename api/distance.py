"""``GET /api/v1/hash/distance?a=HEX&b=HEX``: hamming distance and similarity, synchronous.

The hash core computes both (hex or bit strings of equal length) and raises
``BadRequest`` (400) for anything else.
"""

from __future__ import annotations

from flask import Blueprint, request

from common.errors import BadRequest
from worker.media.similarity import hamming_distance, similarity

bp = Blueprint("distance", __name__)


@bp.get("/api/v1/hash/distance")
def hash_distance():
    a, b = request.args.get("a"), request.args.get("b")
    if not a or not b:
        raise BadRequest("give two hashes: ?a=HEX&b=HEX")
    return {
        "success": True,
        "a": a,
        "b": b,
        "distance": hamming_distance(a, b),
        "similarity": similarity(a, b),
    }
