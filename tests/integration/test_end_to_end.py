"""Each operation through the real service: API under gunicorn → Redis → Celery worker → S3."""

from __future__ import annotations

import pytest
import requests

from common.errors import ExifqError
from tests.conftest import corpus_files
from tests.integration.conftest import upload
from tests.support.operations import run
from tests.support.stack import finished, peak_rss_mib, process_group

pytestmark = pytest.mark.integration

JOB_FIELDS = {"success", "status", "uuid", "expiresAt", "downloadUrl", "statusUrl"}


def _pick(*suffixes: str):
    wanted = set(suffixes)
    return [f for f in corpus_files() if f.id in wanted]


SAMPLES = (
    "exif-samples/jpg/Canon_40D.jpg",
    "exiftool/t/images/GPS.jpg",
    "Pillow/Tests/images/exif.png",
    "Pillow/Tests/images/flower2.webp",
)


def result_of(body: dict) -> dict:
    """The operation's part of a finished job's body."""
    return {name: value for name, value in body.items() if name not in JOB_FIELDS}


def submit(api_url: str, op: str, data: bytes, name: str, **params) -> dict:
    answer = requests.post(f"{api_url}/api/v1/{op}", files=upload(data, name), params=params)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["success"] is True and body["status"] == "queued"
    assert body["statusUrl"] == f"/api/v1/{op}/{body['uuid']}"
    return body


@pytest.mark.parametrize("sample", SAMPLES)
def test_extract_job_equals_the_operation(stack, sample):
    (file,) = _pick(sample)
    body = finished(stack.api_url, submit(stack.api_url, "extract", file.data, file.path.name))
    assert body["status"] == "completed", body
    expected = run("extract", file.data, file.path.name).result
    assert result_of(body) == expected
    assert body["expiresAt"].endswith("Z")


def test_remove_job_and_download_equal_the_strip_core(stack):
    (file,) = _pick("exif-samples/jpg/Canon_40D.jpg")
    body = finished(stack.api_url, submit(stack.api_url, "remove", file.data, "Canon 40D.jpg"))
    assert body["status"] == "completed", body
    expected = run("remove", file.data, "Canon 40D.jpg")
    assert result_of(body) == expected.result
    assert body["downloadUrl"] == f"/download-cleaned/{body['uuid']}"
    download = requests.get(f"{stack.api_url}{body['downloadUrl']}")
    assert download.status_code == 200
    assert download.content == expected.cleaned
    assert download.headers["Content-Type"] == "image/jpeg"
    disposition = download.headers["Content-Disposition"]
    assert disposition == "attachment; filename=\"Canon_40D.jpg\"; filename*=UTF-8''Canon%2040D.jpg"


@pytest.mark.parametrize(
    "sample,mime",
    [
        ("Pillow/Tests/images/exif.png", "image/png"),
        ("Pillow/Tests/images/flower2.webp", "image/webp"),
        ("Pillow/Tests/images/multiple_comments.gif", "image/gif"),
        ("exif-samples/tiff/Arbitro.tiff", "image/tiff"),
    ],
)
def test_remove_in_other_formats_downloads_what_the_core_makes(stack, sample, mime):
    (file,) = _pick(sample)
    body = finished(stack.api_url, submit(stack.api_url, "remove", file.data, file.path.name))
    assert body["status"] == "completed", body
    expected = run("remove", file.data, file.path.name)
    assert result_of(body) == expected.result
    download = requests.get(f"{stack.api_url}{body['downloadUrl']}")
    assert (download.content, download.headers["Content-Type"]) == (expected.cleaned, mime)


def test_hash_job_with_options_equals_the_operation(stack):
    (file,) = _pick("Pillow/Tests/images/exif.png")
    params = {"types": "phash,dhash,ahash,whash,bmh0,bmh1,md5,sha256"}
    body = finished(stack.api_url, submit(stack.api_url, "hash", file.data, "x.png", **params))
    assert body["status"] == "completed", body
    expected = run(
        "hash", file.data, "x.png", types="phash,dhash,ahash,whash,bmh0,bmh1,md5,sha256"
    ).result
    assert result_of(body) == expected


