"""The API in-process (Flask test client, fakeredis, local storage): each answer's status, shape."""

from __future__ import annotations

import io
import re
import threading
import time

import pytest
import redis
from werkzeug.routing import Rule

from api.downloads import content_disposition
from api.openapi import build_spec
from common import heartbeat
from common.errors import TransientError
from common.jobs import COMPLETED, QUEUED, upload_key
from common.operations.extract import ExtractOptions
from common.options import to_json
from tests.conftest import corpus_files
from tests.support.harness import make_harness
from tests.support.operations import run

JPEG = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg").data
DAY = 86_400


def error_of(answer, status: int) -> str:
    """The error message of a ``{"success": false, "error": "...", "code": "..."}`` answer with
    ``status``."""
    assert answer.status_code == status, answer.get_data(as_text=True)
    body = answer.get_json()
    assert set(body) == {"success", "error", "code"} and body["success"] is False
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["code"], str) and body["code"]
    return body["error"]


def test_upload_is_stored_queued_and_sent_by_uuid_only(h):
    answer = h.post("extract", JPEG, "photo.jpg", query_string={"pixels": "false"})
    assert answer.status_code == 202
    body = answer.get_json()
    assert body == {
        "success": True,
        "uuid": body["uuid"],
        "status": "queued",
        "statusUrl": f"/api/v1/extract/{body['uuid']}",
    }
    assert h.sent == [body["uuid"]]
    assert h.storage.get(upload_key(body["uuid"])) == JPEG
    job = h.jobs.get(body["uuid"])
    assert (job.status, job.op, job.file_name) == (QUEUED, "extract", "photo.jpg")
    assert job.options == {**to_json(ExtractOptions()), "pixels": False}
    # The file's bytes never travel through Redis: no value there is bigger than a record field.
    client = h.jobs.redis
    keys = {key: client.type(key) for key in client.scan_iter()}
    assert set(keys.values()) == {"hash", "zset"}  # job records, the queued jobs' index
    values = [v for k, t in keys.items() if t == "hash" for v in client.hgetall(k).values()]
    values += [m for k, t in keys.items() if t == "zset" for m in client.zrange(k, 0, -1)]
    assert values and max(len(v) for v in values) < 200


@pytest.mark.parametrize(
    "data,name",
    [
        (b"just some text, not an image", "photo.jpg"),
        (b"", "empty.jpg"),
        (b"%PDF-1.7\n", "doc.png"),
    ],
)
def test_non_images_are_415(h, data, name):
    error_of(h.post("extract", data, name), 415)
    assert h.sent == []


def test_body_over_the_limit_is_413(tmp_path):
    h = make_harness(tmp_path, MAX_UPLOAD_BYTES=4096)
    big = JPEG[:4] + bytes(200_000)
    assert "too large" in error_of(h.post("extract", big), 413)


def test_file_just_over_the_exact_limit_is_413(tmp_path):
    h = make_harness(tmp_path, MAX_UPLOAD_BYTES=len(JPEG) - 1)
    assert "too large" in error_of(h.post("extract", JPEG), 413)
    assert (
        make_harness(tmp_path, MAX_UPLOAD_BYTES=len(JPEG)).post("extract", JPEG).status_code == 202
    )


@pytest.mark.parametrize(
    "request_kwargs,message",
    [
        ({}, "send a multipart 'file', a 'url' or 'base64'"),
        ({"query_string": {"keep": "gps"}}, "unknown keep: gps"),
        ({"query_string": {"colour": "1"}}, "unknown parameter: colour"),
        ({"query_string": {"wait": "31"}}, "wait must be between 0 and 30"),
        ({"query_string": {"wait": "soon"}}, "wait must be a number"),
        ({"json": ["not", "an", "object"]}, "must be an object"),
        ({"json": {"url": ""}}, "url must be a non-empty string"),
        ({"json": {"url": 42}}, "url must be a non-empty string"),
        ({"json": {"url": "http://a b/"}}, "spaces or control characters"),
        ({"data": "{broken", "content_type": "application/json"}, "must be an object"),
    ],
)
def test_bad_parameters_are_400(h, request_kwargs, message):
    assert message in error_of(h.client.post("/api/v1/remove", **request_kwargs), 400)
    assert h.sent == []


