"""The API process's completion listener on a private redis-server (``common.completions``):
a ``?wait=`` submit is answered from the listener's message without a subscription of its own,
a lost message or a killed listener still answers, two API processes get only their own
messages, and the API-keys marker is cached only while that cannot go stale."""

from __future__ import annotations

import io
import shutil
import subprocess
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from common.clock import ManualClock
from common.completions import CLIENT_NAME
from common.jobs import JobStore
from common.keys import KeyStore
from common.settings import load_settings
from common.storage.local import LocalStorage
from tests.support.harness import Harness
from tests.support.stack import free_port, wait_for
from tests.unit.service.test_api import JPEG

pytestmark = pytest.mark.integration


def calls(client: redis.Redis, command: str) -> int:
    """How often Redis ran ``command`` since it started."""
    return int(client.info("commandstats").get(f"cmdstat_{command}", {}).get("calls", 0))


def settled_calls(client: redis.Redis, command: str) -> int:
    """:func:`calls` once it has not moved for half a second (a listener that reconnects
    subscribes its two connections one after the other)."""
    last = calls(client, command)
    while True:
        time.sleep(0.5)
        now = calls(client, command)
        if now == last:
            return now
        last = now


def make_harness(
    redis_url: str, tmp_path, prefix: str, *, worker: bool = True, **settings: object
) -> Harness:
    """The API in process over real Redis; each job's task runs the pipeline in a thread."""
    config = load_settings(LOCAL_STORAGE_DIR=tmp_path / "store", REDIS_URL=redis_url, **settings)
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    clock = ManualClock(time.time())
    store = JobStore(client, prefix=prefix, ttl=60, clock=clock)
    storage = LocalStorage(config.LOCAL_STORAGE_DIR)
    storage.ensure_ready()
    h = Harness(config, clock, store, storage)
    if worker:
        h.set_enqueue(lambda job_id: threading.Thread(target=h.process, args=[job_id]).start())
    return h


@pytest.fixture()
def harnesses(redis_server, tmp_path):
    made: list[Harness] = []

    def make(worker: bool = True, **settings: object) -> Harness:
        prefix = f"completions-{uuid.uuid4().hex[:8]}:"
        h = make_harness(redis_server.url, tmp_path / prefix, prefix, worker=worker, **settings)
        made.append(h)
        return h

    yield make
    for h in made:
        h.jobs.completions().stop()
        for key in h.jobs.redis.scan_iter(match=f"{h.jobs.prefix}*"):
            h.jobs.redis.delete(key)


def subscribed(h: Harness) -> None:
    """Wait for the harness's listener to be subscribed (it starts on first use)."""
    wait_for(lambda: h.jobs.completions().subscribed, 10, "the completion listener")


def kill_listener(client: redis.Redis) -> int:
    """Close the listeners' connections from Redis's side; how many Redis closed."""
    killed = 0
    for entry in client.client_list():
        if entry.get("name") == CLIENT_NAME:
            killed += client.client_kill_filter(_id=entry["id"])
    return killed


def waited(h: Harness, wait: float = 20):
    return h.post("extract", JPEG, query_string={"wait": str(wait), "pixels": "false"})


def test_a_waited_submit_is_answered_by_the_listener_without_subscribing(harnesses):
    h = harnesses()
    subscribed(h)
    before = calls(h.jobs.redis, "subscribe"), calls(h.jobs.redis, "unsubscribe")
    answers = [waited(h) for _ in range(5)]
    after = calls(h.jobs.redis, "subscribe"), calls(h.jobs.redis, "unsubscribe")
    assert after == before  # no request subscribed or unsubscribed
    for answer in answers:
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        assert body["status"] == "completed" and body["success"] is True
        assert h.client.get(f"/api/v1/extract/{body['uuid']}").get_json() == body
        assert h.jobs.get(body["uuid"]).notify == h.jobs.completions().channel
    assert h.jobs.completions().waiting() == 0  # every waiter removed


def test_the_drop_in_adapters_wait_through_the_listener_too(harnesses):
    h = harnesses(COMPAT_ADAPTERS="exiftools,cloudinary")
    subscribed(h)
    before = calls(h.jobs.redis, "subscribe"), calls(h.jobs.redis, "unsubscribe")
    upload = {"file": (io.BytesIO(JPEG), "a.jpg")}
    exiftools = h.client.post("/compat/exiftools/api/v1/extract", data=upload)
    upload = {"file": (io.BytesIO(JPEG), "a.jpg"), "image_metadata": "1"}
    cloudinary = h.client.post("/compat/cloudinary/v1_1/demo/image/upload", data=upload)
    assert (calls(h.jobs.redis, "subscribe"), calls(h.jobs.redis, "unsubscribe")) == before
    assert exiftools.status_code == 200 and exiftools.get_json()["success"] is True
    assert exiftools.get_json()["metadata"]
    assert cloudinary.status_code == 200 and cloudinary.get_json()["image_metadata"]
    assert h.jobs.get(exiftools.get_json()["uuid"]).notify == h.jobs.completions().channel
    assert h.jobs.completions().waiting() == 0


