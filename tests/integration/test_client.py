"""The Python client (``exifq.Client``) against the real service: Redis, a worker, the API.

Each answer is compared with the operation run in-process (what the worker runs) or
with the hash core; the errors are the server's own (a bad key, 413, 415, a failed job,
an unknown UUID), the client's (a job not done in time) and the transport's (streaming a
large upload without holding it in memory).
"""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import textwrap
import uuid

import pytest
from PIL import Image

from common.settings import Settings
from exifq import (
    BadRequest,
    Client,
    JobFailed,
    NotFound,
    RateLimited,
    TimedOut,
    TooLarge,
    Unauthorized,
    UnsupportedMedia,
)
from exifq.sources import to_input
from exifq.streams import multipart_body
from tests.conftest import corpus_files
from tests.support.operations import run
from tests.support.stack import REPO
from worker.media.similarity import hamming_distance, similarity

pytestmark = pytest.mark.integration

FILES = {f.id: f for f in corpus_files()}
GPS = FILES["exiftool/t/images/GPS.jpg"]
CANON = FILES["exif-samples/jpg/Canon_40D.jpg"]
PNG = FILES["Pillow/Tests/images/exif.png"]
KEY = "client-test-key"


@pytest.fixture(scope="module")
def client(stack) -> Client:
    return Client(stack.api_url, timeout=120)


def test_extract_from_a_path_bytes_a_file_object_and_a_url(client, image_server, tmp_path):
    expected = run("extract", GPS.data, "GPS.jpg").result["metadata"]
    path = tmp_path / "GPS.jpg"
    path.write_bytes(GPS.data)
    answers = [
        client.extract(path),
        client.extract(str(path)),
        client.extract(GPS.data, name="GPS.jpg"),
        client.extract(path.open("rb")),
        client.extract(f"{image_server}/{GPS.id}"),
    ]
    for body in answers:
        assert body["status"] == "completed" and body["success"] is True
        assert body["metadata"] == expected
    assert [body["fileName"] for body in answers[:4]] == ["GPS.jpg"] * 4
    no_pixels = client.extract(GPS.data, name="GPS.jpg", pixels=False)["metadata"]
    assert no_pixels == run("extract", GPS.data, "GPS.jpg", pixels=False).result["metadata"]
    assert no_pixels != expected


def test_strip_downloads_the_cleaned_file_to_a_path_a_directory_or_a_file(client, tmp_path):
    cleaned = run("remove", CANON.data, "Canon_40D.jpg").cleaned
    report = client.strip(CANON.data, name="Canon_40D.jpg", out=tmp_path / "clean.jpg")
    assert (tmp_path / "clean.jpg").read_bytes() == cleaned
    assert report["output"] == str(tmp_path / "clean.jpg") and report["downloadUrl"]
    assert report["removed"] == run("remove", CANON.data, "Canon_40D.jpg").result["removed"]
    assert not list(tmp_path.glob(".*.part"))
    (tmp_path / "out").mkdir()
    client.strip(CANON.data, name="Canon_40D.jpg", out=tmp_path / "out")
    assert (tmp_path / "out" / "Canon_40D.jpg").read_bytes() == cleaned
    buffer = io.BytesIO()
    kept = client.strip(CANON.data, out=buffer, keep="copyright")
    assert buffer.getvalue() == run("remove", CANON.data, keep="copyright").cleaned
    assert "output" not in kept


def test_hash_and_distance_agree_with_the_hash_core(client):
    a = client.hash(GPS.data, types="phash,md5")["hashes"]
    b = client.hash(CANON.data, types="phash")["hashes"]
    assert a == run("hash", GPS.data, types="phash,md5").result["hashes"]
    assert set(b) == {"phash"}
    answer = client.distance(a["phash"], b["phash"])
    assert answer["distance"] == hamming_distance(a["phash"], b["phash"])
    assert answer["similarity"] == similarity(a["phash"], b["phash"])