def test_file_and_url_together_are_400(h):
    data = {"file": (io.BytesIO(JPEG), "a.jpg"), "url": "http://example.com/a.jpg"}
    assert "not both" in error_of(h.client.post("/api/v1/extract", data=data), 400)


def test_url_jobs_from_json_form_or_query_store_the_url_and_no_upload(h):
    url = "https://example.com/p.jpg?sig=1"
    for kwargs in ({"json": {"url": url}}, {"data": {"url": url}}, {"query_string": {"url": url}}):
        body = h.client.post("/api/v1/hash", **kwargs).get_json()
        job = h.jobs.get(body["uuid"])
        assert (job.source, job.url) == ("url", url)
        assert not h.storage.exists(upload_key(body["uuid"]))


def test_api_keys_401_and_jobs_are_private_to_their_key(tmp_path):
    h = make_harness(tmp_path, API_KEYS="alpha-key, beta-key")
    assert error_of(h.post("extract", JPEG), 401) == "API key required"
    wrong = h.post("extract", JPEG, headers={"X-API-Key": "nope"})
    assert error_of(wrong, 401) == "Invalid API key"
    assert (
        error_of(h.post("extract", JPEG, query_string={"key": "alpha"}), 401) == "Invalid API key"
    )
    body = h.post("extract", JPEG, headers={"X-API-Key": "alpha-key"}).get_json()
    status_url = body["statusUrl"]
    assert h.client.get(status_url, headers={"X-API-Key": "alpha-key"}).status_code == 200
    assert h.client.get(status_url, query_string={"key": "alpha-key"}).status_code == 200
    assert error_of(h.client.get(status_url, headers={"X-API-Key": "beta-key"}), 404)
    assert h.client.get(status_url).status_code == 200  # a UUID alone finds it (DESIGN)
    assert h.jobs.get(body["uuid"]).owner not in ("", "alpha-key")


def test_unknown_wrong_op_and_malformed_uuids_are_404(h):
    body = h.post("extract", JPEG).get_json()
    assert error_of(h.client.get(f"/api/v1/hash/{body['uuid']}"), 404)
    assert error_of(h.client.get("/api/v1/extract/7d5bd3b3-8d1c-4a1c-9f3b-4a3f1c2e9b10"), 404)
    assert error_of(h.client.get("/api/v1/extract/not-a-uuid"), 404) == (
        "'not-a-uuid' is not a UUID (job and batch ids are UUIDs)"
    )
    assert error_of(h.client.get(f"/download-cleaned/{body['uuid']}"), 404)  # not a remove job


@pytest.mark.parametrize(
    ("path", "said"),
    [
        ("/api/v1/batch/1234", "'1234' is not a UUID (job and batch ids are UUIDs)"),
        ("/download-cleaned/x.jpg", "'x.jpg' is not a UUID (job and batch ids are UUIDs)"),
        ("/api/v1/remove_duplicates/abc/", "'abc' is not a UUID (job and batch ids are UUIDs)"),
        ("/api/v2/extract", "no such route: GET /api/v2/extract (the routes are listed at /docs/)"),
        ("/nothing/here", "no such route: GET /nothing/here (the routes are listed at /docs/)"),
        ("/web/missing.js", "not found: /web/missing.js"),
    ],
)
def test_every_404_is_ours(h, path, said):
    answer = h.client.get(path)
    assert error_of(answer, 404) == said
    assert answer.get_json()["code"] == "not_found"
    assert "requested URL" not in answer.get_data(as_text=True)  # Flask's own wording


def test_wrong_method_is_405(h):
    assert error_of(h.client.get("/api/v1/extract"), 405)


def _completed_remove(h, name: str = "photo.jpg") -> dict:
    body = h.post("remove", JPEG, name).get_json()
    assert h.process(body["uuid"]) == COMPLETED
    return h.client.get(body["statusUrl"]).get_json()


def test_completed_remove_job_and_its_download(h):
    body = _completed_remove(h)
    expected = run("remove", JPEG, "photo.jpg")
    assert body["status"] == "completed" and body["success"] is True
    assert body["downloadUrl"] == f"/download-cleaned/{body['uuid']}"
    assert body["expiresAt"].endswith("Z")
    assert {k: body[k] for k in expected.result} == expected.result
    download = h.client.get(body["downloadUrl"])
    assert download.status_code == 200
    assert download.data == expected.cleaned
    assert download.headers["Content-Type"] == "image/jpeg"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert not h.storage.exists(upload_key(body["uuid"]))  # the original is gone


