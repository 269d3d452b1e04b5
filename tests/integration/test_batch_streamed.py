"""A multipart batch read as it arrives, through the real service (gunicorn API → Redis → a
Celery worker → moto's S3): items run while the body is still being sent, and a request that
fails part-way leaves nothing behind."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
import requests

from api.batch_stream import GROUP_CHUNKS
from common.batches import RECEIVING_TOTAL, SPREAD
from common.jobs import COMPLETED
from tests.integration.test_faults import small_images
from tests.support.operations import run
from tests.support.stack import Stack, wait_for

pytestmark = pytest.mark.integration

FIRST_GROUP = SPREAD * GROUP_CHUNKS[0]  # files written (and sent) before the first pause
BOUNDARY = "exifq-streamed-test"


def _part(name: str, data: bytes, filename: str | None = None) -> bytes:
    disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
    return f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n\r\n".encode() + data + b"\r\n"


def _receiving_batch(client: redis.Redis, prefix: str) -> str | None:
    """The UUID of the batch still being received (its total not yet set), if there is one."""
    for key in client.scan_iter(f"{prefix}batch:*"):
        if client.hget(key, "total") == str(RECEIVING_TOTAL):
            return key.rsplit(":", 1)[1]
    return None


def _some_item_completed(client: redis.Redis, prefix: str) -> str | None:
    batch_id = _receiving_batch(client, prefix)
    if batch_id is None:
        return None
    entries = client.hgetall(f"{prefix}batch-status:{batch_id}")
    states = [json.loads(entry) for job_id, entry in entries.items() if job_id != "-"]
    return batch_id if any(state["status"] == COMPLETED for state in states) else None


@pytest.fixture(scope="module")
def service(new_stack) -> Stack:
    stack = new_stack()
    stack.start_worker()
    stack.api_url = stack.start_api()
    return stack


def test_items_run_while_the_body_is_still_arriving(service):
    files = small_images(FIRST_GROUP + 136)
    client = service.redis()
    seen: dict[str, object] = {}

    def body() -> Iterator[bytes]:
        yield _part("operations", b"extract") + _part("pixels", b"false")
        for i, file in enumerate(files):
            yield _part("file", file.data, f"{i:03d}-{file.path.name}")
            if i == FIRST_GROUP + 5:  # pause until the service ran an item of this batch
                started = time.monotonic()
                seen["batch"] = wait_for(
                    lambda: _some_item_completed(client, service.prefix), 120, "an item run"
                )
                seen["paused"] = time.monotonic() - started
        yield f"--{BOUNDARY}--\r\n".encode()

    answer = requests.post(
        f"{service.api_url}/api/v1/batch",
        data=body(),  # chunked: the API reads it as it comes
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=180,
    )
    assert answer.status_code == 202, answer.text
    accepted = answer.json()
    assert accepted["uuid"] == seen["batch"] and accepted["total"] == len(files)

    def done() -> dict | None:
        status = requests.get(
            f"{service.api_url}{accepted['statusUrl']}", params={"wait": 10}, timeout=30
        ).json()
        return status if status["status"] != "processing" else None

    status = wait_for(done, 240, "the batch", interval=0)
    assert (status["total"], status["completed"], status["failed"]) == (len(files), len(files), 0)
    items = []
    for offset in (0, 100):
        page = requests.get(
            f"{service.api_url}{accepted['statusUrl']}",
            params={"offset": offset, "limit": 100, "include": "results"},
            timeout=30,
        ).json()
        items += page["items"]
    names = [f"{i:03d}-{file.path.name}" for i, file in enumerate(files)]
    assert [item["name"] for item in items] == names
    for index in (0, FIRST_GROUP + 5, len(files) - 1):  # the single-job path's results
        expected = run("extract", files[index].data, names[index], pixels=False).result
        assert items[index]["result"] == expected


def test_a_client_gone_part_way_leaves_nothing_behind(service):
    """The connection closes after the first group was written and sent: the API takes back
    the batch and its jobs, and the worker drops their messages."""
    files = small_images(FIRST_GROUP + 20)
    head = _part("operations", b"hash") + b"".join(
        _part("file", file.data, f"{i}.jpg") for i, file in enumerate(files)
    )
    address = urlsplit(service.api_url)
    client = service.redis()
    before = set(client.scan_iter(f"{service.prefix}job:*"))
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        request = (
            "POST /api/v1/batch HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(head) + 100_000}\r\n\r\n"
        )
        sock.sendall(request.encode() + head)
        batch_id = wait_for(
            lambda: _receiving_batch(client, service.prefix), 60, "the batch to be opened"
        )
    # The socket is closed: the API's read fails, and it removes what it wrote.

    def taken_back() -> bool:
        return not client.exists(f"{service.prefix}batch:{batch_id}") and not (
            set(client.scan_iter(f"{service.prefix}job:*")) - before
        )

    wait_for(taken_back, 60, "the batch to be taken back")
    time.sleep(1)  # whatever the worker still held: it found no record
    assert set(client.scan_iter(f"{service.prefix}job:*")) - before == set()
    assert not client.exists(f"{service.prefix}batch-items:{batch_id}")


def test_an_option_after_files_at_work_is_a_clear_400_through_gunicorn(service):
    files = small_images(FIRST_GROUP + 4)
    raw = b"".join(_part("file", file.data, f"{i}.jpg") for i, file in enumerate(files))
    raw += _part("operations", b"hash") + f"--{BOUNDARY}--\r\n".encode()
    client = service.redis()
    before = set(client.scan_iter(f"{service.prefix}*"))
    answer = requests.post(
        f"{service.api_url}/api/v1/batch",
        data=raw,
        headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
        timeout=60,
    )
    assert answer.status_code == 400, answer.text
    assert "send operations and options before the files" in answer.json()["error"]
    time.sleep(1)  # the worker drops what it was sent
    left = {
        key
        for key in set(client.scan_iter(f"{service.prefix}*")) - before
        if ":job:" in key or ":batch" in key
    }
    assert left == set()
