"""The job store's scripts pipelined by hand over a real Redis: one round trip, no ``SCRIPT
EXISTS``, and a script Redis lost is loaded again."""

from __future__ import annotations

import pytest
import redis

from common.jobs import COMPLETED, PROCESSING, JobStore
from tests.support.stack import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture()
def client(tmp_path):
    server = RedisServer(tmp_path)
    assert server.process is not None, "redis-server is not installed"
    yield redis.Redis.from_url(server.url, decode_responses=True)
    server.stop()


def _calls(client: redis.Redis) -> dict[str, int]:
    return {name: stats["calls"] for name, stats in client.info("commandstats").items()}


def test_many_starts_and_finishes_are_one_evalsha_each_and_survive_a_script_flush(client):
    store = JobStore(client, prefix="s:", ttl=600)
    jobs = [store.create("extract", options={}, file_name=f"{i}.jpg") for i in range(6)]
    ids = [job.uuid for job in jobs]
    store.start_many(ids[:1], "w")  # the scripts are known to Redis from here on
    client.config_resetstat()
    started = store.start_many(ids, "w")
    assert [job.status for job in started] == [PROCESSING] * 6
    calls = _calls(client)
    assert calls.get("cmdstat_evalsha") == 6 and "cmdstat_script|exists" not in calls, calls

    client.script_flush()  # as after a Redis restart: the next calls load the script again
    finishes = store.finish_many(
        [
            store.completion(job_id, f"results/{job_id}.json", started=job)
            for job_id, job in zip(ids, started, strict=True)
        ]
    )
    assert all(finish.moved for finish in finishes)
    assert {store.get(job_id).status for job_id in ids} == {COMPLETED}
    client.script_flush()
    assert store.start_many(ids[:2], "w")[0].status == COMPLETED  # finished jobs stay finished