@pytest.mark.parametrize(
    "name,expected",
    [
        ("photo.jpg", "attachment; filename=\"photo.jpg\"; filename*=UTF-8''photo.jpg"),
        (
            'evil"\r\nSet-Cookie: a=b.jpg',
            'attachment; filename="evil_Set-Cookie_a_b.jpg"; '
            "filename*=UTF-8''evil%22Set-Cookie%3A%20a%3Db.jpg",
        ),
        ("../../etc/passwd", "attachment; filename=\"passwd\"; filename*=UTF-8''passwd"),
        ("..", "attachment; filename=\"image\"; filename*=UTF-8''image"),
        ("日本.jpg", "attachment; filename=\"jpg\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.jpg"),
    ],
)
def test_content_disposition_cannot_inject(name, expected):
    assert content_disposition(name) == expected


def test_download_is_named_after_the_upload(h):
    body = _completed_remove(h, "Crémieux été.jpg")
    assert h.client.get(body["downloadUrl"]).headers["Content-Disposition"] == (
        'attachment; filename="Cremieux_ete.jpg"; '
        "filename*=UTF-8''Cr%C3%A9mieux%20%C3%A9t%C3%A9.jpg"
    )


def test_past_expires_at_status_and_download_are_404_even_if_objects_linger(h):
    body = _completed_remove(h)
    h.clock.advance(DAY - 1)
    assert h.client.get(body["downloadUrl"]).status_code == 200
    h.clock.advance(2)
    assert (
        error_of(h.client.get(f"/api/v1/remove/{body['uuid']}"), 404) == "Job not found or expired"
    )
    assert error_of(h.client.get(body["downloadUrl"]), 404)
    assert h.storage.exists(h.jobs.get(body["uuid"]).cleaned_key)  # it lingers; still refused


def test_failed_job_body(h):
    body = h.post("extract", JPEG[:300], "cut.jpg").get_json()
    h.process(body["uuid"])
    failed = h.client.get(body["statusUrl"]).get_json()
    assert failed["success"] is False and failed["status"] == "failed"
    assert set(failed["error"]) == {"code", "message"}
    assert failed["error"]["code"] in ("corrupt_image", "unsupported_format")


def test_wait_answers_200_once_the_job_finishes(h):
    def worker_later(job_id: str) -> None:
        threading.Timer(0.3, h.process, args=[job_id]).start()

    h.set_enqueue(worker_later)
    started = time.monotonic()
    answer = h.post("hash", JPEG, query_string={"wait": "10", "types": "md5"})
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "completed"
    assert time.monotonic() - started < 10


def test_wait_that_runs_out_answers_202(h):
    answer = h.post("hash", JPEG, query_string={"wait": "0.2"})
    assert answer.status_code == 202 and answer.get_json()["status"] == "queued"


def test_failed_enqueue_is_503_and_leaves_nothing(h):
    def broken(job_id: str) -> None:
        raise redis.ConnectionError("broker away")

    h.set_enqueue(broken)
    assert "temporarily unavailable" in error_of(h.post("extract", JPEG), 503)
    assert h.jobs.redis.keys("t:job:*") == []
    assert list(h.storage.list_older_than("uploads/", time.time() + 60)) == []


def test_storage_away_is_503(h, monkeypatch):
    def away(*args, **kwargs):
        raise TransientError("storage unreachable")

    monkeypatch.setattr(h.storage, "put", away)
    assert "temporarily unavailable" in error_of(h.post("extract", JPEG), 503)


def test_our_own_bug_is_a_json_500(h, monkeypatch):
    def bug(*args, **kwargs):
        raise RuntimeError("oops")

    monkeypatch.setattr(h.jobs, "get", bug)
    assert (
        error_of(h.client.get("/api/v1/extract/7d5bd3b3-8d1c-4a1c-9f3b-4a3f1c2e9b10"), 500)
        == "internal error"
    )