def test_while_the_listener_is_down_a_waited_submit_subscribes_on_its_own(harnesses):
    h = harnesses()
    h.jobs.completions().stop()
    before = calls(h.jobs.redis, "subscribe")
    answer = waited(h)
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"
    assert calls(h.jobs.redis, "subscribe") == before + 1
    assert h.jobs.get(answer.get_json()["uuid"]).notify is None


def test_a_lost_message_is_made_up_by_the_reread(harnesses):
    h = harnesses(worker=False)
    subscribed(h)
    queued: list[str] = []
    h.set_enqueue(queued.append)
    with ThreadPoolExecutor(1) as pool:
        started = time.monotonic()
        pending = pool.submit(waited, h, 20)
        wait_for(lambda: queued, 10, "the job")
        h.jobs.redis.hdel(h.jobs.key(queued[0]), "notify")  # its message goes nowhere
        h.process(queued[0])
        answer = pending.result(timeout=20)
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"
    assert time.monotonic() - started < 8  # the 5 s re-read, not the 20 s deadline
    assert h.jobs.completions().waiting() == 0


def test_a_killed_listener_reconnects_and_wakes_its_waiters(harnesses, caplog):
    h = harnesses(worker=False)
    subscribed(h)
    queued: list[str] = []
    h.set_enqueue(queued.append)
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(waited, h, 20)
        wait_for(lambda: queued, 10, "the job")
        assert kill_listener(h.jobs.redis) >= 1  # the other closes with it
        h.process(queued[0])  # published while the listener is away: lost
        started = time.monotonic()
        answer = pending.result(timeout=20)
    assert answer.status_code == 200 and answer.get_json()["status"] == "completed"
    assert time.monotonic() - started < 3  # woken on resubscribing, not at the 5 s re-read
    subscribed(h)
    h.set_enqueue(lambda job_id: threading.Thread(target=h.process, args=[job_id]).start())
    before = settled_calls(h.jobs.redis, "subscribe")  # both its connections subscribed again
    started = time.monotonic()
    assert waited(h).status_code == 200
    assert time.monotonic() - started < 3
    assert calls(h.jobs.redis, "subscribe") == before  # through the listener again
    assert "completion listener lost Redis" in caplog.text


def recorder(dispatch, into: list[str]):
    """``dispatch`` that also notes the job UUID of each message it handles."""

    def recording(channel: str, data: str) -> None:
        into.append(data.partition("\n")[0])
        dispatch(channel, data)

    return recording


def test_two_api_processes_get_only_their_own_messages(harnesses):
    first, second = harnesses(), harnesses()
    seen: dict[int, list[str]] = {id(first): [], id(second): []}
    for h in (first, second):
        listener = h.jobs.completions()
        listener._dispatch = recorder(listener._dispatch, seen[id(h)])
        subscribed(h)
    assert first.jobs.completions().channel != second.jobs.completions().channel
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda h: (h, waited(h)), [first, second] * 3))
    assert [answer.status_code for _, answer in answers] == [200] * 6
    for h in (first, second):
        mine = {answer.get_json()["uuid"] for owner, answer in answers if owner is h}
        assert set(seen[id(h)]) == mine


def no_key_submit(h: Harness) -> int:
    return h.post("extract", JPEG, query_string={"pixels": "false"}).status_code


def test_the_keys_marker_is_cached_on_an_open_service_and_never_stale(harnesses):
    h = harnesses(worker=False)
    h.set_enqueue(lambda job_id: None)
    assert no_key_submit(h) == 202  # starts the listener
    subscribed(h)
    wait_for(lambda: h.jobs.completions().keys_required() is False, 5, "the marker cached")
    before = calls(h.jobs.redis, "exists")
    assert [no_key_submit(h) for _ in range(3)] == [202] * 3
    assert calls(h.jobs.redis, "exists") == before  # the marker was not read
    other = redis.Redis.from_url(h.settings.REDIS_URL, decode_responses=True)
    KeyStore(other, h.jobs.prefix).create("ci")
    assert no_key_submit(h) == 401  # at once: no stale "open"
    assert h.jobs.completions().keys_required() is True


