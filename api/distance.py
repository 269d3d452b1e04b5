"""``GET /api/v1/hash/distance?a=HEX&b=HEX``: hamming distance and similarity, synchronous."""

from __future__ import annotations

from flask import Blueprint, request

from common.errors import BadRequest

bp = Blueprint("distance", __name__)


@bp.get("/api/v1/hash/distance")
def hash_distance():
    from worker.media.similarity import hamming_distance, similarity

    a, b = request.args.get("a"), request.args.get("b")
    if not a or not b:
        raise BadRequest("give two hashes: ?a=HEX&b=HEX")
    try:
        distance = hamming_distance(a, b)
        score = similarity(a, b)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return {"success": True, "a": a, "b": b, "distance": distance, "similarity": score}
