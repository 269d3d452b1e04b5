"""Jobs whose task message the broker lost are sent again (``worker.recovery``), on real Redis
with kombu's own message formats, and end to end with a real worker."""

from __future__ import annotations

import pytest
import redis
import requests

from common.jobs import COMPLETED, PROCESSING, QUEUED, JobStore
from common.settings import load_settings
from common.tasks import CHUNK_TASK, FANOUT_TASK, JOB_IDS_IN_ARGS, PROCESS_TASK, QUEUE
from tests.integration.test_faults import FAST_REDELIVERY, job_records, small_images, submit_all
from tests.support.stack import wait_for
from worker import recovery
from worker.app import create_celery

pytestmark = pytest.mark.integration

PREFIX = "recovery-test:"


class Clock:
    def __init__(self) -> None:
        self.value = 1_000.0

    def now(self) -> float:
        return self.value


@pytest.fixture()
def client(redis_server):
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    yield client
    for key in client.scan_iter(match=f"{PREFIX}*"):
        client.delete(key)


def celery_app(redis_server):
    return create_celery(load_settings(REDIS_URL=redis_server.url, REDIS_KEY_PREFIX=PREFIX))


def test_pending_job_ids_reads_waiting_and_unacknowledged_messages(redis_server, client):
    app = celery_app(redis_server)
    app.send_task(PROCESS_TASK, args=["a"], queue=QUEUE)
    app.send_task(FANOUT_TASK, args=[["b", "c"]], queue=QUEUE)
    app.send_task("exifq.sweep", args=[], queue=QUEUE)
    app.send_task(PROCESS_TASK, args=["d"], queue=QUEUE)
    with app.connection_for_read() as connection:
        queue = connection.SimpleQueue(QUEUE)
        taken = queue.get(timeout=5)  # delivered, not acknowledged: kombu keeps it in "unacked"
        assert client.hlen(f"{PREFIX}unacked") == 1
        found = recovery.pending_job_ids(client, PREFIX, QUEUE, JOB_IDS_IN_ARGS)
        assert found == {"a", "b", "c", "d"}
        taken.ack()
        queue.close()
    client.rpush(f"{PREFIX}{QUEUE}", "not a kombu message")
    assert recovery.pending_job_ids(client, PREFIX, QUEUE, JOB_IDS_IN_ARGS) == {"b", "c", "d"}


def test_only_stale_jobs_without_a_message_are_sent_again_by_one_caller(client):
    clock = Clock()
    jobs = JobStore(client, prefix=PREFIX, ttl=600, clock=clock)
    lost, waiting, started, fresh = (jobs.create("extract", options={}) for _ in range(4))
    jobs.start(started.uuid, "w/1")
    assert set(jobs.queued_before(clock.now())) == {lost.uuid, waiting.uuid, fresh.uuid}
    clock.value += 30
    late = jobs.create("extract", options={})
    sent: list[str] = []

    def run() -> list[str]:
        return recovery.recover(jobs, lambda: {waiting.uuid}, sent.append, grace=10, lock_seconds=5)

    assert sorted(run()) == sorted(sent) == sorted([lost.uuid, fresh.uuid])
    assert run() == []  # the lock: one scan per period, whoever calls
    client.delete(f"{PREFIX}recovery-lock")
    assert run() == []  # re-sent jobs wait a whole grace period again
    clock.value += 11
    jobs.complete(fresh.uuid, "results/x.json")
    client.delete(jobs.key(lost.uuid))  # expired meanwhile
    client.delete(f"{PREFIX}recovery-lock")
    assert run() == [late.uuid]
    # Finished and expired jobs have left the index; the re-sent one waits from now.
    assert jobs.queued_before(clock.now() - 1) == [waiting.uuid]
    assert client.zscore(jobs.queued_key, late.uuid) == clock.now()
    assert jobs.get(late.uuid).status == QUEUED


def test_a_job_whose_message_was_lost_completes_after_the_visibility_timeout(new_stack):
    stack = new_stack(**FAST_REDELIVERY)
    stack.api_url = stack.start_api()  # no worker yet: the messages wait in the queue
    bodies = submit_all(stack.api_url, small_images(3))
    # The broker loses them, as when a worker is killed between BRPOP and recording them.
    assert stack.redis().delete(f"{stack.prefix}{QUEUE}") == 1
    stack.start_worker()
    wait_for(
        lambda: all(r["status"] == COMPLETED for r in job_records(stack, bodies)),
        60,
        "the lost jobs to complete",
        interval=0.2,
    )
    assert all(r["deliveries"] == "1" for r in job_records(stack, bodies))


def test_a_started_job_is_sent_again_only_once_a_chunk_handed_it_over(client):
    clock = Clock()
    jobs = JobStore(client, prefix=PREFIX, ttl=600, clock=clock)
    running, handed, finished = (jobs.create("extract", options={}) for _ in range(3))
    for job in (running, handed, finished):
        jobs.start(job.uuid, "w/1")
    assert jobs.queued_before(clock.now()) == []
    jobs.resending([handed.uuid, finished.uuid])  # a chunk hands two of them over
    jobs.complete(finished.uuid, "results/x.json")  # the one whose message did arrive
    clock.value += 11
    sent: list[str] = []
    lost = recovery.recover(jobs, set, sent.append, grace=10, lock_seconds=5)
    # ``running`` is its worker's (its message unacknowledged, restored by kombu if need be)
    assert lost == sent == [handed.uuid]
    assert jobs.queued_before(clock.now()) == [handed.uuid]
    jobs.start(handed.uuid, "w/2")  # its message arrived: it leaves the index
    assert jobs.queued_before(clock.now()) == []


def test_jobs_a_chunk_handed_over_complete_when_those_messages_are_lost(new_stack):
    stack = new_stack(**FAST_REDELIVERY)
    stack.api_url = stack.start_api()  # no worker yet: the batch's chunks wait in the queue
    files = small_images(30)
    answer = requests.post(
        f"{stack.api_url}/api/v1/batch",
        files=[("file", (f"{i:02d}-{f.path.name}", f.data)) for i, f in enumerate(files)],
        data={"operations": "extract", "pixels": "false"},
        timeout=60,
    )
    assert answer.status_code == 202, answer.text
    status_url = f"{stack.api_url}{answer.json()['statusUrl']}"
    ids = [item["uuid"] for item in requests.get(status_url, timeout=30).json()["items"]]
    queue, client = f"{stack.prefix}{QUEUE}", stack.redis()
    client.delete(queue)
    # One chunk runs here: its budget (FAST_REDELIVERY leaves none) is spent at once, so it
    # starts its first group and hands every job over, one exifq.process each.
    app = create_celery(load_settings(**stack.settings()))
    app.loader.import_default_modules()  # worker.tasks, as a worker imports it
    assert app.tasks[CHUNK_TASK].apply(args=[ids]).get() == 0
    started = [r for r in job_records(stack, [{"uuid": i} for i in ids]) if r["status"] != QUEUED]
    assert started and {r["status"] for r in started} == {PROCESSING}
    assert client.delete(queue) == 1  # and the broker loses those messages, as at a SIGKILL
    stack.start_worker()

    def finished() -> dict | None:
        status = requests.get(status_url, timeout=30).json()
        return status if status["completed"] + status["failed"] == len(ids) else None

    done = wait_for(finished, 90, "the handed-over jobs to complete", interval=0.5)
    assert (done["completed"], done["failed"]) == (len(ids), 0)
