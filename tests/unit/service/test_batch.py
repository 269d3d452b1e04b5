"""Batches and similarity jobs through the API and the pipeline, in-process (``harness``).

The integration tests (``test_batch_service.py``) run the same through real
processes; here each step is driven by hand so every count can be checked.
"""

from __future__ import annotations

import base64
import io
import json

import pytest
import redis
from PIL import Image

from api import create_app
from common.batches import CHUNK_JOBS, BatchStore
from common.clock import ManualClock
from common.fetch import Fetched
from common.jobs import JobStore
from common.settings import load_settings
from common.storage.local import LocalStorage
from common.tasks import ANSWER_TASK, CHUNK_TASK
from tests.conftest import corpus_files
from tests.support.harness import make_harness
from tests.support.operations import run
from tests.support.stack import RedisServer
from worker import answering

JPEG = "exif-samples/jpg/Canon_40D.jpg"
PNG = "Pillow/Tests/images/exif.png"


def _data(file_id: str) -> bytes:
    return next(f for f in corpus_files() if f.id == file_id).data


def _run_all(h) -> None:
    """What the workers do: every task sent so far, once each."""
    while h.sent:
        h.process(h.sent.pop(0))
    while h.tasks:
        name, args = h.tasks.pop(0)
        assert name == ANSWER_TASK
        answering.answer(h.runtime(), *args)


def test_mixed_batch_counts_orders_and_results(h):
    jpeg, png = _data(JPEG), _data(PNG)
    data = {
        "file": [
            (io.BytesIO(jpeg), "holiday/canon.jpg"),
            (io.BytesIO(b"not an image"), "notes.jpg"),
            (io.BytesIO(png), "../exif.png"),
        ],
        "url": ["http://images.test/a.jpg", "not a url with spaces"],
        "operations": "extract,hash",
        "types": "phash,md5",
    }
    answer = h.client.post("/api/v1/batch", data=data)
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    # 5 inputs x 2 operations; the non-image and the malformed URL fail at once.
    assert (body["total"], body["completed"], body["failed"]) == (10, 0, 4)
    assert body["status"] == "processing" and len(h.sent) == 6
    h.fetched["http://images.test/a.jpg"] = Fetched(jpeg, "a.jpg", "image/jpeg", "")
    _run_all(h)

    status = h.client.get(f"{body['statusUrl']}?include=results").get_json()
    assert (status["total"], status["completed"], status["failed"]) == (10, 6, 4)
    assert status["status"] == "completed_with_errors"
    items = status["items"]
    assert [(i["index"], i["name"], i["op"]) for i in items] == [
        (0, "holiday/canon.jpg", "extract"),
        (1, "holiday/canon.jpg", "hash"),
        (2, "notes.jpg", "extract"),
        (3, "notes.jpg", "hash"),
        (4, "exif.png", "extract"),
        (5, "exif.png", "hash"),
        (6, "http://images.test/a.jpg", "extract"),
        (7, "http://images.test/a.jpg", "hash"),
        (8, "not a url with spaces", "extract"),
        (9, "not a url with spaces", "hash"),
    ]
    assert [i["error"]["code"] for i in items if i["status"] == "failed"] == [
        "unsupported_format",
        "unsupported_format",
        "bad_request",
        "bad_request",
    ]
    extracted = run("extract", jpeg, "canon.jpg").result
    assert items[0]["result"] == extracted
    hashed = run("hash", png, "exif.png", types="phash,md5").result
    assert items[5]["result"] == hashed
    # Each item is an ordinary job with its own status URL.
    single = h.client.get(items[5]["statusUrl"]).get_json()
    assert single["status"] == "completed" and single["hashes"] == hashed["hashes"]