def test_without_the_listener_every_request_reads_the_marker(harnesses):
    h = harnesses(worker=False)
    h.set_enqueue(lambda job_id: None)
    h.jobs.completions().stop()
    before = calls(h.jobs.redis, "exists")
    assert [no_key_submit(h) for _ in range(3)] == [202] * 3
    assert calls(h.jobs.redis, "exists") == before + 3
    KeyStore(h.jobs.redis, h.jobs.prefix).create("ci")
    assert no_key_submit(h) == 401


def test_a_killed_listener_drops_the_cached_marker_until_it_reads_it_again(harnesses):
    h = harnesses(worker=False)
    h.set_enqueue(lambda job_id: None)
    assert no_key_submit(h) == 202
    subscribed(h)
    wait_for(lambda: h.jobs.completions().keys_required() is False, 5, "the marker cached")
    kill_listener(h.jobs.redis)
    wait_for(lambda: not h.jobs.completions().subscribed, 5, "the listener to notice")
    KeyStore(h.jobs.redis, h.jobs.prefix).create("ci")  # published while the listener is away
    assert no_key_submit(h) == 401
    subscribed(h)
    assert h.jobs.completions().keys_required() is True  # read again after subscribing


def slowed(method, seconds: float):
    """``method`` that sleeps ``seconds`` before it runs."""

    def slow(*args):
        time.sleep(seconds)
        return method(*args)

    return slow


@pytest.mark.parametrize("stage", ["_drain", "_dispatch"])
def test_a_creation_the_listener_has_not_handled_yet_is_not_missed(harnesses, stage):
    """The key event still in the listener's socket (``_drain`` late) or being handled
    (``_dispatch`` late): a request in between reads the marker instead of trusting "open"."""
    h = harnesses(worker=False)
    h.set_enqueue(lambda job_id: None)
    assert no_key_submit(h) == 202
    subscribed(h)
    listener = h.jobs.completions()
    wait_for(lambda: listener.keys_required() is False, 5, "the marker cached")
    setattr(listener, stage, slowed(getattr(listener, stage), 1.0))
    KeyStore(h.jobs.redis, h.jobs.prefix).create("ci")
    time.sleep(0.2)  # the message has reached the listener's socket (or its thread)
    assert listener.keys_required() is None  # not known: the request reads it
    assert no_key_submit(h) == 401
    wait_for(lambda: listener.keys_required() is True, 5, "the event handled")


def test_the_service_waits_through_each_api_process_listener(stack):
    """The compose file's API (gunicorn, 2 processes) and a real worker."""
    client = stack.redis()

    def listeners() -> list[str]:
        return client.pubsub_channels(f"{stack.prefix}api-waiters:*")

    def submit() -> dict:
        answer = requests.post(
            f"{stack.api_url}/api/v1/extract",
            data=JPEG,
            headers={"Content-Type": "image/jpeg"},
            params={"wait": 20, "pixels": "false"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    wait_for(lambda: submit() and len(listeners()) == 2, 30, "both processes' listeners")
    before = calls(client, "subscribe")
    bodies = [submit() for _ in range(6)]
    assert calls(client, "subscribe") == before
    for body in bodies:
        assert body["status"] == "completed"
        assert client.hget(f"{stack.prefix}job:{body['uuid']}", "notify") in listeners()


def answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_after_a_redis_restart_the_listener_subscribes_again_and_logs_the_outage_once(
    tmp_path, caplog
):
    if shutil.which("redis-server") is None:
        pytest.skip("needs redis-server")
    port = free_port()
    argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    argv += ["--appendonly", "no", "--dir", str(tmp_path)]

    def start() -> subprocess.Popen:
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
        wait_for(lambda: answers(redis.Redis(port=port)), 10, "redis-server")
        return process

    server = start()
    h = make_harness(f"redis://127.0.0.1:{port}/0", tmp_path, "restart-test:")
    try:
        subscribed(h)
        server.terminate()
        server.wait(10)
        wait_for(lambda: not h.jobs.completions().subscribed, 10, "the listener to notice")
        time.sleep(1.0)  # a few failed reconnects
        server = start()
        subscribed(h)
        before = calls(h.jobs.redis, "subscribe")
        answer = waited(h)
        assert answer.status_code == 200 and answer.get_json()["status"] == "completed"
        assert calls(h.jobs.redis, "subscribe") == before
        lost = [r for r in caplog.records if "completion listener lost Redis" in r.getMessage()]
        assert len(lost) == 1
    finally:
        h.jobs.completions().stop()
        server.terminate()
        server.wait(10)
