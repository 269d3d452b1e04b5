"""The errors' scenarios (``tests.support.openapi_scenarios``): bad parameters, unknown UUIDs,
not an image, too large, keys missing or wrong (native and each adapter's credentials), rate
limits, and Redis away; each in the native shape or the adapter's own."""

from __future__ import annotations

import io
from pathlib import Path

from api.compat.cloudinary import sign
from tests.support.openapi_scenarios import PHOTO, START, Recorder, harness, upload
from tests.support.openapi_scenarios_adapters import (
    CLOUDINARY,
    EXIFTOOLS,
    IMAGEKIT,
    UPLOADCARE,
    XIMILAR,
    basic,
)

SOME_UUID = "00000000-0000-4000-8000-999999999999"
KEYS = {
    "API_KEYS": "k",
    "COMPAT_UPLOADCARE_KEYS": "pub:k",
    "COMPAT_CLOUDINARY_KEYS": "ckey:k",
}


def _bad_requests(rec: Recorder, folder: Path) -> None:
    h = harness(folder)
    rec.call(
        h,
        "POST",
        "/api/v1/hash",
        "error_bad_request",
        "an option of the wrong type",
        json={"url": "http://images.test/a.jpg", "types": 5},
    )
    rec.call(h, "POST", "/api/v1/extract?wait=99", data=upload(PHOTO))
    rec.call(
        h,
        "POST",
        "/api/v1/extract",
        "error_unsupported_format",
        "a text file",
        data={"file": (io.BytesIO(b"just some text"), "notes.jpg")},
    )
    rec.call(h, "GET", f"/api/v1/extract/{SOME_UUID}", "error_not_found", "unknown or expired")
    rec.call(h, "GET", f"/api/v1/extract/{SOME_UUID}?wait=-1")
    rec.call(h, "GET", f"/download-cleaned/{SOME_UUID}")
    rec.call(h, "POST", "/api/v1/batch", json={"urls": []})
    rec.call(h, "GET", f"/api/v1/batch/{SOME_UUID}")
    rec.call(h, "GET", f"/api/v1/batch/{SOME_UUID}?limit=0")
    rec.call(h, "POST", "/api/v1/rank_images", json={"records": [{"_url": "http://a.test/"}]})
    rec.call(h, "GET", f"/api/v1/rank_images/{SOME_UUID}")
    rec.call(h, "GET", "/api/v1/hash/distance?a=abc&b=0")
    rec.call(h, "GET", f"{IMAGEKIT}/{SOME_UUID}")
    rec.call(h, "GET", f"{XIMILAR}/rank_images/{SOME_UUID}")


def _too_large(rec: Recorder, folder: Path) -> None:
    h = harness(folder, MAX_UPLOAD_BYTES=2000, MAX_BATCH_BYTES=3000)
    rec.call(h, "POST", "/api/v1/remove", "error_too_large", "over MAX_UPLOAD_BYTES",
             data=upload(PHOTO))  # fmt: skip
    rec.call(h, "POST", "/api/v1/batch", data=upload(PHOTO))
    rec.call(h, "POST", "/api/v1/visual_hash", json={"records": [{"_url": "x" * 4000}]})
    rec.call(h, "POST", f"{UPLOADCARE}/base/", data=upload(PHOTO))
    rec.call(h, "POST", f"{XIMILAR}/visual_hash", json={"records": [{"_url": "x" * 4000}]})


def _keys(rec: Recorder, folder: Path) -> None:
    h = harness(folder, inline=True, **KEYS)
    rec.call(h, "POST", "/api/v1/extract", "error_unauthorized", "no key", data=upload(PHOTO))
    rec.call(h, "GET", "/api/v1/limits", headers={"X-API-Key": "wrong"})
    rec.call(h, "POST", f"{EXIFTOOLS}/extract?key=wrong", data=upload(PHOTO))
    rec.call(h, "POST", f"{XIMILAR}/visual_hash", "compat_ximilar_unauthorized",
             json={"records": [{"_url": "http://a.test/"}]})  # fmt: skip
    rec.call(h, "GET", f"{IMAGEKIT}?url=http://a.test/", headers=basic("wrong"))
    rec.call(h, "POST", f"{UPLOADCARE}/base/", data={"UPLOADCARE_PUB_KEY": "nope", **upload(PHOTO)})
    rec.call(h, "GET", f"{UPLOADCARE}/files/{SOME_UUID}/",
             headers={"Authorization": "Uploadcare.Simple pub:wrong"})  # fmt: skip
    rec.call(h, "POST", CLOUDINARY, data=upload(PHOTO))
    signed = {"timestamp": str(int(START)), "phash": "1"}
    signed["signature"] = sign(signed, "k")
    rec.call(h, "POST", CLOUDINARY, data={"api_key": "ckey", **signed, **upload(PHOTO)})
    rec.call(h, "POST", CLOUDINARY, data={"api_key": "ckey", **signed, "signature": "0" * 40,
                                          **upload(PHOTO)})  # fmt: skip


def _rate_limited(rec: Recorder, folder: Path) -> None:
    h = harness(folder, RATE_LIMIT="2/minute", inline=True)
    for _ in range(3):
        rec.call(h, "GET", "/api/v1/limits")
    rec.exchanges[-1].example = "error_rate_limited"
    rec.exchanges[-1].summary = "the third request of a 2/minute limit"
    rec.call(h, "POST", "/api/v1/batch", data=upload(PHOTO))
    rec.call(h, "POST", f"{XIMILAR}/ping")
    rec.call(h, "GET", f"{UPLOADCARE}/files/{SOME_UUID}/")
    rec.call(h, "POST", f"{UPLOADCARE}/base/", data=upload(PHOTO))
    rec.call(h, "POST", f"{EXIFTOOLS}/extract", data=upload(PHOTO))
    wide = harness(folder / "wide", RATE_LIMIT="5/minute")
    rec.call(
        wide, "POST", "/api/v1/batch", data={"file": [upload(PHOTO)["file"] for _ in range(6)]}
    )


def _redis_down(rec: Recorder, folder: Path) -> None:
    h = harness(folder)
    h.redis_server.connected = False
    rec.call(h, "POST", "/api/v1/extract", "error_unavailable", "Redis is away",
             data=upload(PHOTO))  # fmt: skip
    rec.call(h, "GET", f"/api/v1/extract/{SOME_UUID}")
    rec.call(h, "GET", "/healthz")
    rec.call(h, "GET", "/readyz")
    rec.call(h, "POST", f"{EXIFTOOLS}/extract", data=upload(PHOTO))
    rec.call(h, "POST", f"{XIMILAR}/visual_hash", json={"records": [{"_base64": "AA=="}]})
    rec.call(h, "GET", f"{IMAGEKIT}?url=http://a.test/", headers=basic("k"))
    rec.call(h, "POST", f"{UPLOADCARE}/base/", data=upload(PHOTO))
    rec.call(h, "GET", f"{UPLOADCARE}/files/{SOME_UUID}/")
    rec.call(h, "POST", CLOUDINARY, data=upload(PHOTO))


def run(rec: Recorder, folder: Path) -> None:
    _bad_requests(rec, folder / "bad")
    _too_large(rec, folder / "large")
    _keys(rec, folder / "keys")
    _rate_limited(rec, folder / "rate")
    _redis_down(rec, folder / "down")
