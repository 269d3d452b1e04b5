"""A multipart batch read as it arrives (``api.batch_stream``): groups written while the body is
read, parameters before the files, and nothing left behind when the request fails part-way.

The API and the pipeline in-process (``tests.support.harness``) over the machine's real Redis
under a private key prefix, so the Lua scripts (finish, seal) run in Redis itself.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import time
import uuid
from dataclasses import dataclass, field

import pytest
import redis
from kombu.exceptions import OperationalError

from api.batch_stream import GROUP_CHUNKS, LATE_PARAMETER
from common.batches import PLAIN, SPREAD, BatchStore, channel
from common.clock import ManualClock
from common.errors import TransientError
from common.fetch import Fetched
from common.jobs import JobStore
from common.settings import load_settings
from common.storage.local import LocalStorage
from common.tasks import CHUNK_TASK, WEBHOOK_TASK
from tests.conftest import corpus_files
from tests.support.harness import Harness
from tests.support.operations import run
from tests.support.stack import MACHINE_REDIS, delete_prefix

JPEG = "exif-samples/jpg/Canon_40D.jpg"
PNG = "Pillow/Tests/images/exif.png"
BOUNDARY = "exifq-test-boundary"
FIRST_GROUP = SPREAD * GROUP_CHUNKS[0]  # jobs written before the first task is sent


def _data(file_id: str) -> bytes:
    return next(f for f in corpus_files() if f.id == file_id).data


@pytest.fixture()
def make(tmp_path):
    """``make(**settings)``: a harness over real Redis (its own prefix, deleted afterwards)."""
    client = redis.Redis.from_url(MACHINE_REDIS, decode_responses=True)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefixes: list[str] = []

    def build(eager: bool = False, **settings: object) -> Recording:
        fields = {"eager": eager}
        prefix = f"stream-test-{uuid.uuid4().hex[:8]}:"
        prefixes.append(prefix)
        config = load_settings(LOCAL_STORAGE_DIR=tmp_path / prefix / "store", **settings)
        clock = ManualClock()
        jobs = JobStore(client, prefix=prefix, ttl=config.RESULT_TTL_SECONDS, clock=clock)
        storage = LocalStorage(config.LOCAL_STORAGE_DIR)
        storage.ensure_ready()
        return Recording(config, clock, jobs, storage, **fields)

    yield build
    for prefix in prefixes:
        delete_prefix(MACHINE_REDIS, prefix)


def body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    """A multipart body of ``(name, filename or None, data)`` parts, in this order."""
    out = io.BytesIO()
    for name, filename, data in parts:
        out.write(f"--{BOUNDARY}\r\n".encode())
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        out.write(f"Content-Disposition: {disposition}\r\n\r\n".encode())
        out.write(data + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue()


def post(h: Harness, raw: bytes, query: str = "", **kwargs):
    return h.client.post(
        f"/api/v1/batch{query}",
        data=raw,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **kwargs,
    )


def files(count: int, data: bytes | None = None) -> list[tuple[str, str, bytes]]:
    data = data if data is not None else _data(JPEG)
    return [("file", f"dir/{i:04d}.jpg", data) for i in range(count)]


@dataclass
class Recording(Harness):
    """A harness that also keeps each chunk task as sent, and can run a chunk's jobs as soon as
    it is sent (``eager``: workers faster than the upload)."""

    chunks: list[list[str]] = field(default_factory=list)
    eager: bool = False

    def _send_task(self, name: str, args: list) -> None:
        if name == CHUNK_TASK:
            self.chunks.append(list(args[0]))
        super()._send_task(name, args)
        if self.eager and name == CHUNK_TASK:
            run_all(self)


def run_all(h: Harness) -> None:
    """What the workers do with every job task sent so far."""
    while h.sent:
        h.process(h.sent.pop(0))


def leftovers(h: Harness) -> dict:
    """What the harness's prefix holds in Redis (metrics aside) and what storage holds."""
    keys = h.jobs.redis.keys(f"{h.jobs.prefix}*")
    kept = [k for k in keys if not k.startswith(f"{h.jobs.prefix}metrics")]
    uploads = h.settings.LOCAL_STORAGE_DIR / "uploads"
    stored = sorted(p.name for p in uploads.rglob("*") if p.is_file()) if uploads.exists() else []
    return {"keys": sorted(kept), "uploads": stored}


def items_of(h: Harness, status_url: str) -> list[dict]:
    found: list[dict] = []
    offset = 0
    while True:
        page = h.client.get(f"{status_url}?offset={offset}&include=results").get_json()
        found += page["items"]
        if "nextOffset" not in page:
            return found
        offset = page["nextOffset"]


