"""SSRF through the whole service: with ``ALLOW_PRIVATE_URLS`` off, every forbidden URL form is
refused, and the forbidden server never sees a connection. A scheme or a literal address is
refused at submit (400; a batch's or Ximilar request's item fails from the start), by the very
rules the worker's loader applies; a host name is resolved and refused by the worker
(``url_forbidden`` job).

One loopback server is let through by the test-only ``URL_TEST_ALLOWLIST``: it
serves an image (to show URL jobs still work) and redirects to the forbidden
server (to show every redirect is checked again).
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from common.errors import UrlForbidden
from common.fetch import FetchPolicy, fetch_url
from common.settings import load_settings
from tests.conftest import corpus_files
from tests.support.stack import finished

pytestmark = pytest.mark.integration

IMAGE = next(f for f in corpus_files() if f.id == "exiftool/t/images/GPS.jpg").data


class ConnectionRecorder:
    """A TCP listener on loopback that only counts the connections it accepts."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self.sock.close()


def allowed_server(forbidden_port: int) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/image.jpg":
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(IMAGE)))
                self.end_headers()
                self.wfile.write(IMAGE)
                return
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{forbidden_port}/image.jpg")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def guarded(new_stack):
    forbidden = ConnectionRecorder()
    allowed = allowed_server(forbidden.port)
    allowed_port = allowed.server_address[1]
    stack = new_stack(ALLOW_PRIVATE_URLS="false", URL_TEST_ALLOWLIST=f"127.0.0.1:{allowed_port}")
    stack.start_worker()
    stack.api_url = stack.start_api()
    yield stack, forbidden, f"http://127.0.0.1:{allowed_port}"
    allowed.shutdown()
    allowed.server_close()
    forbidden.close()


def forbidden_urls(port: int) -> list[str]:
    return [
        f"http://localhost:{port}/image.jpg",
        f"http://127.0.0.1:{port}/image.jpg",
        f"http://127.1:{port}/image.jpg",
        f"http://2130706433:{port}/image.jpg",  # 127.0.0.1 as one decimal number
        f"http://0x7f000001:{port}/image.jpg",
        f"http://0.0.0.0:{port}/image.jpg",
        f"http://[::1]:{port}/image.jpg",
        f"http://[::ffff:127.0.0.1]:{port}/image.jpg",  # IPv4-mapped IPv6
        f"http://[2002:7f00:1::]:{port}/image.jpg",  # 6to4 of 127.0.0.1
        f"http://[64:ff9b::7f00:1]:{port}/image.jpg",  # NAT64 of 127.0.0.1
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://10.0.0.1/image.jpg",
        "http://192.168.1.1/image.jpg",
        "http://100.64.0.1/image.jpg",  # shared address space (RFC 6598)
        "http://[fc00::1]/image.jpg",  # unique local
        "http://[fe80::1]/image.jpg",  # link local
        "file:///etc/passwd",
        f"ftp://127.0.0.1:{port}/image.jpg",
        f"gopher://127.0.0.1:{port}/_x",
    ]


def test_every_forbidden_form_is_refused_without_a_connection(guarded):
    stack, forbidden, allowed = guarded
    urls = [*forbidden_urls(forbidden.port), f"{allowed}/redirect"]
    refused, jobs = [], []
    for url in urls:
        answer = requests.post(f"{stack.api_url}/api/v1/extract", json={"url": url})
        if answer.status_code == 400:
            assert answer.json()["success"] is False
            refused.append(url)
        else:
            assert answer.status_code == 202, (url, answer.text)
            jobs.append((url, answer.json()))
    # Only what needs resolving (a host name) or fetching (a redirect) gets as far as a job.
    assert [url for url, _ in jobs] == [urls[0], urls[-1]]
    for url, body in jobs:
        result = finished(stack.api_url, body)
        assert result["status"] == "failed", (url, result)
        assert result["error"]["code"] == "url_forbidden", (url, result)
    # The worker's loader refuses each of them too, with the same policy, before connecting.
    policy = FetchPolicy.from_settings(load_settings(**stack.settings()))
    for url in refused:
        with pytest.raises(UrlForbidden):
            fetch_url(url, policy)
    assert forbidden.accepted == 0


def test_batches_and_similarity_records_fail_forbidden_urls_from_the_start(guarded):
    stack, forbidden, allowed = guarded
    bad = forbidden_urls(forbidden.port)[1]  # a literal loopback address
    batch = requests.post(
        f"{stack.api_url}/api/v1/batch",
        json={"urls": [bad, f"{allowed}/image.jpg"], "operations": "hash", "wait": 20},
    ).json()
    assert (batch["completed"], batch["failed"]) == (1, 1), batch
    assert batch["items"][0]["error"]["code"] == "url_forbidden"
    answer = requests.post(
        f"{stack.api_url}/api/v1/visual_hash",
        params={"wait": 20},
        json={"records": [{"_url": bad, "_id": 1}, {"_url": f"{allowed}/image.jpg", "_id": 2}]},
    ).json()
    statuses = {record["_id"]: record["_status"] for record in answer["records"]}
    assert statuses[1]["text"] == "url_forbidden" and statuses[2]["code"] == 200, answer
    assert forbidden.accepted == 0


def test_the_allowlisted_server_itself_is_reachable(guarded):
    stack, _, allowed = guarded
    answer = requests.post(
        f"{stack.api_url}/api/v1/hash", json={"url": f"{allowed}/image.jpg", "types": "md5"}
    )
    result = finished(stack.api_url, answer.json())
    assert result["status"] == "completed", result
    assert result["fileName"] == "image.jpg"