def test_health_and_readiness(h):
    assert h.client.get("/healthz").get_json() == {"success": True, "status": "ok"}
    # No live worker: ready (a job waits in the queue), unless the caller requires one.
    idle = h.client.get("/readyz")
    assert idle.status_code == 200
    checks = idle.get_json()["checks"]
    assert checks["workers"].startswith("none live")
    assert checks["redis"] == "ok" and checks["storage"].startswith("ok (")
    assert h.client.get("/readyz?require=workers").status_code == 503
    heartbeat.stamp(h.jobs.redis, h.settings.REDIS_KEY_PREFIX, "w1", h.clock.now())
    ready = h.client.get("/readyz?require=workers")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["workers"] == "ok (1 live)"
    h.clock.advance(heartbeat.LIVE_WITHIN + 1)
    assert h.client.get("/readyz?require=workers").status_code == 503


def test_metrics_count_requests_jobs_and_queue(h):
    h.post("extract", JPEG)
    h.jobs.redis.rpush(f"{h.settings.REDIS_KEY_PREFIX}exifq", "m1", "m2")
    text = h.client.get("/metrics").get_data(as_text=True)
    assert 'exifq_jobs_submitted_total{op="extract"} 1.0' in text
    assert (
        'exifq_http_requests_total{endpoint="jobs.submit",method="POST",status="202"} 1.0' in text
    )
    assert "exifq_queue_depth 2.0" in text


def _spec_paths(rule: Rule) -> list[str]:
    """The OpenAPI paths a Flask rule stands for (one per value of an ``any(...)`` segment)."""
    path = re.sub(r"<uuid:\w+>", "{uuid}", rule.rule)
    choice = re.search(r"<any\(([^)]*)\):\w+>", path)
    if choice is None:
        return [path]
    values = [value.strip() for value in choice.group(1).split(",")]
    return [path.replace(choice.group(0), value) for value in values]


def test_limits_are_the_settings_and_need_no_key(tmp_path):
    h = make_harness(tmp_path, API_KEYS="k1", MAX_BATCH_ITEMS=7, MAX_UPLOAD_BYTES=1000)
    body = h.client.get("/api/v1/limits").get_json()
    assert body == {
        "success": True,
        "maxUploadBytes": 1000,
        "maxVideoBytes": h.settings.MAX_VIDEO_BYTES,
        "maxImagePixels": h.settings.MAX_IMAGE_PIXELS,
        "maxBatchItems": 7,
        "maxBatchBytes": h.settings.MAX_BATCH_BYTES,
        "rateLimits": [],  # RATE_LIMIT is empty
    }


def test_openapi_describes_every_route_and_docs_render(h):
    spec = h.client.get("/openapi.json").get_json()
    assert spec == build_spec() and spec["openapi"].startswith("3.")
    documented = {(path, method.upper()) for path, item in spec["paths"].items() for method in item}
    for rule in h.app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("web."):
            continue  # the web page, Swagger UI and their files (docs/web.md): for browsers
        methods = rule.methods - {"HEAD", "OPTIONS"}
        for path in _spec_paths(rule):
            for method in methods:
                assert (path, method) in documented, (path, method)
    docs = h.client.get("/docs", follow_redirects=True)
    assert docs.status_code == 200 and b"/openapi.json" in docs.data


@pytest.mark.parametrize(
    "a,b,distance",
    [
        ("63433b3ccf8e1ebe", "f5d2226cd9d32b16", 27),
        ("63433b3ccf8e1ebe", "61433b3fcf8f9faf", 8),
        ("0110", "0110", 0),
    ],
)
def test_hash_distance(h, a, b, distance):
    answer = h.client.get("/api/v1/hash/distance", query_string={"a": a, "b": b})
    assert answer.status_code == 200
    bits = len(a) * 4 if len(a) == 16 else len(a)
    assert answer.get_json() == {
        "success": True,
        "a": a,
        "b": b,
        "distance": distance,
        "similarity": 1 - distance / bits,
    }


