"""The delivery tests that matter, against each broker (Redis, RabbitMQ): end to end, transient
storage faults retried with a countdown, a SIGKILLed worker, and a broker restart."""

from __future__ import annotations

import os
import signal
import time

import pytest
import requests

from common.jobs import COMPLETED, FAILED, PROCESSING
from tests.conftest import corpus_files
from tests.integration.conftest import BROKERS, upload
from tests.integration.test_faults import FAST_REDELIVERY, job_records, small_images, submit_all
from tests.support.components import PrivateRedis, RabbitNode, S3Process, Supervisor
from tests.support.operations import run
from tests.support.stack import finished, wait_for

pytestmark = pytest.mark.integration

CANON = "exif-samples/jpg/Canon_40D.jpg"


def statuses(stack, bodies: list[dict]) -> list[str]:
    return [record.get("status", "missing") for record in job_records(stack, bodies)]


def assert_results(stack, files: list, bodies: list[dict]) -> None:
    for file, body in zip(files, bodies, strict=True):
        result = finished(stack.api_url, body, timeout=120)
        assert result["status"] == COMPLETED, result
        assert result["metadata"] == run("extract", file.data, file.path.name).result["metadata"]


def test_end_to_end(own_stacks, broker_settings):
    stack = own_stacks()
    stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(4)
    assert_results(stack, files, submit_all(stack.api_url, files))
    (canon,) = [f for f in corpus_files() if f.id == CANON]
    answer = requests.post(
        f"{stack.api_url}/api/v1/remove", files=upload(canon.data, "c.jpg"), params={"wait": 20}
    )
    body = answer.json()
    assert body["status"] == COMPLETED, body
    download = requests.get(f"{stack.api_url}{body['downloadUrl']}")
    assert download.content == run("remove", canon.data, "c.jpg").cleaned
    batch = requests.post(
        f"{stack.api_url}/api/v1/batch",
        files=[("file", upload(f.data, f.path.name)["file"]) for f in files[:2]],
        data={"operations": "extract,hash", "wait": 20},
    ).json()
    assert (batch["status"], batch["completed"], batch["total"]) == ("completed", 4, 4), batch
    metrics = requests.get(f"{stack.api_url}/metrics").text
    assert "exifq_queue_depth 0.0" in metrics
    ready = requests.get(f"{stack.api_url}/readyz").json()
    assert ready["ready"] is True, ready
    if broker_settings:
        assert ready["checks"]["broker"] == "ok"


def test_storage_faults_retry_with_a_countdown_and_complete(own_stacks, tmp_path):
    """A retry waits its countdown in the broker (RabbitMQ: native delayed delivery)."""
    s3 = S3Process(tmp_path)
    try:
        stack = own_stacks(S3_ENDPOINT_URL=s3.url)
        worker = stack.start_worker()
        stack.api_url = stack.start_api()
        files = small_images(4)
        os.killpg(worker.pid, signal.SIGSTOP)  # hold the jobs until storage is away
        bodies = submit_all(stack.api_url, files)
        s3.refuse()
        os.killpg(worker.pid, signal.SIGCONT)

        def all_retrying() -> bool:
            records = job_records(stack, bodies)
            return all(r["status"] == PROCESSING and r["deliveries"] == "0" for r in records)

        wait_for(all_retrying, 30, "every job to meet the outage and retry", interval=0.05)
        time.sleep(2)
        s3.accept()
        assert_results(stack, files, bodies)
        log = "".join(path.read_text() for path in stack.logs.glob("worker-*.log"))
        assert "retrying" in log and "not supported with native delayed delivery" not in log
    finally:
        s3.stop()


def test_sigkilled_worker_loses_no_job(own_stacks):
    stack = own_stacks(**FAST_REDELIVERY)
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(100)
    bodies = submit_all(stack.api_url, files)

    def some_done_and_some_running() -> bool:
        now = statuses(stack, bodies)
        return now.count(COMPLETED) >= 10 and PROCESSING in now

    wait_for(some_done_and_some_running, 60, "jobs in flight", interval=0.01)
    stack.kill(worker)
    stack.start_worker()
    seen: set[str] = set()

    def all_completed() -> bool:
        now = statuses(stack, bodies)
        seen.update(now)
        return all(status == COMPLETED for status in now)

    wait_for(all_completed, 120, "every job to complete", interval=0.2)
    assert FAILED not in seen
    assert_results(stack, files[:10], bodies[:10])


@pytest.fixture(params=BROKERS)
def restartable(request, tmp_path, new_stack):
    """A stack whose broker can be restarted: a private Redis with an append-only file
    (``appendfsync always``; broker and job store), or a private RabbitMQ node (the job store
    is the session's Redis); the broker's restart function."""
    if request.param == "redis":
        server = PrivateRedis(tmp_path / "redis", appendfsync="always")
        stack = new_stack(redis_url=server.url, **FAST_REDELIVERY)
        restart = server.restart
    else:
        server = RabbitNode(tmp_path / "rabbitmq")
        stack = new_stack(BROKER_URL=server.url)
        restart = server.restart
    yield stack, restart
    stack.stop()
    server.kill()


def test_broker_restart_loses_no_accepted_job(restartable):
    stack, restart = restartable
    # Kombu's Redis transport may stop the worker when its broker goes: restarted, as a
    # process manager does (docs/reliability.md).
    supervisor = Supervisor(stack, stack.start_worker())
    stack.api_url = stack.start_api()
    files = small_images(60)
    bodies = submit_all(stack.api_url, files[:40])
    wait_for(lambda: statuses(stack, bodies).count(COMPLETED) >= 5, 60, "some jobs done")
    pending = len(bodies) - statuses(stack, bodies).count(COMPLETED)
    restart(down_for=2)
    assert pending > 0, "every job was done before the restart"
    later = []
    for file in files[40:]:  # the API is back: it accepts again, answering 503 meanwhile
        answer = requests.post(f"{stack.api_url}/api/v1/extract", files=upload(file.data))
        assert answer.status_code in (202, 503), answer.text
        if answer.status_code == 202:
            later.append((file, answer.json()))
    assert later, "nothing was accepted after the restart"
    seen: set[str] = set()
    everything = bodies + [body for _, body in later]

    def all_completed() -> bool:
        now = statuses(stack, everything)
        seen.update(now)
        return all(status == COMPLETED for status in now)

    try:
        wait_for(all_completed, 180, "every accepted job to complete", interval=0.5)
    finally:
        supervisor.stop()
    print(f"worker restarts: {supervisor.restarts}")
    assert FAILED not in seen and "missing" not in seen
    depth = requests.get(f"{stack.api_url}/metrics").text
    assert "exifq_queue_depth 0.0" in depth, depth