def test_remove_items_link_their_downloads(h):
    answer = h.client.post(
        "/api/v1/batch", data={"file": [(io.BytesIO(_data(JPEG)), "a.jpg")], "operations": "remove"}
    )
    _run_all(h)
    (item,) = h.client.get(answer.get_json()["statusUrl"]).get_json()["items"]
    assert item["downloadUrl"] == f"/download-cleaned/{item['uuid']}"
    assert h.client.get(item["downloadUrl"]).status_code == 200


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"data": {}}, "send files"),
        ({"json": {"urls": []}}, "send files"),
        ({"json": {"urls": ["http://x.test/a.jpg"], "operations": "resize"}}, "operations"),
        ({"json": {"urls": ["http://x.test/a.jpg"], "keep": "icc"}}, "unknown parameter"),
        (
            {"json": {"urls": "http://x.test/a.jpg", "types": "nohash", "operations": "hash"}},
            "hash",
        ),
        ({"json": {"urls": 5}}, "urls must be"),
    ],
)
def test_bad_batches_are_400(h, kwargs, message):
    answer = h.client.post("/api/v1/batch", **kwargs)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


def test_too_many_inputs_is_400(tmp_path):
    h = make_harness(tmp_path, MAX_BATCH_ITEMS=3)
    urls = [f"http://x.test/{i}.jpg" for i in range(4)]
    answer = h.client.post("/api/v1/batch", json={"urls": urls})
    assert answer.status_code == 400 and "too many" in answer.get_json()["error"]
    assert h.sent == []


def test_a_batch_over_max_batch_bytes_is_413(tmp_path):
    h = make_harness(tmp_path, MAX_BATCH_BYTES=100_000)
    files = [(io.BytesIO(bytes(60_000)), f"{i}.png") for i in range(2)]
    answer = h.client.post("/api/v1/batch", data={"file": files})
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "request too large (limit 100000 bytes)"
    assert h.sent == []


def test_a_too_large_file_is_a_failed_item(tmp_path):
    h = make_harness(tmp_path, MAX_UPLOAD_BYTES=1000)
    answer = h.client.post("/api/v1/batch", data={"file": [(io.BytesIO(_data(JPEG)), "big.jpg")]})
    body = answer.get_json()
    assert answer.status_code == 202 and body["failed"] == 1 and body["status"] != "processing"
    (item,) = h.client.get(body["statusUrl"]).get_json()["items"]
    assert item["error"]["code"] == "too_large"


def test_counts_stay_exact_when_tasks_run_twice(h):
    body = h.client.post(
        "/api/v1/batch", data={"file": [(io.BytesIO(_data(JPEG)), "a.jpg")], "operations": "hash"}
    ).get_json()
    (job_id,) = h.sent
    h.process(job_id)
    h.process(job_id)  # a redelivery
    h.jobs.fail(job_id, {"code": "timeout", "message": "late"})  # a late failure
    status = h.client.get(body["statusUrl"]).get_json()
    assert (status["completed"], status["failed"], status["status"]) == (1, 0, "completed")


def test_pages_and_wait(h):
    urls = [f"http://x.test/{i}.jpg" for i in range(25)]
    body = h.client.post("/api/v1/batch", json={"urls": urls, "operations": ["hash"]}).get_json()
    page = h.client.get(f"{body['statusUrl']}?offset=20&limit=10").get_json()
    assert [i["index"] for i in page["items"]] == list(range(20, 25)) and "nextOffset" not in page
    first = h.client.get(f"{body['statusUrl']}?limit=10").get_json()
    assert first["nextOffset"] == 10 and len(first["items"]) == 10
    assert h.client.get(f"{body['statusUrl']}?limit=0").status_code == 400
    waited = h.client.get(f"{body['statusUrl']}?wait=0.2")
    assert waited.status_code == 200 and waited.get_json()["status"] == "processing"


def test_batches_are_private_to_their_key_and_expire(tmp_path):
    h = make_harness(tmp_path, API_KEYS="k1,k2")
    answer = h.client.post(
        "/api/v1/batch", json={"urls": ["http://x.test/a.jpg"]}, headers={"X-API-Key": "k1"}
    )
    url = answer.get_json()["statusUrl"]
    assert h.client.get(url, headers={"X-API-Key": "k1"}).status_code == 200
    assert h.client.get(url, headers={"X-API-Key": "k2"}).status_code == 404
    h.clock.advance(h.settings.RESULT_TTL_SECONDS + 1)
    assert h.client.get(url, headers={"X-API-Key": "k1"}).status_code == 404


@pytest.fixture()
def own_redis(tmp_path):
    """A redis-server of this test's own, so its command counts are this test's alone."""
    (tmp_path / "redis").mkdir()
    server = RedisServer(tmp_path / "redis")
    assert server.process is not None, "redis-server is not installed"
    yield redis.Redis.from_url(server.url, decode_responses=True)
    server.stop()