@pytest.mark.parametrize(
    "query",
    [{"a": "63433b3ccf8e1ebe"}, {"a": "abc", "b": "abcd"}, {"a": "zz", "b": "00"}, {}],
)
def test_hash_distance_bad_input_is_400(h, query):
    error_of(h.client.get("/api/v1/hash/distance", query_string=query), 400)


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "form"])
def test_base64_input_is_an_upload(h, as_json):
    import base64

    inline = "data:image/jpeg;base64," + base64.b64encode(JPEG).decode()
    send = {"json": {"base64": inline}} if as_json else {"data": {"base64": inline}}
    body = h.client.post("/api/v1/hash", **send).get_json()
    job = h.jobs.get(body["uuid"])
    assert (job.file_name, job.file_format) == ("base64.jpg", "jpg")
    assert h.storage.get(upload_key(body["uuid"])) == JPEG


@pytest.mark.parametrize(
    "body,status",
    [
        ({"base64": "@@"}, 400),
        ({"base64": "aGVsbG8gd29ybGQ="}, 415),
        ({"base64": "aGk=", "url": "http://x.test/a.jpg"}, 400),
    ],
)
def test_bad_base64_input(h, body, status):
    assert h.client.post("/api/v1/extract", json=body).status_code == status


def test_base64_over_the_upload_limit_is_413(tmp_path):
    from tests.support.harness import make_harness

    small = make_harness(tmp_path, MAX_UPLOAD_BYTES=1000)
    answer = small.client.post("/api/v1/extract", json={"base64": "A" * 1400})
    assert answer.status_code == 413


def test_extract_takes_values_printed_and_refuses_other_values(h):
    answer = h.post("extract", JPEG, "photo.jpg", query_string={"values": "printed"})
    assert answer.status_code == 202
    assert h.jobs.get(answer.get_json()["uuid"]).options["values"] == "printed"
    refused = h.post("extract", JPEG, "photo.jpg", query_string={"values": "pretty"})
    assert "values" in error_of(refused, 400)
    printed = run("extract", JPEG, "photo.jpg", values="printed").result["metadata"]["exif"]
    assert printed["exif"]["ExposureTime"] == "1/160"


@pytest.mark.parametrize(
    "headers,query,name",
    [
        ({"Content-Type": "image/jpeg"}, {"name": "cam/photo.jpg"}, "photo.jpg"),
        (
            {
                "Content-Type": "application/octet-stream",
                "Content-Disposition": "attachment; filename*=UTF-8''caf%C3%A9.jpg",
            },
            {},
            "café.jpg",
        ),
        ({"Content-Type": "image/png"}, {}, "upload"),  # the type is sniffed, not believed
    ],
)
def test_a_raw_body_is_an_upload_named_by_the_query_or_content_disposition(h, headers, query, name):
    answer = h.client.post(
        "/api/v1/extract",
        data=JPEG,
        headers=headers,
        query_string={"pixels": "false", **query},
    )
    assert answer.status_code == 202, answer.get_data(as_text=True)
    job = h.jobs.get(answer.get_json()["uuid"])
    assert (job.file_name, job.file_format, job.size) == (name, "jpg", len(JPEG))
    assert job.options["pixels"] is False
    assert h.storage.get(upload_key(job.uuid)) == JPEG
    assert h.sent == [job.uuid]


@pytest.mark.parametrize(
    "data,query,status",
    [
        (b"", {}, 400),
        (b"not an image at all", {}, 415),
        (JPEG, {"url": "http://example.com/a.jpg"}, 400),
        (JPEG, {"nonsense": "1"}, 400),
    ],
)
def test_bad_raw_bodies(h, data, query, status):
    answer = h.client.post(
        "/api/v1/hash", data=data, headers={"Content-Type": "image/jpeg"}, query_string=query
    )
    error_of(answer, status)
    assert h.sent == []


def test_a_raw_body_over_the_limit_is_413(tmp_path):
    small = make_harness(tmp_path, MAX_UPLOAD_BYTES=1000, MAX_VIDEO_BYTES=1000)
    answer = small.client.post("/api/v1/extract", data=JPEG, headers={"Content-Type": "image/jpeg"})
    assert answer.status_code == 413


def test_a_raw_body_waits_like_a_multipart_one(h):
    h.set_enqueue(h.process)  # the job runs as it is sent
    answer = h.client.post(
        "/api/v1/hash?wait=5&types=md5", data=JPEG, headers={"Content-Type": "image/jpeg"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["status"] == COMPLETED
