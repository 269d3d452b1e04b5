"""The drop-in adapters' scenarios (``tests.support.openapi_scenarios``): each adapter's routes
answered (tasks run at once) and still running (202), with their own credentials."""

from __future__ import annotations

import base64

from common.fetch import Fetched
from tests.support.openapi_scenarios import (
    FACE,
    OTHER,
    PHOTO,
    REMOTE,
    Recorder,
    ScenarioHarness,
    data,
    upload,
)
from tests.support.openapi_scenarios_native import b64, smaller_copy

EXIFTOOLS = "/compat/exiftools/api/v1"
XIMILAR = "/compat/ximilar/image_matching/v2"
IMAGEKIT = "/compat/imagekit/v1/metadata"
UPLOADCARE = "/compat/uploadcare"
CLOUDINARY = "/compat/cloudinary/v1_1/demo/image/upload"


def basic(user: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:".encode()).decode()}


def _exiftools(rec: Recorder, h: ScenarioHarness) -> None:
    done = rec.call(
        h, "POST", f"{EXIFTOOLS}/extract", "compat_exiftools_extract", data=upload(PHOTO)
    ).get_json()
    rec.call(h, "GET", f"{EXIFTOOLS}/extract/{done['uuid']}")
    removed = rec.call(
        h, "POST", f"{EXIFTOOLS}/remove", "compat_exiftools_remove", json={"url": REMOTE}
    ).get_json()
    rec.call(h, "GET", f"{EXIFTOOLS}/remove/{removed['uuid']}")
    rec.call(h, "GET", f"{EXIFTOOLS}/extract/not-a-uuid", "compat_exiftools_not_found")
    rec.call(h, "POST", f"{EXIFTOOLS}/extract", data={"file": upload(PHOTO)["file"], "url": ""})


def _imagekit(rec: Recorder, h: ScenarioHarness) -> None:
    rec.call(h, "GET", f"{IMAGEKIT}?url={REMOTE}", "compat_imagekit_metadata")
    rec.call(h, "GET", IMAGEKIT, "compat_imagekit_error", "no url")


def _uploadcare(rec: Recorder, h: ScenarioHarness) -> None:
    uploaded = rec.call(
        h, "POST", f"{UPLOADCARE}/base/", "compat_uploadcare_upload", data=upload(PHOTO)
    ).get_json()
    rec.call(
        h,
        "GET",
        f"{UPLOADCARE}/files/{uploaded['file']}/?include=appdata",
        "compat_uploadcare_file_info",
        "with the virus scan (include=appdata)",
    )
    rec.call(h, "GET", f"{UPLOADCARE}/files/nothing/", "compat_uploadcare_not_found")
    rec.call(h, "POST", f"{UPLOADCARE}/base/", data={"UPLOADCARE_PUB_KEY": "p"})


def _cloudinary(rec: Recorder, h: ScenarioHarness) -> None:
    asked = {"image_metadata": "1", "phash": "1", "colors": "1", "faces": "1"}
    rec.call(
        h,
        "POST",
        CLOUDINARY,
        "compat_cloudinary_upload",
        "image_metadata, phash, colors and faces",
        data=upload(FACE, public_id="hopper", **asked),
    )
    rec.call(h, "POST", CLOUDINARY, json={"file": f"data:image/jpeg;base64,{b64(data(PHOTO))}"})
    rec.call(h, "POST", CLOUDINARY, "compat_cloudinary_error", "no file", data={"phash": "1"})


def _ximilar(rec: Recorder, h: ScenarioHarness) -> None:
    rec.call(h, "GET", f"{XIMILAR}/ping")
    rec.call(h, "POST", f"{XIMILAR}/ping", "compat_ximilar_ping")
    records = [
        {"_id": 1, "_base64": b64(data(PHOTO))},
        {"_id": 2, "_base64": b64(smaller_copy(PHOTO))},
        {"_id": 3, "_base64": b64(data(OTHER))},
    ]
    for kind, body in (
        ("visual_hash", {"records": records[:2]}),
        ("remove_duplicates", {"records": records, "range": 10, "hash_type": "phash"}),
        ("rank_images", {"query_record": records[0], "records": records[1:]}),
    ):
        answer = rec.call(h, "POST", f"{XIMILAR}/{kind}", f"compat_ximilar_{kind}", json=body)
        rec.call(h, "GET", f"{XIMILAR}/{kind}/{answer.get_json()['status']['request_id']}")
    rec.call(h, "POST", f"{XIMILAR}/visual_hash", "compat_ximilar_error", json={"records": []})


def finished(rec: Recorder, h: ScenarioHarness) -> None:
    h.fetched[REMOTE] = Fetched(data(PHOTO), "kodak.jpg", "image/jpeg", REMOTE)
    _exiftools(rec, h)
    _imagekit(rec, h)
    _uploadcare(rec, h)
    _cloudinary(rec, h)
    _ximilar(rec, h)


def queued(rec: Recorder, h: ScenarioHarness) -> None:
    """Nothing runs the jobs: every adapter answers 202 after COMPAT_WAIT_SECONDS."""
    h.fetched[REMOTE] = Fetched(data(PHOTO), "kodak.jpg", "image/jpeg", REMOTE)
    jobs = {}
    for op in ("extract", "remove"):
        jobs[op] = rec.call(h, "POST", f"{EXIFTOOLS}/{op}", data=upload(PHOTO)).get_json()["uuid"]
        rec.call(h, "GET", f"{EXIFTOOLS}/{op}/{jobs[op]}")
    job = rec.call(h, "GET", f"{IMAGEKIT}?url={REMOTE}").get_json()
    rec.call(h, "GET", f"{IMAGEKIT}/{job['uuid']}")
    uploaded = rec.call(h, "POST", f"{UPLOADCARE}/base/", data=upload(PHOTO)).get_json()
    rec.call(h, "GET", f"{UPLOADCARE}/files/{uploaded['file']}/", "compat_uploadcare_pending")
    rec.call(h, "POST", CLOUDINARY, data=upload(PHOTO))
    batch = rec.call(
        h, "POST", f"{XIMILAR}/visual_hash", json={"records": [{"_url": REMOTE}]}
    ).get_json()
    h.run_queued()  # now they are done: the status routes answer
    for op, job_id in jobs.items():
        rec.call(h, "GET", f"{EXIFTOOLS}/{op}/{job_id}")
    rec.call(h, "GET", f"{IMAGEKIT}/{job['uuid']}")
    rec.call(h, "GET", f"{XIMILAR}/visual_hash/{batch['uuid']}")
