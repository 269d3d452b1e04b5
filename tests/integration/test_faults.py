"""Faults with real components: a SIGKILLed worker, storage away for a while, a poison job."""

from __future__ import annotations

import base64
import http.server
import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from common.jobs import COMPLETED, FAILED, PROCESSING
from tests.conftest import corpus_files
from tests.integration.conftest import upload
from tests.support.operations import run
from tests.support.stack import S3Server, finished, wait_for

pytestmark = pytest.mark.integration

# Short limits so a stranded message comes back in seconds (see worker/app.py).
FAST_REDELIVERY = {
    "BROKER_VISIBILITY_TIMEOUT": 10,
    "TASK_TIME_LIMIT": 8,
    "TASK_SOFT_TIME_LIMIT": 6,
}


def small_images(count: int) -> list:
    """``count`` corpus files under 40 kB that the extract core reads, cycling through them."""
    files = [f for f in corpus_files() if f.manifest["bytes"] < 40_000]
    readable = []
    for file in files:
        try:
            run("extract", file.data, file.path.name)
        except Exception:
            continue
        readable.append(file)
    return [readable[i % len(readable)] for i in range(count)]


def submit_all(api_url: str, files: list, op: str = "extract") -> list[dict]:
    def one(file) -> dict:
        answer = requests.post(f"{api_url}/api/v1/{op}", files=upload(file.data, file.path.name))
        assert answer.status_code == 202, answer.text
        return answer.json()

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, files))


def job_records(stack, bodies: list[dict]) -> list[dict]:
    client = stack.redis()
    pipe = client.pipeline(transaction=False)
    for body in bodies:
        pipe.hgetall(f"{stack.prefix}job:{body['uuid']}")
    return pipe.execute()


def stranded_jobs(stack) -> set[str]:
    """The jobs whose messages a worker took but never acknowledged (kombu's unacked hash)."""
    held = stack.redis().hvals(f"{stack.prefix}unacked")
    return {json.loads(base64.b64decode(json.loads(raw)[0]["body"]))[0][0] for raw in held}


def test_sigkilled_worker_loses_no_job_and_fails_none(new_stack):
    stack = new_stack(**FAST_REDELIVERY)
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(200)
    bodies = submit_all(stack.api_url, files)

    def some_done_and_some_running() -> bool:
        statuses = [record["status"] for record in job_records(stack, bodies)]
        return statuses.count(COMPLETED) >= 10 and PROCESSING in statuses

    wait_for(some_done_and_some_running, 60, "jobs in flight", interval=0.01)
    stack.kill(worker)  # the main process and its pool, with no chance to clean up
    killed_at = time.monotonic()
    stranded = stranded_jobs(stack)
    assert stranded, "the killed worker held no message"
    stack.start_worker()

    seen_failed = set()

    def all_completed() -> bool:
        records = job_records(stack, bodies)
        pairs = zip(bodies, records, strict=True)
        statuses = {body["uuid"]: record["status"] for body, record in pairs}
        seen_failed.update(job_id for job_id, status in statuses.items() if status == FAILED)
        return all(status == COMPLETED for status in statuses.values())

    wait_for(all_completed, 120, "all 200 jobs to complete", interval=0.2)
    print(f"{len(stranded)} stranded; all completed {time.monotonic() - killed_at:.1f} s after")
    assert not seen_failed
    # Every message comes back and is acknowledged, even those whose job had finished.
    wait_for(lambda: not stranded_jobs(stack), 60, "the stranded messages to be acknowledged")
    for file, body in zip(files, bodies, strict=True):
        result = finished(stack.api_url, body)
        expected = run("extract", file.data, file.path.name).result
        assert result["metadata"] == expected["metadata"]
    # No upload outlives its job.
    assert not list(_storage(stack).list_older_than("uploads/", time.time() + 60))


def _storage(stack):
    from common.settings import load_settings
    from common.storage import get_storage

    return get_storage(load_settings(**stack.settings()))


@pytest.fixture()
def own_s3():
    server = S3Server().start()
    yield server
    server.stop()


def test_storage_unreachable_for_a_few_seconds_jobs_retry_and_complete(new_stack, own_s3):
    stack = new_stack(s3_url=own_s3.url)
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(4)
    # Hold the worker still while the jobs are queued, then take storage away.
    os.killpg(worker.pid, signal.SIGSTOP)
    bodies = submit_all(stack.api_url, files)
    own_s3.stop()
    os.killpg(worker.pid, signal.SIGCONT)
    wait_for(
        lambda: (
            all(
                int(r.get("deliveries", 0)) == 0 and r["status"] == PROCESSING
                for r in job_records(stack, bodies)
            )
            or None
        ),
        30,
        "every job to hit the outage and schedule a retry",
        interval=0.05,
    )
    time.sleep(3)
    own_s3.start()
    for file, body in zip(files, bodies, strict=True):
        result = finished(stack.api_url, body, timeout=90)
        assert result["status"] == COMPLETED, result
        expected = run("extract", file.data, file.path.name).result
        assert result["metadata"] == expected["metadata"]


class _StallingHandler(http.server.BaseHTTPRequestHandler):
    """Answers nothing for a long time: a URL job fetching from it stays ``processing``."""

    requests_seen = 0

    def do_GET(self) -> None:
        type(self).requests_seen += 1
        time.sleep(20)

    def log_message(self, *args) -> None:
        pass


def test_a_job_that_keeps_killing_its_worker_fails_as_worker_lost(stack):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StallingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slow.jpg"
    try:
        answer = requests.post(f"{stack.api_url}/api/v1/extract", json={"url": url})
        body = answer.json()
        key = f"{stack.prefix}job:{body['uuid']}"
        client = stack.redis()
        for delivery in (1, 2, 3):
            # Wait until this delivery's pool process is inside the fetch.
            wait_for(lambda n=delivery: _StallingHandler.requests_seen == n, 30, "the fetch")
            record = client.hgetall(key)
            assert record["deliveries"] == str(delivery)
            # The pool process running the job dies, as if the kernel's OOM killer hit it.
            os.kill(int(record["worker"].rsplit("/", 1)[1]), signal.SIGKILL)
        result = finished(stack.api_url, body, timeout=30)
        assert result["status"] == FAILED
        assert result["error"]["code"] == "worker_lost"
        assert _StallingHandler.requests_seen == 3
    finally:
        server.shutdown()
        server.server_close()
    (file,) = small_images(1)
    after = requests.post(
        f"{stack.api_url}/api/v1/extract", files=upload(file.data, "ok.jpg"), params={"wait": 20}
    )
    assert after.json()["status"] == COMPLETED
