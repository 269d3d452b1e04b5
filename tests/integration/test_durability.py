"""A durable job store: Redis with an append-only file (``appendfsync always``) killed with
SIGKILL and started again keeps every queued job (record and broker message), and they
complete; without persistence the same restart loses them (the documented trade-off)."""

from __future__ import annotations

import pytest
import requests

from common.jobs import COMPLETED
from tests.integration.test_faults import FAST_REDELIVERY, job_records, small_images, submit_all
from tests.support.components import PrivateRedis
from tests.support.operations import run
from tests.support.stack import finished

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("appendfsync", ["always", None], ids=["aof-always", "no-persistence"])
def test_queued_jobs_survive_a_sigkilled_redis_only_with_an_append_only_file(
    new_stack, tmp_path, appendfsync
):
    server = PrivateRedis(tmp_path / "redis", appendfsync=appendfsync)
    stack = new_stack(redis_url=server.url, **FAST_REDELIVERY)
    try:
        stack.api_url = stack.start_api()  # no worker yet: the jobs wait in the queue
        files = small_images(20)
        bodies = submit_all(stack.api_url, files)
        server.restart()  # SIGKILL, then start on the same port and directory
        records = job_records(stack, bodies)
        if appendfsync is None:
            assert records == [{}] * len(bodies)  # every record is gone: the jobs are lost
            answer = requests.get(f"{stack.api_url}{bodies[0]['statusUrl']}")
            assert answer.status_code == 404
            return
        assert all(record["status"] == "queued" for record in records)
        stack.start_worker()
        for file, body in zip(files, bodies, strict=True):
            result = finished(stack.api_url, body, timeout=120)
            assert result["status"] == COMPLETED, result
            expected = run("extract", file.data, file.path.name).result["metadata"]
            assert result["metadata"] == expected
    finally:
        stack.stop()
        server.kill()