def test_batch_gives_every_item_once_as_it_finishes(client, image_server):
    sources = [GPS.data, CANON.data, PNG.data, b"not an image", f"{image_server}/{GPS.id}"]
    run_ = client.batch(sources, "extract,hash", types="md5")
    assert len(run_.ids) == 1
    items = list(run_)
    assert len(items) == 10 and len({(i.index, i.op) for i in items}) == 10
    by_name = {}
    for item in items:
        by_name.setdefault(item.name, {})[item.op] = item
    failed = [i for i in items if not i.ok]
    assert {(i.op, i.error["code"]) for i in failed} == {
        ("extract", "unsupported_format"),
        ("hash", "unsupported_format"),
    }
    with pytest.raises(JobFailed) as caught:
        failed[0].raise_for_error()
    assert caught.value.code == "unsupported_format"
    url_item = by_name[f"{image_server}/{GPS.id}"]
    assert url_item["hash"].result["hashes"] == {"md5": hashlib.md5(GPS.data).hexdigest()}
    expected = run("extract", GPS.data, "GPS.jpg").result["metadata"]
    assert url_item["extract"].result["metadata"] == expected
    done = [i for i in items if i.ok and i.op == "hash"]
    assert sorted(i.result["hashes"]["md5"] for i in done) == sorted(
        hashlib.md5(data).hexdigest() for data in (GPS.data, CANON.data, PNG.data, GPS.data)
    )
    again = list(client.batch_results(run_.ids))
    assert sorted((i.index, i.op, i.status) for i in again) == sorted(
        (i.index, i.op, i.status) for i in items
    )


def test_a_batch_over_the_server_limits_goes_as_several(new_stack, tmp_path):
    service = new_stack(MAX_BATCH_ITEMS=2)
    service.api_url = service.start_api()
    service.start_worker(concurrency=1)
    paths = []
    for i, data in enumerate((GPS.data, CANON.data, PNG.data, GPS.data, CANON.data)):
        paths.append(tmp_path / f"{i}.img")
        paths[-1].write_bytes(data)
    run_ = Client(service.api_url, timeout=120).batch(paths, "hash", types="sha256")
    assert len(run_.ids) == 3
    got = {(item.batch, item.index): item.result["hashes"]["sha256"] for item in run_}
    expected = [hashlib.sha256(p.read_bytes()).hexdigest() for p in paths]
    ordered = sorted(got, key=lambda key: (run_.ids.index(key[0]), key[1]))
    assert [got[key] for key in ordered] == expected