def test_a_large_body_is_written_in_growing_groups_with_items_in_order(make):
    h = make()
    jpeg, png = _data(JPEG), _data(PNG)
    inline = b"data:image/png;base64," + base64.b64encode(png)
    parts = [("operations", None, b"extract,hash"), ("types", None, b"md5")]
    parts += [("file", f"a/{i:03d}.jpg", jpeg) for i in range(150)]
    parts += [("url", None, b"http://images.test/1.jpg"), ("urls", None, b"not a url")]
    parts += [("file", "notes.txt", b"just text"), ("url", None, b"http://images.test/2.jpg")]
    parts += [("base64", None, inline)]
    answer = post(h, body(parts))
    assert answer.status_code == 202, answer.get_json()
    accepted = answer.get_json()
    # 151 files, a base64 file and 3 URLs, x 2 operations; notes.txt and "not a url" fail.
    assert (accepted["total"], accepted["failed"], accepted["status"]) == (310, 4, "processing")
    # Groups of 8 chunks of 8 jobs, then of 16 while the body came; the rest at its end.
    sizes = [len(chunk) for chunk in h.chunks]
    assert sizes[:16] == [8] * 8 + [16] * 8 and max(sizes) <= 32, sizes
    items = items_of(h, accepted["statusUrl"])
    names = [f"a/{i:03d}.jpg" for i in range(150)] + ["notes.txt", "base64-0.png"]
    names += ["http://images.test/1.jpg", "http://images.test/2.jpg", "not a url"]
    ops = ["extract", "hash"]
    assert [(i["index"], i["name"], i["op"]) for i in items] == [
        (2 * n + k, name, op) for n, name in enumerate(names) for k, op in enumerate(ops)
    ]
    queued = [i["uuid"] for i in items if i["status"] == "queued"]
    assert queued == [job_id for chunk in h.chunks for job_id in chunk] and len(queued) == 306

    for url in ("http://images.test/1.jpg", "http://images.test/2.jpg"):
        h.fetched[url] = Fetched(jpeg, "x.jpg", "image/jpeg", "")
    run_all(h)
    items = items_of(h, accepted["statusUrl"])
    assert items[0]["result"] == run("extract", jpeg, "000.jpg").result
    assert items[303]["result"] == run("hash", png, "base64-0.png", types="md5").result
    assert [i["name"] for i in items if i["status"] == "failed"] == ["notes.txt"] * 2 + [
        "not a url"
    ] * 2
    status = h.client.get(accepted["statusUrl"]).get_json()
    assert (status["total"], status["completed"], status["failed"]) == (310, 306, 4)
    assert status["status"] == "completed_with_errors"


def test_a_parameter_after_the_files_applies_while_nothing_is_written(make):
    h = make()
    parts = [*files(5), ("operations", None, b"hash"), ("types", None, b"md5")]
    answer = post(h, body(parts), query="?operations=extract")
    assert answer.status_code == 202, answer.get_json()
    run_all(h)
    items = items_of(h, answer.get_json()["statusUrl"])
    assert [i["op"] for i in items] == ["hash"] * 5
    assert set(items[0]["result"]["hashes"]) == {"md5"}


def test_a_wrong_parameter_before_the_files_is_a_400_and_creates_nothing(make):
    h = make()
    answer = post(h, body([("operations", None, b"resize"), *files(100)]))
    assert answer.status_code == 400 and "operations" in answer.get_json()["error"]
    assert h.chunks == [] and leftovers(h) == {"keys": [], "uploads": []}


def test_a_parameter_after_files_at_work_is_a_400_and_everything_is_taken_back(make):
    h = make()
    parts = [("operations", None, b"extract"), *files(FIRST_GROUP + 3)]
    parts += [("operations", None, b"extract")]  # a repeat: the first one counts, as ever
    parts += [("pixels", None, b"false"), *files(2)]
    answer = post(h, body(parts))
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert LATE_PARAMETER in error and "'pixels'" in error
    assert len(h.chunks) == SPREAD  # the first group was written and sent...
    assert leftovers(h) == {"keys": [], "uploads": []}  # ...and taken back
    assert {h.process(job_id) for job_id in h.sent} == {"missing"}  # a worker drops them


def test_too_many_inputs_part_way_is_a_400_and_everything_is_taken_back(make):
    h = make(MAX_BATCH_ITEMS=100)
    answer = post(h, body(files(101)))
    assert answer.status_code == 400
    assert answer.get_json()["error"] == "too many inputs: more than 100 (limit 100)"
    assert len(h.chunks) == SPREAD and leftovers(h) == {"keys": [], "uploads": []}


def test_items_run_before_the_failure_leave_nothing_in_redis(make):
    h = make(eager=True)  # every chunk runs as soon as it is sent
    parts = [*files(FIRST_GROUP), ("pixels", None, b"false"), *files(1)]
    answer = post(h, body(parts))
    assert answer.status_code == 400
    assert leftovers(h) == {"keys": [], "uploads": []}
    assert len(list((h.settings.LOCAL_STORAGE_DIR / "results").iterdir())) == FIRST_GROUP


