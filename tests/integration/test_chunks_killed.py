"""A batch's chunks with real processes: a worker SIGKILLed mid-chunk, a chunk sent twice."""

from __future__ import annotations

import time

import pytest
import requests

from common.jobs import COMPLETED, PROCESSING
from common.settings import load_settings
from common.tasks import CHUNK_TASK, QUEUE
from tests.integration.test_faults import FAST_REDELIVERY, small_images
from tests.support.operations import run
from tests.support.stack import wait_for

pytestmark = pytest.mark.integration

ITEMS = 240


def _batch_status(stack, body: dict, **params) -> dict:
    answer = requests.get(f"{stack.api_url}{body['statusUrl']}", params=params, timeout=30)
    answer.raise_for_status()
    return answer.json()


def _items(stack, body: dict) -> list[dict]:
    found = []
    for offset in range(0, ITEMS, 1000):
        page = _batch_status(stack, body, offset=offset, include="results")
        found += page["items"]
    return found


def test_a_worker_killed_mid_chunk_leaves_exact_counts_and_single_job_results(new_stack):
    stack = new_stack(**FAST_REDELIVERY)
    worker = stack.start_worker()
    stack.api_url = stack.start_api()
    files = small_images(ITEMS)
    parts = [("file", (f"{i:03d}-{f.path.name}", f.data)) for i, f in enumerate(files)]
    answer = requests.post(
        f"{stack.api_url}/api/v1/batch",
        files=parts,
        data={"operations": "extract", "pixels": "false"},
        timeout=120,
    )
    assert answer.status_code == 202, answer.text
    body = answer.json()
    client = stack.redis()
    status_key = f"{stack.prefix}batch-status:{body['uuid']}"

    def some_done_and_some_running() -> bool:
        entries = client.hvals(status_key)
        done = sum('"completed"' in entry for entry in entries)
        return done >= 30 and any(f'"{PROCESSING}"' in entry for entry in entries)

    wait_for(some_done_and_some_running, 120, "a chunk part-way", interval=0.01)
    stack.kill(worker)  # main process and pool: no chance to finish the chunk in hand
    middle = _batch_status(stack, body)
    assert middle["completed"] < ITEMS, "the batch finished before the kill"
    stack.start_worker()

    def finished() -> dict | None:
        status = _batch_status(stack, body)
        return status if status["completed"] + status["failed"] >= status["total"] else None

    try:
        done = wait_for(finished, 240, "the batch to finish", interval=0.5)
    except TimeoutError as exc:  # say where the unfinished items stand
        records = [
            client.hgetall(f"{stack.prefix}job:{item['uuid']}") for item in _items(stack, body)
        ]
        stuck = [
            (r.get("status"), r.get("deliveries")) for r in records if r.get("status") != COMPLETED
        ]
        held = client.llen(f"{stack.prefix}{QUEUE}"), client.hlen(f"{stack.prefix}unacked")
        raise AssertionError(f"{exc}: unfinished {stuck}; queued, unacked messages {held}") from exc
    assert (done["total"], done["completed"], done["failed"]) == (ITEMS, ITEMS, 0)
    items = _items(stack, body)
    assert [item["status"] for item in items] == [COMPLETED] * ITEMS
    for file, item in zip(files, items, strict=True):  # the single-job path's results
        expected = run("extract", file.data, item["name"], pixels=False).result
        assert item["result"] == expected
    records = [client.hgetall(f"{stack.prefix}job:{item['uuid']}") for item in items]
    assert {record["status"] for record in records} == {COMPLETED}
    deliveries = [int(record.get("deliveries", 0)) for record in records]
    assert max(deliveries) >= 2, "no job was in the killed worker's hands"
    assert max(deliveries) <= 3

    # The same chunk again (a duplicate message): nothing moves, nothing is counted twice.
    from worker.app import create_celery

    celery = create_celery(load_settings(**stack.settings()))
    ids = [item["uuid"] for item in items[:50]]
    celery.send_task(CHUNK_TASK, args=[ids], queue=QUEUE)
    celery.send_task(CHUNK_TASK, args=[ids], queue=QUEUE)
    queue = f"{stack.prefix}{QUEUE}"
    wait_for(lambda: client.llen(queue) == 0, 60, "the duplicate chunks to be taken")
    time.sleep(2.0)
    again = _batch_status(stack, body)
    assert (again["completed"], again["failed"]) == (ITEMS, 0)
    metrics = client.hgetall(f"{stack.prefix}metrics")
    assert int(metrics["jobs\textract\tcompleted"]) == ITEMS
