"""Webhooks against the real stack: a loopback receiver (reached through URL_TEST_ALLOWLIST, with
ALLOW_PRIVATE_URLS off) gets one correctly signed POST per finished job and batch, carrying what
the status URL answers, and a second one after it answered 500 (docs/operators.md)."""

from __future__ import annotations

import io
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from PIL import Image

from common.webhooks import SIGNATURE_HEADER, verify
from tests.support.stack import finished, wait_for

pytestmark = pytest.mark.integration

SECRET = "whsec-test"


class Receiver:
    """A loopback HTTP server that records POSTs and answers 500 to the paths in ``fail``."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, dict, bytes, float]] = []
        self.fail: set[str] = set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.path, dict(self.headers), body, time.time()))
                status = 500 if self.path in receiver.fail else 200
                receiver.fail.discard(self.path)  # fails once
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def to(self, path: str) -> list:
        return [post for post in self.posts if post[0] == path]


def png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (shade, 0, 0)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def service(new_stack):
    receiver = Receiver()
    stack = new_stack(
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_RETRY_SECONDS=1,
        URL_TEST_ALLOWLIST=f"127.0.0.1:{receiver.port}",
        ALLOW_PRIVATE_URLS="false",
    )
    stack.start_worker(concurrency=2)
    yield stack, stack.start_api(), receiver
    receiver.server.shutdown()


def test_one_signed_post_per_job_and_a_retry_after_a_500(service):
    _stack, api, receiver = service
    receiver.fail.add("/hook/0")
    jobs = []
    for i in range(3):
        answer = requests.post(
            f"{api}/api/v1/hash",
            files={"file": (f"{i}.png", png(i * 50))},
            data={"callbackUrl": receiver.url(f"/hook/{i}")},
        )
        assert answer.status_code == 202, answer.text
        jobs.append(answer.json())
    files = [("file", (f"b{i}.png", png(200 + i))) for i in range(2)]
    batch = requests.post(
        f"{api}/api/v1/batch",
        files=files,
        data={"operations": "hash", "callbackUrl": receiver.url("/hook/batch")},
    )
    assert batch.status_code == 202, batch.text
    wanted = {"/hook/0": 2, "/hook/1": 1, "/hook/2": 1, "/hook/batch": 1}
    wait_for(lambda: all(len(receiver.to(path)) >= n for path, n in wanted.items()), 60, "webhooks")
    time.sleep(3)  # nothing more arrives: one POST per job (plus the one retry)
    assert {path: len(receiver.to(path)) for path in wanted} == wanted

    for i, job in enumerate(jobs):
        status = finished(api, job)
        for _path, headers, body, at in receiver.to(f"/hook/{i}"):
            assert verify(SECRET, headers[SIGNATURE_HEADER], body, now=at)
            assert json.loads(body) == status
            assert headers["Content-Type"] == "application/json"
    (_first, _, _, failed_at), (_, retry_headers, _, retried_at) = receiver.to("/hook/0")
    assert retry_headers["X-Exifq-Attempt"] == "2" and retried_at - failed_at >= 0.9
    (_, headers, body, at) = receiver.to("/hook/batch")[0]
    assert verify(SECRET, headers[SIGNATURE_HEADER], body, now=at)
    sent = json.loads(body)
    assert sent["uuid"] == batch.json()["uuid"] and sent["status"] == "completed"
    assert (sent["total"], sent["completed"]) == (2, 2)


def test_callback_urls_the_policy_refuses_are_refused_at_submission(service):
    _stack, api, _receiver = service
    for url in (
        "http://127.0.0.1:9/hook",  # loopback, not on the allowlist
        "http://169.254.169.254/latest/meta-data/",
        "ftp://example.com/hook",
        "http://user:pw@example.com/hook",
    ):
        answer = requests.post(
            f"{api}/api/v1/hash", files={"file": ("a.png", png(1))}, data={"callbackUrl": url}
        )
        assert answer.status_code == 400, url
        assert answer.json()["success"] is False
