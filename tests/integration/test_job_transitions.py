"""The job store on real Redis: transitions take one round trip each outside a batch (a batch's
items still move in a WATCH/MULTI transaction), and waits reuse their subscriber connection."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from common.batches import BatchStore, NewItem
from common.jobs import COMPLETED, FAILED, PROCESSING, QUEUED, JobStore
from tests.unit.service.test_jobs import ERROR, new_job

pytestmark = pytest.mark.integration


class CountingConnection(redis.Connection):
    """A connection that counts what it sends: one count per round trip (a pipeline is one)."""

    sent = 0

    def send_packed_command(self, command, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


@pytest.fixture()
def store(redis_server):
    pool = redis.ConnectionPool.from_url(
        redis_server.url, decode_responses=True, connection_class=CountingConnection
    )
    client = redis.Redis(connection_pool=pool)
    client.ping()  # connect (HELLO / CLIENT SETINFO) before counting
    yield JobStore(client, prefix="transitions-test:", ttl=60)
    for key in client.scan_iter(match="transitions-test:*"):
        client.delete(key)
    pool.disconnect()


def round_trips(call):
    before = CountingConnection.sent
    value = call()
    return value, CountingConnection.sent - before


def test_start_and_finish_take_one_round_trip_each(store, redis_server):
    assert store.start("no-such-job", "w") is None  # loads the scripts into Redis
    assert not store.complete("no-such-job", "results/r.json")
    job = store.create("extract", options={}, file_name="a.jpg", size=3)
    started, trips = round_trips(lambda: store.start(job.uuid, "w/1"))
    assert trips == 1
    assert (started.status, started.worker, started.deliveries) == (PROCESSING, "w/1", 1)
    assert started.updated_at >= job.created_at and started.options == {}
    listener = redis.Redis.from_url(redis_server.url, decode_responses=True)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(store.channel(job.uuid))
    finish, trips = round_trips(lambda: store.complete(job.uuid, "results/r.json", notice="{}"))
    assert trips == 1 and finish.moved and finish.batch_done is None
    messages = [pubsub.get_message(timeout=1) for _ in range(3)]  # skips the subscribe reply
    pubsub.close()
    message = next(message for message in messages if message)
    assert message["data"] == f"{COMPLETED}\n{{}}"
    done = store.get(job.uuid)
    assert (done.status, done.result_key, done.cleaned_key) == (COMPLETED, "results/r.json", None)
    assert done.finished_at == done.updated_at and done.deliveries == 1
    # A second finish, or a start of the finished job, changes nothing.
    assert not store.fail(job.uuid, {"code": "x", "message": "y"})
    assert store.start(job.uuid, "w/2") == done


def test_a_batch_item_moves_with_its_batch(store):
    batches = BatchStore(store)
    first, second = (
        store.new_job("extract", options={}, file_name=name, size=3, batch="b-1")
        for name in ("a.jpg", "b.jpg")
    )
    items = [NewItem(job.file_name, job) for job in (first, second)]
    batch = batches.create("b-1", "batch", owner="", operations=["extract"], items=items)
    assert store.start(first.uuid, "w").status == PROCESSING
    assert not store.complete(first.uuid, "results/a.json").batch_done
    assert store.start(second.uuid, "w").deliveries == 1
    assert store.fail(second.uuid, {"code": "corrupt_image", "message": "cut"}).batch_done == (
        batch.uuid
    )
    progress = batches.get(batch.uuid)
    assert (progress.completed, progress.failed, progress.total) == (1, 1, 2)
    assert store.get(second.uuid).status == FAILED


class ConnectCounting(redis.Connection):
    connects = 0

    def _connect(self):
        ConnectCounting.connects += 1
        return super()._connect()


def test_waits_reuse_one_subscriber_and_never_see_another_jobs_message(redis_server):
    pool = redis.ConnectionPool.from_url(
        redis_server.url, decode_responses=True, connection_class=ConnectCounting
    )
    store = JobStore(redis.Redis(connection_pool=pool), prefix="waits-test:", ttl=60)
    first, second, third = (store.create("hash", options={}) for _ in range(3))
    finisher = threading.Timer(0.2, store.complete, [first.uuid, "results/1.json"], {"notice": "1"})
    finisher.start()
    waited, notice = store.wait(first.uuid, 10)
    finisher.join()
    assert (waited.status, notice) == (COMPLETED, "1")
    connects = ConnectCounting.connects
    # A late message on the first job's channel must not reach a wait on another job.
    store.redis.publish(store.channel(first.uuid), f"{COMPLETED}\nlate")
    waited, notice = store.wait(second.uuid, 0.3)
    assert (waited.status, notice) == (QUEUED, "")
    finisher = threading.Timer(0.2, store.fail, [third.uuid, {"code": "x", "message": "y"}])
    finisher.start()
    waited, notice = store.wait(third.uuid, 10)
    finisher.join()
    assert (waited.status, notice) == (FAILED, "")
    assert store.wait(first.uuid, 10) == (store.get(first.uuid), "")  # finished: no waiting
    assert ConnectCounting.connects == connects  # no new connection after the first wait
    for job in (first, second, third):
        store.delete(job.uuid)
    pool.disconnect()


def test_a_forked_process_does_not_reuse_its_parents_subscribers(redis_server):
    store = JobStore(redis.Redis.from_url(redis_server.url, decode_responses=True), prefix="f:")
    job = store.create("hash", options={})
    store.wait(job.uuid, 0.1)
    parents = list(store._listeners)
    assert len(parents) == 1
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        store.wait(job.uuid, 0.1)
        os.write(write, b"1" if all(p not in store._listeners for p in parents) else b"0")
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 1) == b"1"
    assert store.wait(job.uuid, 0.1)[0].status == QUEUED  # the parent's still works
    assert list(store._listeners) == parents
    store.delete(job.uuid)


def test_racing_finishes_on_real_redis_have_one_winner(redis_server):
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    store = JobStore(client, prefix="race-test:", ttl=60)
    for _ in range(20):
        job = new_job(store)
        store.start(job.uuid, "w")

        def finish(i: int, job_id=job.uuid) -> bool:
            if i % 2:
                return store.fail(job_id, ERROR)
            return store.complete(job_id, f"results/{i}.json")

        with ThreadPoolExecutor(8) as pool:
            outcomes = list(pool.map(finish, range(8)))
        assert sum(map(bool, outcomes)) == 1
        assert store.get(job.uuid).status in (COMPLETED, FAILED)
        store.delete(job.uuid)
