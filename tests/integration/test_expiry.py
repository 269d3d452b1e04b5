"""Everything about a job is gone 24 h after it was created: Redis TTL, bucket lifecycle rule,
404 past ``expiresAt`` (clock injected), and the sweeper — against real Redis and moto's S3."""

from __future__ import annotations

import io
import uuid

import pytest
import redis

from api import create_app
from common.clock import ManualClock
from common.jobs import COMPLETED, JobStore, upload_key
from common.settings import load_settings
from common.storage import get_storage
from tests.conftest import corpus_files
from worker import pipeline, sweeper
from worker.runtime import Runtime

pytestmark = pytest.mark.integration

DAY = 86_400
JPEG = next(f for f in corpus_files() if f.id == "exif-samples/jpg/Canon_40D.jpg").data


@pytest.fixture()
def service(redis_server, s3_server):
    """API and pipeline in-process, on real Redis and a fresh bucket, with a manual clock."""
    prefix = f"expiry-test-{uuid.uuid4().hex[:8]}:"
    settings = load_settings(
        REDIS_URL=redis_server.url,
        REDIS_KEY_PREFIX=prefix,
        STORAGE="s3",
        S3_ENDPOINT_URL=s3_server.url,
        S3_BUCKET=f"expiry-{uuid.uuid4().hex[:8]}",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
    )
    clock = ManualClock()
    client = redis.Redis.from_url(redis_server.url, decode_responses=True)
    jobs = JobStore(client, prefix=prefix, ttl=settings.RESULT_TTL_SECONDS, clock=clock)
    storage = get_storage(settings)
    storage.ensure_ready()
    app = create_app(
        settings, jobs_store=jobs, storage=storage, enqueue=lambda _: None, clock=clock
    )
    runtime = Runtime(settings, clock=clock)
    runtime.jobs, runtime.storage = jobs, storage
    return app.test_client(), runtime, clock


def test_a_job_is_gone_a_day_after_it_was_created(service):
    client, runtime, clock = service
    answer = client.post("/api/v1/remove", data={"file": (io.BytesIO(JPEG), "a.jpg")})
    job_id = answer.get_json()["uuid"]
    assert runtime.jobs.redis.ttl(runtime.jobs.key(job_id)) in range(DAY - 60, DAY + 1)
    rules = runtime.storage.lifecycle_rules()
    assert any(r["Status"] == "Enabled" and r["Expiration"] == {"Days": 1} for r in rules)

    assert pipeline.process(runtime, job_id) == COMPLETED
    job = runtime.jobs.get(job_id)
    status, download = f"/api/v1/remove/{job_id}", f"/download-cleaned/{job_id}"
    assert client.get(status).status_code == 200
    assert client.get(download).status_code == 200

    clock.advance(DAY + 1)
    assert client.get(status).status_code == 404
    assert client.get(download).status_code == 404
    assert runtime.storage.exists(job.result_key) and runtime.storage.exists(job.cleaned_key)

    # The beat sweeper, run with the moved clock, deletes what the job left (a minute
    # later still: the objects were written some real seconds after the job's creation).
    clock.advance(60)
    deleted = sweeper.sweep(runtime.storage, clock.now(), runtime.settings.RESULT_TTL_SECONDS)
    assert deleted >= 2
    for key in (job.result_key, job.cleaned_key, upload_key(job_id)):
        assert not runtime.storage.exists(key)


def test_the_sweeper_keeps_what_is_younger_than_the_ttl(service):
    _, runtime, clock = service
    runtime.storage.put("results/young.json", b"{}")
    assert sweeper.sweep(runtime.storage, clock.now(), DAY) == 0
    assert runtime.storage.exists("results/young.json")
