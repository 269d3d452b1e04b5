"""Batches and similarity jobs through the real service: gunicorn API → Redis → two Celery
worker processes → moto's S3 server."""

from __future__ import annotations

import base64
import hashlib
import io
import json
from pathlib import Path

import jsonschema
import pytest
import redis
import requests
from PIL import Image

from common.batches import CHUNK_JOBS
from common.errors import ExifqError
from tests.conftest import corpus_files
from tests.support.operations import run
from tests.support.stack import Stack, wait_for
from worker.matching import DEFAULT_RANGE
from worker.media.hashes import to_bits
from worker.media.similarity import hamming_distance

pytestmark = pytest.mark.integration

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas" / "ximilar"


@pytest.fixture(scope="module")
def two_workers(new_stack) -> Stack:
    """A service with two worker processes (each with its pool), to show the fan-out."""
    service = new_stack()
    service.start_worker()
    service.start_worker()
    service.api_url = service.start_api()
    return service


def _follow(api_url: str, status_url: str, timeout: float = 180) -> dict:
    """Poll with ?wait until the batch (or similarity job) is finished."""

    def done():
        body = requests.get(f"{api_url}{status_url}", params={"wait": 10}, timeout=30).json()
        return body if body.get("status") != "processing" else None

    return wait_for(done, timeout, "the batch", interval=0)


def _expected(op: str, data: bytes, name: str) -> dict:
    """What a single job of ``op`` gives for ``data``: its result, or its error code."""
    params = {"types": "phash,md5"} if op == "hash" else {}
    try:
        return {"result": run(op, data, name, **params).result}
    except ExifqError as exc:
        return {"error": exc.code}


def _workers_of(stack: Stack, job_ids: list[str]) -> set[str]:
    client = redis.Redis.from_url(stack.redis_url, decode_responses=True)
    names = {client.hget(f"{stack.prefix}job:{job_id}", "worker") for job_id in job_ids}
    return {name.split("/")[1] for name in names if name}  # the pool process's pid


def test_mixed_batch_of_files_and_urls_ends_with_exact_counts(two_workers, image_server):
    files = [f for f in corpus_files() if f.path.suffix.lower() in {".jpg", ".png", ".webp"}][:40]
    url_files = files[:6]
    inputs = [("file", (f.id, f.data)) for f in files]
    inputs += [("file", ("notes/readme.jpg", b"just text")), ("file", ("empty.png", b""))]
    urls = [f"{image_server}/{f.id}" for f in url_files]
    urls += [f"{image_server}/missing.jpg", "http://127.0.0.1:9/refused.jpg"]
    data = {"operations": "hash", "types": "phash,md5", "url": urls}
    multipart = [("file", (name, io.BytesIO(body))) for _, (name, body) in inputs]
    answer = requests.post(f"{two_workers.api_url}/api/v1/batch", files=multipart, data=data)
    assert answer.status_code == 202, answer.text
    assert answer.json()["total"] == 50

    body = _follow(two_workers.api_url, answer.json()["statusUrl"])
    page = requests.get(
        f"{two_workers.api_url}{answer.json()['statusUrl']}", params={"include": "results"}
    ).json()
    expected = [_expected("hash", f.data, Path(f.id).name) for f in files]
    expected += [{"error": "unsupported_format"}] * 2
    expected += [_expected("hash", f.data, Path(f.id).name) for f in url_files]
    expected += [{"error": "url_fetch_failed"}] * 2
    failures = sum("error" in e for e in expected)
    assert (body["total"], body["completed"], body["failed"]) == (50, 50 - failures, failures)
    assert body["status"] == "completed_with_errors"
    for item, want in zip(page["items"], expected, strict=True):
        if "error" in want:
            assert item["status"] == "failed" and item["error"]["code"] == want["error"], item
        else:
            got = {k: v for k, v in item["result"].items() if k != "fileName"}
            assert got == {k: v for k, v in want["result"].items() if k != "fileName"}, item
    assert len(_workers_of(two_workers, [i["uuid"] for i in page["items"]])) >= 2


def test_extract_and_remove_items_equal_single_jobs(two_workers):
    chosen = [f for f in corpus_files() if f.id.endswith(("Canon_40D.jpg", "exif.png"))]
    multipart = [("file", (f"dir/{Path(f.id).name}", io.BytesIO(f.data))) for f in chosen]
    answer = requests.post(
        f"{two_workers.api_url}/api/v1/batch?wait=30",
        files=multipart,
        data={"operations": "extract,remove"},
    )
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == "completed", body
    page = requests.get(
        f"{two_workers.api_url}/api/v1/batch/{body['uuid']}", params={"include": "results"}
    ).json()
    pairs = [page["items"][i : i + 2] for i in range(0, len(page["items"]), 2)]
    for file, (extracted, removed) in zip(chosen, pairs, strict=True):
        name = Path(file.id).name
        assert extracted["name"] == f"dir/{name}" and extracted["op"] == "extract"
        assert extracted["result"] == _expected("extract", file.data, name)["result"]
        download = requests.get(f"{two_workers.api_url}{removed['downloadUrl']}")
        stripped = run("remove", file.data, name)
        assert download.content == stripped.cleaned


# --- similarity ---------------------------------------------------------------------------------


