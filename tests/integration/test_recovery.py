"""Jobs whose task message the broker lost are sent again (``worker.recovery``), on real Redis
with kombu's own message formats, and end to end with a real worker."""

from __future__ import annotations

import pytest
import redis

from common.jobs import COMPLETED, QUEUED, JobStore
from common.settings import load_settings
from common.tasks import FANOUT_TASK, JOB_IDS_IN_ARGS, PROCESS_TASK, QUEUE
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