@pytest.mark.parametrize("cut", ["length", "boundary"])
def test_a_truncated_body_is_a_400_and_everything_is_taken_back(make, cut):
    h = make()
    raw = body(files(FIRST_GROUP + 10))
    if cut == "length":  # the client went away: fewer bytes than Content-Length
        partial = raw[: len(raw) - 5000]
        answer = h.client.post(
            "/api/v1/batch",
            input_stream=io.BytesIO(partial),
            content_length=len(raw),
            content_type=f"multipart/form-data; boundary={BOUNDARY}",
        )
    else:  # the body ends without its closing boundary
        answer = post(h, raw[: len(raw) - 5000])
    assert answer.status_code == 400, answer.get_json()
    assert len(h.chunks) == SPREAD and leftovers(h) == {"keys": [], "uploads": []}


def test_a_rate_limit_reached_part_way_is_a_429_and_everything_is_taken_back(make):
    h = make(RATE_LIMIT="150/minute")
    answer = post(h, body(files(3 * FIRST_GROUP)))
    assert answer.status_code == 429, answer.get_json()
    assert len(h.chunks) == SPREAD
    assert [k for k in leftovers(h)["keys"] if "ratelimit" not in k] == []
    assert leftovers(h)["uploads"] == []


def test_a_file_over_the_upload_limit_is_one_failed_item(make):
    h = make(MAX_UPLOAD_BYTES=50_000)
    small = _data(JPEG)
    big = small + bytes(200_000)  # read in several pieces
    parts = [("file", f"{i}.jpg", small) for i in range(FIRST_GROUP)]
    answer = post(h, body([*parts, ("file", "big.jpg", big), ("file", "last.jpg", small)]))
    assert answer.status_code == 202, answer.get_json()
    run_all(h)
    items = items_of(h, answer.get_json()["statusUrl"])
    assert [i["status"] for i in items] == ["completed"] * FIRST_GROUP + ["failed", "completed"]
    assert items[FIRST_GROUP]["error"]["code"] == "too_large"


@pytest.mark.parametrize("eager", [True, False])
def test_the_batch_end_is_reported_once_whether_the_seal_or_a_finish_sees_it(make, eager):
    """Eager: every item is finished before the body ends, so the seal reports the end;
    otherwise the last item's finish does. Either way one webhook task, and the answer is
    right."""
    h = make(eager=eager, WEBHOOK_SECRET="s")
    query = "?callbackUrl=https://hooks.example.com/done&operations=hash&types=md5"
    answer = post(h, body(files(FIRST_GROUP + 5)), query=query)
    assert answer.status_code in (200, 202), answer.get_json()
    accepted = answer.get_json()
    assert accepted["total"] == FIRST_GROUP + 5
    assert accepted["status"] == ("completed" if eager else "processing")
    run_all(h)
    webhooks = [args for name, args in h.tasks if name == WEBHOOK_TASK]
    assert len(webhooks) == 1 and webhooks[0][0]["kind"] == "batch"
    status = h.client.get(accepted["statusUrl"]).get_json()
    assert (status["completed"], status["failed"]) == (FIRST_GROUP + 5, 0)


def test_a_seal_with_wait_answers_the_finished_batch(make):
    h = make(eager=True)
    answer = post(h, body([("wait", None, b"5"), *files(FIRST_GROUP + 1)]))
    assert answer.status_code == 200
    assert answer.get_json()["status"] == "completed" and len(answer.get_json()["items"]) == 65


@pytest.mark.parametrize("away", ["storage", "broker"])
def test_a_service_away_part_way_is_a_503_and_everything_is_taken_back(make, away):
    h = make()
    if away == "storage":
        put = h.storage.put
        calls = []

        def failing_put(key, data, **kwargs):
            calls.append(key)
            if len(calls) > FIRST_GROUP + 10:
                raise TransientError("storage: the disk is away")
            return put(key, data, **kwargs)

        h.storage.put = failing_put
    else:
        send = h._send_task

        def failing_send(name, args):
            if len(h.chunks) >= SPREAD:
                raise OperationalError("the broker is away")
            send(name, args)

        services = h.app.extensions["exifq"]
        h.app.extensions["exifq"] = dataclasses.replace(services, send_task=failing_send)
    answer = post(h, body(files(3 * FIRST_GROUP)))
    assert answer.status_code == 503, answer.get_json()
    assert len(h.chunks) == SPREAD and leftovers(h) == {"keys": [], "uploads": []}


def test_a_seal_that_finds_every_item_done_wakes_the_batch_waiters(make):
    h = make()
    store = BatchStore(h.jobs)
    listener = h.jobs.redis.pubsub(ignore_subscribe_messages=True)
    listener.subscribe(channel(h.jobs.prefix, "done"), channel(h.jobs.prefix, "open"))
    for batch_id in ("done", "open"):
        store.open(batch_id, PLAIN, owner="o", operations=["hash"])
    assert store.seal("open", 1) is False  # one item still to finish: its finish will publish
    assert store.seal("done", 0) is True
    messages, until = [], time.monotonic() + 1.5  # (subscription replies read as None)
    while time.monotonic() < until:
        if (message := listener.get_message(timeout=0.2)) is not None:
            messages.append((message["channel"], message["data"]))
    listener.close()
    assert messages == [(channel(h.jobs.prefix, "done"), "finished")]