def _copies(data: bytes) -> list[bytes]:
    """A half-size copy, a JPEG re-compressed at quality 70, and a PNG re-encoding."""
    with Image.open(io.BytesIO(data)) as image:
        rgb = image.convert("RGB")
    outputs = []
    for image, fmt, options in (
        (rgb.resize((rgb.width // 2, rgb.height // 2)), "JPEG", {"quality": 90}),
        (rgb, "JPEG", {"quality": 70}),
        (rgb, "PNG", {}),
    ):
        out = io.BytesIO()
        image.save(out, fmt, **options)
        outputs.append(out.getvalue())
    return outputs


def _phash_bits(data: bytes) -> str:
    return to_bits(run("hash", data, "x", types="phash").result["hashes"]["phash"])


@pytest.fixture(scope="module")
def photos() -> list[tuple[str, bytes]]:
    """Five corpus photos pairwise far apart (more than twice the default range)."""
    chosen: list[tuple[str, bytes, str]] = []
    for file in corpus_files():
        if not file.id.startswith("exif-samples/jpg/") or len(chosen) == 5:
            continue
        try:
            bits = _phash_bits(file.data)
        except ExifqError:
            continue
        if all(hamming_distance(bits, other) > 2 * DEFAULT_RANGE["phash"] for *_, other in chosen):
            chosen.append((file.id, file.data, bits))
    assert len(chosen) == 5
    return [(file_id, data) for file_id, data, _ in chosen]


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / f"{name}.response.json").read_text())


def test_remove_duplicates_puts_each_copy_in_its_originals_cluster(
    two_workers, image_server, photos
):
    records = []
    for file_id, data in photos:
        records.append({"_id": file_id, "_url": f"{image_server}/{file_id}"})
        for n, copy in enumerate(_copies(data)):
            records.append(
                {"_id": f"{file_id}#copy{n}", "_base64": base64.b64encode(copy).decode()}
            )
    records.append({"_id": "broken", "_url": f"{image_server}/missing.jpg"})
    answer = requests.post(
        f"{two_workers.api_url}/api/v1/remove_duplicates", json={"records": records}
    )
    assert answer.status_code in (200, 202), answer.text
    body = _follow(two_workers.api_url, f"/api/v1/remove_duplicates/{answer.json()['uuid']}")
    jsonschema.validate(body, _schema("remove_duplicates"))
    assert body["status"] == {"code": 300, "text": "MIXED_RESULT"}
    assert [r["_id"] for r in body["skipped_records"]] == ["broken"]
    clusters = {
        r["_id"]: sorted(d["_id"] for d in r.get("removed_records", [])) for r in body["records"]
    }
    assert clusters == {file_id: [f"{file_id}#copy{n}" for n in range(3)] for file_id, _ in photos}


def test_rank_images_puts_the_query_copies_first_with_the_hash_cores_distances(two_workers, photos):
    query_id, query_data = photos[2]
    query = _copies(query_data)[0]
    records = []
    for file_id, data in photos:
        records.append({"_id": file_id, "_base64": base64.b64encode(data).decode()})
        records.append(
            {"_id": f"{file_id}#png", "_base64": base64.b64encode(_copies(data)[2]).decode()}
        )
    answer = requests.post(
        f"{two_workers.api_url}/api/v1/rank_images?wait=30",
        json={"query_record": {"_base64": base64.b64encode(query).decode()}, "records": records},
    )
    body = answer.json()
    assert answer.status_code == 200 and body["status"] == {"code": 200, "text": "OK"}, body
    jsonschema.validate(body, _schema("rank_images"))
    ranked = [r["_id"] for r in body["answer_records"]]
    assert set(ranked[:2]) == {query_id, f"{query_id}#png"}
    query_bits = _phash_bits(query)
    by_id = {r["_id"]: r for r in records}
    expected = [
        hamming_distance(query_bits, _phash_bits(base64.b64decode(by_id[i]["_base64"])))
        for i in ranked
    ]
    assert body["answer_distances"] == expected == sorted(expected)


def test_visual_hash_answers_each_records_hash(two_workers, photos):
    records = [{"_id": i, "_base64": base64.b64encode(d).decode()} for i, d in photos[:2]]
    records.append({"_id": "text", "_base64": base64.b64encode(b"hello").decode()})
    answer = requests.post(
        f"{two_workers.api_url}/api/v1/visual_hash?wait=30",
        json={"records": records, "hash_type": "bmh1"},
    )
    body = answer.json()
    assert answer.status_code == 200, body
    jsonschema.validate(body, _schema("visual_hash"))
    first = run("hash", photos[0][1], "x", types="bmh1").result
    assert body["records"][0]["_hash"] == first["hashes"]["bmh1"]
    assert (body["records"][0]["_width"], body["records"][0]["_height"]) == (
        first["width"],
        first["height"],
    )
    assert body["records"][2]["_status"]["code"] == 415


def test_a_batch_larger_than_a_chunk_runs_in_chunks_on_the_workers(two_workers, image_server):
    small = next(f for f in corpus_files() if f.id == "Pillow/Tests/images/exif.png")
    urls = [f"{image_server}/{small.id}?copy={i}" for i in range(2 * CHUNK_JOBS + 1)]
    answer = requests.post(
        f"{two_workers.api_url}/api/v1/batch",
        json={"urls": urls, "operations": "hash", "types": "md5"},
    )
    assert answer.status_code == 202, answer.text
    body = _follow(two_workers.api_url, answer.json()["statusUrl"])
    assert (body["status"], body["completed"], body["total"]) == ("completed", 201, 201)
    page = requests.get(
        f"{two_workers.api_url}{answer.json()['statusUrl']}",
        params={"include": "results", "offset": 200},
    ).json()
    assert page["items"][0]["result"]["hashes"] == {"md5": hashlib.md5(small.data).hexdigest()}