def test_a_poll_of_a_10000_url_batch_costs_three_redis_commands(own_redis, tmp_path):
    """10,000 URL items in one request; a poll reads the counters and one page, not 10,000 keys."""
    client, prefix = own_redis, "batch-test:"
    settings = load_settings(LOCAL_STORAGE_DIR=tmp_path / "store", REDIS_KEY_PREFIX=prefix)
    sent: list[str] = []
    tasks: list[tuple[str, list]] = []
    clock = ManualClock()
    jobs = JobStore(client, prefix=prefix, ttl=settings.RESULT_TTL_SECONDS, clock=clock)
    storage = LocalStorage(settings.LOCAL_STORAGE_DIR)
    app = create_app(
        settings,
        jobs_store=jobs,
        storage=storage,
        enqueue=sent.append,
        send_task=lambda name, args: tasks.append((name, args)),
        clock=clock,
    )
    urls = [f"http://images.test/{i}.jpg" for i in range(10_000)]
    answer = app.test_client().post("/api/v1/batch", json={"urls": urls, "operations": "hash"})
    assert answer.status_code == 202
    body = answer.get_json()
    assert body["total"] == 10_000 and sent == []
    # The API sends one task per chunk of jobs; the workers run each chunk's jobs.
    assert {name for name, _ in tasks} == {CHUNK_TASK} and len(tasks) == 10_000 // CHUNK_JOBS
    job_ids = [job_id for _, (chunk,) in tasks for job_id in chunk]
    items = app.test_client().get(f"{body['statusUrl']}?limit=1000").get_json()["items"]
    assert job_ids[:1000] == [item["uuid"] for item in items] and len(set(job_ids)) == 10_000
    for job_id in job_ids[:7]:
        jobs.start(job_id, "w")
        jobs.fail(job_id, {"code": "url_fetch_failed", "message": "x"})
    # The item states the job store wrote expire with the batch (no item had failed at first).
    states = f"{prefix}batch-status:{body['uuid']}"
    assert 0 < client.ttl(states) <= settings.RESULT_TTL_SECONDS

    client.config_resetstat()
    page = app.test_client().get(f"{body['statusUrl']}?offset=5&limit=100").get_json()
    stats = client.info("commandstats")
    calls = sum(v["calls"] for k, v in stats.items() if not k.startswith("cmdstat_config"))
    assert calls <= 3, stats
    assert (page["completed"], page["failed"], len(page["items"])) == (0, 7, 100)
    assert [i["status"] for i in page["items"][:3]] == ["failed", "failed", "queued"]


# --- similarity jobs ---------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _half_size_copy(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        small = image.convert("RGB").resize((image.width // 2, image.height // 2))
    out = io.BytesIO()
    small.save(out, "JPEG", quality=80)
    return out.getvalue()


def test_remove_duplicates_hashes_each_record_as_a_job_and_answers_once(h):
    jpeg, png = _data(JPEG), _data(PNG)
    records = [
        {"_id": "canon", "_base64": _b64(jpeg)},
        {"_id": "png", "_base64": _b64(png)},
        {"_id": "canon-small", "_base64": _b64(_half_size_copy(jpeg))},
        {"_id": "text", "_base64": _b64(b"hello")},
        {"_id": "nothing"},
    ]
    answer = h.client.post("/api/v1/remove_duplicates", json={"records": records, "range": 8})
    assert answer.status_code == 202
    body = answer.get_json()
    assert len(h.sent) == 3  # the two bad records fail without a job
    progress = h.client.get(body["statusUrl"]).get_json()
    assert (progress["status"], progress["total"], progress["failed"]) == ("processing", 5, 2)
    _run_all(h)

    done = h.client.get(body["statusUrl"]).get_json()
    assert done["uuid"] == body["uuid"]
    assert done["status"] == {"code": 300, "text": "MIXED_RESULT"}
    kept = {record["_id"]: record for record in done["records"]}
    assert set(kept) == {"canon", "png"}
    assert [r["_id"] for r in kept["canon"]["removed_records"]] == ["canon-small"]
    assert [r["_id"] for r in done["skipped_records"]] == ["text", "nothing"]
    # The stored request (without image bytes) is gone once answered.
    assert not any(h.storage.list_older_than("requests/", h.clock.now() + 1))


