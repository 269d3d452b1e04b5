"""The native API's scenarios (``tests.support.openapi_scenarios``): jobs of every operation,
batches, similarity jobs, the service's routes; finished (tasks run at once) and queued."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from common.fetch import Fetched
from common.operations.hashes import HASH_TYPES
from tests.support.clamd import EICAR
from tests.support.openapi_scenarios import (
    FACE,
    OTHER,
    PHOTO,
    PNG,
    REMOTE,
    Recorder,
    ScenarioHarness,
    data,
    upload,
)


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def smaller_copy(relative: str) -> bytes:
    """A half-size JPEG copy of a corpus photo (a near duplicate of it)."""
    image = Image.open(io.BytesIO(data(relative)))
    out = io.BytesIO()
    image.resize((image.width // 2, image.height // 2)).save(out, "JPEG", quality=85)
    return out.getvalue()


def _jobs(rec: Recorder, h: ScenarioHarness) -> None:
    fields = {"faces": "true", "histogram": "true", "scan": "true"}
    done = rec.call(
        h,
        "POST",
        "/api/v1/extract?wait=10",
        "extract_completed",
        "extract with faces, histogram and a virus scan, answered within wait",
        data=upload(PHOTO, **fields),
    )
    rec.call(h, "GET", f"/api/v1/extract/{done.get_json()['uuid']}")
    rec.call(
        h,
        "POST",
        "/api/v1/extract?wait=10",
        "extract_faces",
        "a WebP by base64 in JSON, faces=true, printed values",
        json={"base64": b64(data(FACE)), "faces": True, "values": "printed"},
    )
    h.fetched["http://images.test/gone.jpg"] = _fetch_failure()
    rec.call(
        h,
        "POST",
        "/api/v1/extract?wait=10",
        "job_failed",
        "a job that failed (its URL could not be fetched)",
        json={"url": "http://images.test/gone.jpg"},
    )
    removed = rec.call(
        h,
        "POST",
        "/api/v1/remove?wait=10",
        "remove_completed",
        "remove, answered within wait: what was removed, the download URL",
        data=upload(PHOTO),
    ).get_json()
    rec.call(h, "GET", f"/api/v1/remove/{removed['uuid']}")
    rec.call(h, "GET", removed["downloadUrl"])
    hashed = rec.call(
        h,
        "POST",
        "/api/v1/hash?wait=10",
        "hash_completed",
        "every hash type",
        data=upload(PHOTO, types=",".join(HASH_TYPES)),
    ).get_json()
    rec.call(h, "GET", f"/api/v1/hash/{hashed['uuid']}")
    infected = {"file": (io.BytesIO(data(PHOTO) + EICAR), "attachment.jpg")}
    scanned = rec.call(
        h,
        "POST",
        "/api/v1/scan?wait=10",
        "scan_infected",
        "a photo carrying the EICAR test file after its end",
        data=infected,
    ).get_json()
    rec.call(h, "GET", f"/api/v1/scan/{scanned['uuid']}")
    rec.call(h, "GET", "/api/v1/hash/distance?a=9266fa74a221adf2&b=9266fa74a221adf3", "distance")


def _batch(rec: Recorder, h: ScenarioHarness) -> None:
    files = [
        (io.BytesIO(data(PHOTO)), "holiday/kodak.jpg"),
        (io.BytesIO(data(PNG)), "exif.png"),
        (io.BytesIO(b"not an image"), "notes.txt"),
    ]
    answer = rec.call(
        h,
        "POST",
        "/api/v1/batch?wait=10",
        "batch_completed",
        "three files (one no image) × extract and hash, answered within wait",
        data={"file": files, "operations": "extract,hash", "types": "phash,md5"},
    ).get_json()
    rec.call(
        h,
        "GET",
        f"/api/v1/batch/{answer['uuid']}?include=results&offset=2&limit=2",
        "batch_results",
        "a page of items with their results (include=results)",
    )


def _similarity(rec: Recorder, h: ScenarioHarness) -> None:
    photo, copy, other = b64(data(PHOTO)), b64(smaller_copy(PHOTO)), b64(data(OTHER))
    records = [
        {"_id": "kodak", "_base64": photo},
        {"_id": "kodak-half", "_base64": copy},
        {"_id": "iphone", "_base64": other},
        {"_id": "broken", "_base64": "bm90IGFuIGltYWdl"},
    ]
    for kind, body in (
        ("visual_hash", {"records": records[:2] + records[3:]}),
        ("remove_duplicates", {"records": records}),
        ("rank_images", {"query_record": records[0], "records": records[1:], "k": 2}),
    ):
        answer = rec.call(
            h, "POST", f"/api/v1/{kind}?wait=10", f"{kind}_answer", f"{kind} answered", json=body
        ).get_json()
        rec.call(h, "GET", f"/api/v1/{kind}/{answer['uuid']}")


def phone_video(folder: Path) -> bytes:
    """A one-second phone-style MOV (Apple keys, GPS, rotation: ``tests.support.videos``).
    Its bytes depend on the installed ffmpeg: its answers are checked, never stored."""
    from tests.support import videos

    videos.require_tools()
    path = folder / "phone.mov"
    h264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"]
    videos._encode(path, *h264, "-shortest")
    videos._run("exiftool", "-q", "-m", "-overwrite_original", *videos.APPLE_KEYS, path)
    return path.read_bytes()


def video(rec: Recorder, h: ScenarioHarness) -> None:
    """A video extracted and stripped, and the cleaned video downloaded."""
    clip = phone_video(h.settings.LOCAL_STORAGE_DIR.parent)
    for op in ("extract", "remove"):
        file = {"file": (io.BytesIO(clip), "phone.mov")}
        done = rec.call(h, "POST", f"/api/v1/{op}?wait=30", data=file).get_json()
        assert done["status"] == "completed", done
    rec.call(h, "GET", done["downloadUrl"])


def _service(rec: Recorder, h: ScenarioHarness) -> None:
    rec.call(h, "GET", "/api/v1/limits", "limits", "the default limits")
    rec.call(h, "GET", "/healthz", "healthz")
    rec.call(h, "GET", "/readyz")  # 503 or 200 with no worker, as the branch decides
    rec.call(h, "GET", "/metrics")
    rec.call(h, "GET", "/openapi.json")
    rec.call(h, "GET", "/")
    rec.call(h, "GET", "/docs/")


def finished(rec: Recorder, h: ScenarioHarness) -> None:
    """Jobs answered within ``wait``: the harness runs every task at once."""
    h.fetched[REMOTE] = Fetched(data(PHOTO), "kodak.jpg", "image/jpeg", REMOTE)
    _jobs(rec, h)
    _batch(rec, h)
    _similarity(rec, h)
    _service(rec, h)


def queued(rec: Recorder, h: ScenarioHarness) -> None:
    """Submissions that nothing has run yet: 202s and pending bodies."""
    h.fetched[REMOTE] = Fetched(data(PHOTO), "kodak.jpg", "image/jpeg", REMOTE)
    job = rec.call(
        h, "POST", "/api/v1/extract", "job_queued", "queued: poll statusUrl", data=upload(PHOTO)
    ).get_json()
    rec.call(h, "GET", job["statusUrl"])
    rec.call(h, "GET", f"/download-cleaned/{job['uuid']}")  # not a remove job: 404
    rec.call(
        h,
        "POST",
        "/api/v1/batch",
        "batch_queued",
        "accepted: follow statusUrl",
        json={"urls": [REMOTE], "operations": ["extract", "hash"]},
    )
    answer = rec.call(
        h,
        "POST",
        "/api/v1/visual_hash",
        "similarity_progress",
        "accepted: progress while the records are hashed",
        json={"records": [{"_url": REMOTE}]},
    ).get_json()
    rec.call(h, "GET", f"/api/v1/visual_hash/{answer['uuid']}")
    h.run_queued()


def _fetch_failure() -> Exception:
    from common.errors import UrlFetchFailed

    return UrlFetchFailed("http://images.test/gone.jpg answered 404 Not Found")