def test_wait_answers_the_finished_job(stack):
    (file,) = _pick("exiftool/t/images/GPS.jpg")
    answer = requests.post(
        f"{stack.api_url}/api/v1/extract", files=upload(file.data, "GPS.jpg"), params={"wait": 20}
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "completed"
    assert result_of(body) == run("extract", file.data, "GPS.jpg").result


def test_corrupt_image_fails_with_the_core_code_and_the_worker_keeps_serving(stack):
    (good,) = _pick("exif-samples/jpg/Canon_40D.jpg")
    truncated = good.data[:200]  # a JPEG header with no image data
    expected_error = _operation_error(lambda: run("extract", truncated, "t.jpg"))
    failed = finished(stack.api_url, submit(stack.api_url, "extract", truncated, "t.jpg"))
    assert failed == {
        "success": False,
        "uuid": failed["uuid"],
        "status": "failed",
        "error": expected_error,
    }
    after = finished(stack.api_url, submit(stack.api_url, "extract", good.data, "ok.jpg"))
    assert after["status"] == "completed"


def _operation_error(call) -> dict:
    try:
        call()
    except ExifqError as exc:
        return exc.to_dict()
    raise AssertionError("the operation accepted the input")


@pytest.mark.parametrize("how", ["json", "form", "query"])
def test_url_input_from_a_loopback_server(stack, image_server, how):
    (file,) = _pick("exif-samples/jpg/Canon_40D.jpg")
    url = f"{image_server}/{file.id}"
    request = {"json": {"json": {"url": url}}, "form": {"data": {"url": url}}}.get(
        how, {"params": {"url": url}}
    )
    answer = requests.post(f"{stack.api_url}/api/v1/extract", **request)
    assert answer.status_code == 202, answer.text
    body = finished(stack.api_url, answer.json())
    assert body["status"] == "completed", body
    expected = run("extract", file.data, "Canon_40D.jpg").result
    assert result_of(body) == expected


def test_uploads_stream_to_storage_without_being_held_in_memory(stack):
    api_processes = process_group(next(p for p in stack.processes if "api" in p.args).pid)
    requests.post(f"{stack.api_url}/api/v1/hash", files=upload(b"\x89PNG\r\n\x1a\n", "warm.png"))
    before = peak_rss_mib(api_processes)
    big = b"\x89PNG\r\n\x1a\n" + bytes(40 * 1024 * 1024)  # 40 MiB, under the 50 MiB limit
    answer = requests.post(f"{stack.api_url}/api/v1/hash", files=upload(big, "big.png"))
    assert answer.status_code == 202
    grown = peak_rss_mib(api_processes) - before
    assert grown < 20, f"the API's peak memory grew by {grown:.0f} MiB for a 40 MiB upload"


def test_an_operation_added_by_a_module_is_served_by_the_api_and_run_by_a_worker(new_stack):
    """``OPERATION_MODULES`` names a module that registers one more operation: the API serves
    it, a real worker runs it, its file downloads and OpenAPI lists it."""
    service = new_stack(OPERATION_MODULES="tests.support.throwaway_operation")
    service.start_worker(concurrency=1)
    api_url = service.start_api()
    (file,) = _pick("exif-samples/jpg/Canon_40D.jpg")
    answer = requests.post(
        f"{api_url}/api/v1/tally?wait=30", files=upload(file.data, "a.jpg"), data={"byte": "0"}
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["count"] == file.data.count(b"\x00") and body["format"] == "jpg"
    assert requests.get(f"{api_url}{body['downloadUrl']}").content == file.data
    spec = requests.get(f"{api_url}/openapi.json").json()
    assert "/api/v1/tally" in spec["paths"]
