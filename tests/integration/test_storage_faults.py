"""Storage on the request path is bounded, and a full disk loses nothing: S3 frozen (SIGSTOP) or
refusing connections, Redis frozen, a local disk that fills up, with the real API and worker."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from common.jobs import COMPLETED, PROCESSING
from common.settings import Settings
from tests.integration.conftest import upload
from tests.integration.test_faults import job_records, small_images, submit_all
from tests.support.components import PrivateRedis, S3Process, SmallDisk
from tests.support.operations import run
from tests.support.stack import finished, wait_for

pytestmark = pytest.mark.integration

BOUND = 2.0  # the promise: a status or download answers within this while storage hangs
API_STORAGE_TIMEOUT = Settings().API_STORAGE_TIMEOUT


def timed(method: str, url: str, **kwargs) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = requests.request(method, url, timeout=30, **kwargs)
    return answer, time.monotonic() - started


@pytest.fixture(scope="module")
def frozen_stack(new_stack, tmp_path_factory):
    """A stack on its own S3 process and Redis, with a completed remove job; yields
    ``(stack, s3, redis, job)`` (each test leaves them running)."""
    workdir = tmp_path_factory.mktemp("frozen")
    s3 = S3Process(workdir)
    server = PrivateRedis(workdir / "redis", appendfsync=None)
    stack = new_stack(s3_url=s3.url, redis_url=server.url)
    stack.start_worker()
    stack.api_url = stack.start_api()
    (file,) = small_images(1)
    answer = requests.post(
        f"{stack.api_url}/api/v1/remove", files=upload(file.data, "a.jpg"), params={"wait": 20}
    )
    job = answer.json()
    assert job["status"] == COMPLETED, job
    job["statusUrl"] = f"/api/v1/remove/{job['uuid']}"
    yield stack, s3, server, job
    s3.stop()
    stack.stop()
    server.kill()


def test_a_frozen_s3_answers_503_within_the_bound_and_health_stays_instant(frozen_stack):
    stack, s3, _, job = frozen_stack
    status_url = f"{stack.api_url}{job['statusUrl']}"
    download_url = f"{stack.api_url}{job['downloadUrl']}"
    s3.freeze()
    try:
        # More requests at once than the API has threads for the requests of one process.
        with ThreadPoolExecutor(12) as pool:
            polls = [pool.submit(timed, "GET", status_url) for _ in range(8)]
            polls += [pool.submit(timed, "GET", download_url) for _ in range(4)]
            time.sleep(0.2)
            health, health_took = timed("GET", f"{stack.api_url}/healthz")
            answers = [poll.result() for poll in polls]
        # /healthz may queue for a thread behind the polls, never longer than they take.
        assert health.status_code == 200 and health_took < BOUND, health_took
        slowest = max(took for _, took in answers)
        print(f"S3 frozen: 12 polls and downloads at once, 503 within {slowest:.2f} s")
        print(f"S3 frozen: /healthz meanwhile in {health_took:.2f} s")
        for answer, took in answers:
            assert answer.status_code == 503, answer.text
            body = answer.json()
            assert body["success"] is False and "unavailable" in body["error"], body
            assert took < BOUND, took
        ready, took = timed("GET", f"{stack.api_url}/readyz")
        assert ready.status_code == 503 and took < BOUND, took
        assert ready.json()["checks"]["storage"].startswith("unavailable"), ready.json()
    finally:
        s3.thaw()
    wait_for(lambda: requests.get(status_url).status_code == 200, 10, "the status to answer")
    assert requests.get(download_url).status_code == 200


def test_s3_refusing_connections_is_503_at_once(frozen_stack):
    stack, s3, _, job = frozen_stack
    s3.refuse()
    try:
        answer, took = timed("GET", f"{stack.api_url}{job['statusUrl']}")
        assert answer.status_code == 503 and took < 1.0, took
        (file,) = small_images(1)
        submit, took = timed("POST", f"{stack.api_url}/api/v1/extract", files=upload(file.data))
        assert submit.status_code == 503 and took < 1.0, took
    finally:
        s3.accept()
    # Back within the breaker's cooldown (2 s): it then tries storage again.
    url = f"{stack.api_url}{job['statusUrl']}"
    wait_for(lambda: requests.get(url).status_code == 200, 5, "the status to answer")


def test_healthz_touches_nothing_and_readyz_is_bounded_when_everything_hangs(frozen_stack):
    stack, s3, server, _ = frozen_stack
    s3.freeze()
    os.killpg(server.process.pid, signal.SIGSTOP)
    try:
        health, took = timed("GET", f"{stack.api_url}/healthz")
        assert health.status_code == 200 and took < 0.5, took
        ready, took = timed("GET", f"{stack.api_url}/readyz")
        assert ready.status_code == 503 and took < BOUND, took
        checks = ready.json()["checks"]
        assert checks["redis"] == "unavailable: no answer within 1 s"
        assert checks["storage"].startswith("unavailable")  # no answer, or the breaker open
    finally:
        os.killpg(server.process.pid, signal.SIGCONT)
        s3.thaw()
    wait_for(lambda: requests.get(f"{stack.api_url}/readyz").ok, 15, "ready again")


@pytest.fixture()
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path / "store", size_mib=8)
    yield disk
    disk.remove()


def test_a_full_disk_refuses_uploads_with_503_and_workers_retry_until_it_has_room(
    new_stack, small_disk
):
    print(f"disk full: {small_disk.how}")
    stack = new_stack(
        STORAGE="local", LOCAL_STORAGE_DIR=str(small_disk.path), MAX_UPLOAD_BYTES=500_000
    )
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(4)
    os.killpg(worker.pid, signal.SIGSTOP)  # the uploads are in; the results will not fit
    bodies = submit_all(stack.api_url, files)
    small_disk.fill()
    os.killpg(worker.pid, signal.SIGCONT)
    try:
        refused = requests.post(f"{stack.api_url}/api/v1/extract", files=upload(files[0].data))
        assert refused.status_code == 503, refused.text
        ready = requests.get(f"{stack.api_url}/readyz")
        assert ready.status_code == 503, ready.text
        if small_disk.mounted:
            assert ready.json()["checks"]["storage"].startswith("unavailable: disk full")

        def all_retrying() -> bool:
            records = job_records(stack, bodies)
            return all(r["status"] == PROCESSING and r["deliveries"] == "0" for r in records)

        wait_for(all_retrying, 30, "every job to meet the full disk and retry", interval=0.05)
        # Nothing half-written is left: no temporary file beside the uploads.
        uploads = {p.name for p in (small_disk.path / "uploads").iterdir()}
        assert uploads == {body["uuid"] for body in bodies}, uploads
    finally:
        small_disk.free()
    for file, body in zip(files, bodies, strict=True):
        result = finished(stack.api_url, body, timeout=90)
        assert result["status"] == COMPLETED, result
        assert result["metadata"] == run("extract", file.data, file.path.name).result["metadata"]
    assert requests.get(f"{stack.api_url}/readyz").status_code == 200
