"""The job store: records, TTL, forward-only transitions, delivery counts, waiting."""

from __future__ import annotations

import threading

import fakeredis
import pytest

from common.clock import ManualClock
from common.jobs import COMPLETED, FAILED, PROCESSING, QUEUED, JobStore, cleaned_key, safe_name

ERROR = {"code": "corrupt_image", "message": "cut short"}


@pytest.fixture()
def store():
    return JobStore(
        fakeredis.FakeRedis(decode_responses=True), prefix="p:", ttl=100, clock=ManualClock(1000.0)
    )


def new_job(store: JobStore):
    return store.create("remove", options={"keep": ["icc"]}, owner="abc", file_name="a.jpg", size=7)


def test_create_writes_a_record_that_expires_with_the_ttl(store):
    job = new_job(store)
    assert store.get(job.uuid) == job
    assert (job.status, job.created_at, job.expires_at) == (QUEUED, 1000.0, 1100.0)
    assert store.redis.ttl(f"p:job:{job.uuid}") == 100


def test_a_finished_job_never_changes_again(store):
    job = new_job(store)
    started = store.start(job.uuid, "w/1")
    assert (started.status, started.deliveries, started.worker) == (PROCESSING, 1, "w/1")
    assert store.complete(job.uuid, "results/x.json", "cleaned/x/a.jpg", file_name="b.jpg")
    done = store.get(job.uuid)
    assert not store.fail(job.uuid, ERROR)
    assert not store.complete(job.uuid, "results/other.json")
    again = store.start(job.uuid, "w/2")  # a redelivered message
    assert again == done and done.status == COMPLETED and done.file_name == "b.jpg"
    store.reset_deliveries(job.uuid)
    assert store.get(job.uuid) == done


def test_failed_is_final_too(store):
    job = new_job(store)
    assert store.fail(job.uuid, ERROR)
    assert not store.complete(job.uuid, "results/x.json")
    assert store.get(job.uuid).error == ERROR and store.get(job.uuid).status == FAILED


def test_deliveries_count_starts_and_reset(store):
    job = new_job(store)
    for expected in (1, 2, 3):
        assert store.start(job.uuid, "w").deliveries == expected
    store.reset_deliveries(job.uuid)
    assert store.start(job.uuid, "w").deliveries == 1


def test_missing_jobs(store):
    assert store.get("nope") is None
    assert store.start("nope", "w") is None
    assert not store.complete("nope", "results/nope.json")
    assert store.wait("nope", 0.1) == (None, "")


def test_wait_wakes_on_finish_with_the_notice_and_times_out(store):
    job = new_job(store)
    waited, notice = store.wait(job.uuid, 0.2)
    assert (waited.status, notice) == (QUEUED, "")
    finish = threading.Timer(
        0.2, store.complete, [job.uuid, "results/r.json"], {"notice": '{"a": 1}'}
    )
    finish.start()
    waited, notice = store.wait(job.uuid, 10)
    assert (waited.status, notice) == (COMPLETED, '{"a": 1}')
    finish.join()
    assert store.wait(job.uuid, 10) == (waited, "")  # finished before: no notice, no waiting


@pytest.mark.parametrize(
    "name,expected",
    [
        ("photo.jpg", "photo.jpg"),
        ("../../x/evil name?.png", "evil_name_.png"),
        ("C:\\Users\\me\\été.JPG", "ete.JPG"),
        ("...", "image"),
        ("日本", "image"),
    ],
)
def test_cleaned_keys_are_safe(name, expected):
    assert safe_name(name) == expected
    assert cleaned_key("u", name) == f"cleaned/u/{expected}"