def copies() -> list[tuple[str, bytes]]:
    """Two photos and a half-size, quality-70 copy of the first."""
    image = Image.open(io.BytesIO(CANON.data))
    small = io.BytesIO()
    image.resize((image.width // 2, image.height // 2)).save(small, "JPEG", quality=70)
    return [("canon", CANON.data), ("gps", GPS.data), ("canon-small", small.getvalue())]


def test_visual_hash_remove_duplicates_and_rank_images(client, tmp_path):
    images = []
    for name, data in copies():
        (tmp_path / f"{name}.jpg").write_bytes(data)
        images.append(tmp_path / f"{name}.jpg")
    hashed = client.visual_hash(images)
    bits = {r["_id"]: r["_hash"] for r in hashed["records"]}
    phash = run("hash", CANON.data, types="phash").result["hashes"]["phash"]
    assert bits["canon.jpg"] == bin(int(phash, 16))[2:].zfill(64)
    deduped = client.remove_duplicates(images, range=8)
    assert deduped["status"] == {"code": 200, "text": "OK"}
    kept = {r["_id"]: [x["_id"] for x in r.get("removed_records", [])] for r in deduped["records"]}
    assert kept == {"canon.jpg": ["canon-small.jpg"], "gps.jpg": []}
    ranked = client.rank_images(images[2], [*images[:2], {"_id": "mine", "_base64": ""}], k=2)
    assert [r["_id"] for r in ranked["answer_records"]] == ["canon.jpg", "gps.jpg"]
    assert ranked["query_record"]["_id"] == "canon-small.jpg"
    assert [r["_id"] for r in ranked["skipped_records"]] == ["mine"]


@pytest.fixture(scope="module")
def guarded(new_stack):
    """A service with an API key and a 100 kB upload limit."""
    service = new_stack(API_KEYS=KEY, MAX_UPLOAD_BYTES=100_000)
    service.api_url = service.start_api()
    service.start_worker(concurrency=1)
    return service


def test_a_missing_or_wrong_key_is_unauthorized(guarded):
    with pytest.raises(Unauthorized) as missing:
        Client(guarded.api_url).hash(GPS.data)
    assert (missing.value.code, missing.value.message) == ("unauthorized", "API key required")
    with pytest.raises(Unauthorized, match="unauthorized: Invalid API key"):
        Client(guarded.api_url, "wrong").batch([GPS.data])


def test_413_415_and_a_job_that_fails_carry_the_api_s_codes(guarded):
    client = Client(guarded.api_url, KEY, timeout=60)
    with pytest.raises(TooLarge) as large:  # the client knows the limit: nothing is sent
        client.hash(CANON.data[:4] + bytes(300_000), name="big.jpg")
    assert large.value.status is None
    assert large.value.message.startswith("big.jpg: 300,004 bytes, more than the server takes")
    with pytest.raises(TooLarge) as refused:  # the server's own 413, just over the limit

        def over() -> tuple[object, str]:
            body = multipart_body([to_input(CANON.data[:4] + bytes(100_500))], {})
            return body, body.content_type

        client.transport.json("POST", "/api/v1/hash", body=over)
    assert refused.value.status == 413 and refused.value.code == "too_large"
    assert refused.value.message == "file too large (limit 100000 bytes)"
    with pytest.raises(UnsupportedMedia) as unsupported:
        client.extract(b"<html>not an image</html>")
    assert unsupported.value.code == "unsupported_format" and unsupported.value.status == 415
    with pytest.raises(JobFailed) as failed:
        client.hash(CANON.data[:2000])
    assert failed.value.code == "corrupt_image" and "Truncated" in failed.value.message
    assert failed.value.body["status"] == "failed" and failed.value.uuid
    with pytest.raises(NotFound, match="Job not found or expired"):
        client.result(f"/api/v1/hash/{uuid.uuid4()}")
    with pytest.raises(BadRequest, match="range"):
        client.remove_duplicates([GPS.data], range=-1)


def test_a_job_not_done_in_time_is_timed_out_and_can_be_waited_for_again(new_stack):
    service = new_stack()
    service.api_url = service.start_api()  # no worker: jobs stay queued
    client = Client(service.api_url)
    with pytest.raises(TimedOut, match="did not finish"):
        client.hash(GPS.data, timeout=2)
    job = client.submit("hash", GPS.data, types="md5")
    assert job["status"] == "queued"
    service.start_worker(concurrency=1)
    assert client.result(job, timeout=60)["hashes"] == {"md5": hashlib.md5(GPS.data).hexdigest()}


UPLOAD_SCRIPT = """
import json, sys
from pathlib import Path
from exifq import Client

def peak():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

client = Client(sys.argv[1])
client.limits()  # the session and the modules it needs, loaded before the baseline
before = peak()
body = client.hash(Path(sys.argv[2]), types="md5")
print(json.dumps({"before": before, "after": peak(), "md5": body["hashes"]["md5"]}))
"""


def test_a_large_upload_is_streamed_not_held_in_memory(stack, tmp_path):
    image = tmp_path / "large.jpg"
    with image.open("wb") as out:
        out.write(GPS.data)
        out.write(bytes(40 * 1024 * 1024))  # after the JPEG's end: the image still decodes
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(UPLOAD_SCRIPT), stack.api_url, str(image)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["md5"] == hashlib.md5(image.read_bytes()).hexdigest()  # every byte went
    assert answer["after"] - answer["before"] < 8 * 1024 * 1024  # a 40 MiB file: not held


@pytest.mark.skipif("RATE_LIMIT" not in Settings.model_fields, reason="no rate limiting yet")
def test_429_from_a_rate_limited_server_is_waited_out(new_stack):
    service = new_stack(RATE_LIMIT="2/second")
    service.api_url = service.start_api()
    impatient = Client(service.api_url, retries=0)
    with pytest.raises(RateLimited) as limited:
        for _ in range(10):
            impatient.distance("ff", "fe")
    assert limited.value.status == 429 and limited.value.retry_after >= 1
    patient = Client(service.api_url, retries=5)
    assert [patient.distance("ff", "fe")["distance"] for _ in range(6)] == [1] * 6