def test_an_answer_task_lost_with_its_worker_is_sent_again_by_a_poll(h):
    records = [{"_id": "a", "_base64": _b64(_data(PNG))}]
    body = h.client.post("/api/v1/visual_hash", json={"records": records}).get_json()
    h.process(h.sent.pop())
    assert [name for name, _ in h.tasks] == [ANSWER_TASK]
    h.tasks.clear()  # the worker died before running it
    assert h.client.get(body["statusUrl"]).status_code == 200
    assert h.tasks == []  # claimed a moment ago: not sent twice at once
    h.clock.advance(answering.CLAIM_SECONDS + 1)
    BatchStore(h.jobs).redis.delete(f"t:batch-answering:{body['uuid']}")  # the claim expired
    h.client.get(body["statusUrl"])
    assert [name for name, _ in h.tasks] == [ANSWER_TASK]
    _run_all(h)
    answered = h.client.get(body["statusUrl"]).get_json()
    assert answered["records"][0]["_status"] == {"code": 200, "text": "OK"}
    assert len(answered["records"][0]["_hash"]) == 64


def test_a_request_whose_records_all_fail_is_answered_at_once(h):
    body = h.client.post(
        "/api/v1/rank_images",
        json={
            "query_record": {"_url": "ftp://x.test/q.jpg"},
            "records": [{"_id": 1}],
        },
    ).get_json()
    assert h.sent == [] and [name for name, _ in h.tasks] == [ANSWER_TASK]
    _run_all(h)
    done = h.client.get(body["statusUrl"]).get_json()
    assert done["answer_records"] == [] and done["status"]["code"] == 300


@pytest.mark.parametrize(
    "path,payload",
    [
        ("/api/v1/visual_hash", {"records": "none"}),
        ("/api/v1/remove_duplicates", {"records": [{"_url": "http://x.test/a"}], "range": -1}),
        ("/api/v1/rank_images", {"records": [{"_url": "http://x.test/a"}]}),
        ("/api/v1/visual_hash", ["not", "an", "object"]),
    ],
)
def test_malformed_similarity_requests_are_400_and_make_no_job(h, path, payload):
    answer = h.client.post(path, json=payload)
    assert answer.status_code == 400 and answer.get_json()["success"] is False
    assert h.sent == [] and h.tasks == []


@pytest.mark.parametrize(
    "path,payload,answer",
    [
        ("/api/v1/visual_hash", {"records": []}, {"records": []}),
        (
            "/api/v1/remove_duplicates",
            {"records": []},
            {"records": [], "skipped_records": []},
        ),
    ],
)
def test_an_empty_records_list_is_answered_with_nothing(h, path, payload, answer):
    body = h.client.post(path, json=payload)
    assert body.status_code == 202, body.get_json()
    assert h.sent == [] and [name for name, _ in h.tasks] == [ANSWER_TASK]
    _run_all(h)
    done = h.client.get(body.get_json()["statusUrl"]).get_json()
    assert {key: done[key] for key in answer} == answer
    assert done["status"] == {"code": 200, "text": "OK"}


def test_stored_answers_are_json(h):
    body = h.client.post(
        "/api/v1/visual_hash?wait=0", json={"records": [{"_base64": _b64(_data(JPEG))}]}
    ).get_json()
    _run_all(h)
    stored = json.loads(h.storage.get(f"results/{body['uuid']}.json"))
    assert stored["records"][0]["_width"] > 0


def test_base64_inputs_in_a_batch(h):
    png = _data(PNG)
    inline = ["data:image/png;base64," + base64.b64encode(png).decode(), "@@not base64@@"]
    answer = h.client.post("/api/v1/batch", json={"base64": inline, "operations": "hash"})
    assert answer.status_code == 202, answer.get_json()
    _run_all(h)
    status = h.client.get(f"{answer.get_json()['statusUrl']}?include=results").get_json()
    first, second = status["items"]
    assert first["name"] == "base64-0.png"
    assert first["result"] == run("hash", png, "base64-0.png").result
    assert second["status"] == "failed" and second["error"]["code"] == "bad_request"
