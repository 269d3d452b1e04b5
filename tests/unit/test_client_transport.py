"""The client's transport against a small local stub server: 429/503 retried after their
``Retry-After``, bodies sent again whole, typed errors, an unreachable server, timeouts.

The stub answers from a script of ``(status, headers, body)`` and records what it got;
the client's pauses go to a list instead of ``time.sleep``, so the backoff is checked
exactly and the tests take no time waiting.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import itertools
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from exifq import Client
from exifq.errors import (
    BadRequest,
    NotFound,
    RateLimited,
    ServerError,
    ServerUnreachable,
    TimedOut,
    TooLarge,
    Unauthorized,
    Unavailable,
    UnsupportedMedia,
    from_answer,
)
from exifq.transport import backoff, connection_reason, retry_after
from tests.support.stack import free_port

Answer = tuple[int, dict[str, str], bytes]


class Stub:
    """A loopback HTTP server that answers from ``script`` in order (the last one repeats)."""

    def __init__(self, script: list[Answer], delay: float = 0.0) -> None:
        self.script = list(script)
        self.requests: list[tuple[str, str, bytes]] = []
        self.headers: list[dict[str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                stub.requests.append((self.command, self.path, self.rfile.read(length)))
                stub.headers.append(dict(self.headers))
                script = stub.script
                status, headers, body = script.pop(0) if len(script) > 1 else script[0]
                time.sleep(delay)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(body)  # the client may have given up (a timeout test)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


DONE = (200, {}, body(success=True, uuid="u", status="completed", hashes={"md5": "x"}))
BUSY = (429, {"Retry-After": "7"}, body(success=False, error="Too many requests"))


@pytest.fixture
def stub() -> Iterator[callable]:
    made: list[Stub] = []

    def make(script: list[Answer], delay: float = 0.0) -> tuple[Client, Stub, list[float]]:
        server = Stub(script, delay)
        made.append(server)
        client = Client(server.url, retries=3)
        client._limits = {}  # the stub's script is not asked for /api/v1/limits first
        slept: list[float] = []
        client.transport.sleep = slept.append
        return client, server, slept

    yield make
    for server in made:
        server.close()


def test_429_is_retried_after_its_retry_after_and_the_upload_is_sent_again_whole(stub):
    client, server, slept = stub([BUSY, BUSY, DONE])
    data = bytes(range(256)) * 300
    assert client.hash(data, name="a.jpg", types="md5")["hashes"] == {"md5": "x"}
    assert slept == [7.0, 7.0]
    posts = [sent for method, _, sent in server.requests if method == "POST"]
    assert len(posts) == 3
    assert all(data in sent and b'name="types"' in sent and b"md5" in sent for sent in posts)


def test_a_file_object_is_read_again_from_where_it_stood_for_each_attempt(stub):
    client, server, _ = stub([BUSY, DONE])
    file = io.BytesIO(b"HEAD" + b"x" * 5000)
    file.read(4)  # the caller already consumed a header: the rest is the image
    client.hash(file)
    first, second = (sent for method, _, sent in server.requests if method == "POST")
    assert b"x" * 5000 in first and b"x" * 5000 in second and b"HEAD" not in second


def test_503_without_retry_after_backs_off_exponentially_then_gives_up(stub):
    unavailable = (503, {}, body(success=False, error="service temporarily unavailable"))
    client, server, slept = stub([unavailable])
    with pytest.raises(Unavailable) as caught:
        client.limits()
    assert slept == [1.0, 2.0, 4.0]  # retries=3
    assert len(server.requests) == 4
    assert caught.value.code == "service_unavailable" and caught.value.status == 503
    assert caught.value.message == "service temporarily unavailable"


def test_a_429_that_persists_is_rate_limited_with_the_server_s_wait(stub):
    client, _, slept = stub([BUSY])
    with pytest.raises(RateLimited) as caught:
        client.distance("ff", "fe")
    assert caught.value.retry_after == 7.0 and caught.value.code == "rate_limited"
    assert slept == [7.0, 7.0, 7.0]


def test_retry_after_reads_seconds_and_http_dates():
    now = time.time()
    assert retry_after("120") == 120.0
    assert retry_after(email.utils.formatdate(now + 30, usegmt=True), now) == pytest.approx(
        30, abs=1
    )
    assert retry_after(email.utils.formatdate(now - 30, usegmt=True), now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None
    assert [backoff(n) for n in (1, 2, 3, 6, 9)] == [1, 2, 4, 30, 30]


@pytest.mark.parametrize(
    ("status", "cls", "code"),
    [
        (400, BadRequest, "bad_request"),
        (401, Unauthorized, "unauthorized"),
        (404, NotFound, "not_found"),
        (413, TooLarge, "too_large"),
        (415, UnsupportedMedia, "unsupported_format"),
        (500, ServerError, "internal_error"),
    ],
)
def test_http_errors_are_typed_and_carry_the_api_s_code_and_message(stub, status, cls, code):
    client, server, slept = stub([(status, {}, body(success=False, error="what went wrong"))])
    with pytest.raises(cls) as caught:
        client.extract(b"abc")
    assert (caught.value.code, caught.value.message, caught.value.status) == (
        code,
        "what went wrong",
        status,
    )
    assert str(caught.value) == f"{code}: what went wrong"
    assert slept == [] and len(server.requests) == 1  # never retried


def test_the_api_s_own_code_wins_and_a_non_json_answer_is_still_an_error():
    said = from_answer(413, {"success": False, "error": "pixels", "code": "decompression_bomb"})
    assert isinstance(said, TooLarge) and said.code == "decompression_bomb"
    assert from_answer(418, {}).code == "http_418"


def test_a_proxy_s_html_502_is_unavailable(stub):
    client, _, slept = stub([(502, {"Content-Type": "text/html"}, b"<html>Bad gateway</html>")])
    with pytest.raises(Unavailable, match="not JSON"):
        client.limits()
    assert len(slept) == 3


def test_bad_options_are_refused_before_anything_is_sent(stub):
    client, server, _ = stub([DONE])
    with pytest.raises(BadRequest, match="unknown types: sha1"):
        client.hash(b"abc", types="sha1,md5")
    with pytest.raises(BadRequest, match="unknown option for hash: keep"):
        client.hash(b"abc", keep="icc")
    with pytest.raises(BadRequest, match="pixels must be true or false"):
        client.extract(b"abc", pixels="maybe")
    with pytest.raises(BadRequest, match="unknown option for extract, hash: color"):
        client.batch([b"abc"], "extract,hash", color=True)
    assert server.requests == []


def test_an_unreachable_server_is_one_clear_error_at_once():
    client = Client(f"http://127.0.0.1:{free_port()}")
    slept: list[float] = []
    client.transport.sleep = slept.append
    with pytest.raises(ServerUnreachable) as caught:
        client.hash(b"abc")
    assert slept == []
    assert caught.value.code == "server_unreachable"
    assert caught.value.message.endswith(": Connection refused")
    assert "Max retries" not in str(caught.value) and "HTTPConnectionPool" not in str(caught.value)


def test_connection_reason_finds_the_socket_error_inside_requests_wrappers():
    import requests

    client = Client(f"http://127.0.0.1:{free_port()}")
    try:
        client.transport.session.get(client.transport.url("/"), timeout=2)
    except requests.ConnectionError as exc:
        assert connection_reason(exc) == "Connection refused"
    else:  # pragma: no cover - something listens there
        pytest.skip("the free port was taken")


def test_a_server_that_does_not_answer_in_time_is_timed_out(stub):
    client, _, _ = stub([DONE], delay=3.0)
    with pytest.raises(TimedOut, match="no answer"):
        client.transport.request("GET", "/api/v1/limits", read_timeout=0.5)


def test_a_job_that_does_not_finish_in_time_is_timed_out(stub):
    queued = (202, {}, body(success=True, uuid="u", status="queued", statusUrl="/api/v1/hash/u"))
    client, server, slept = stub([queued])
    client.transport.sleep = lambda seconds: (slept.append(seconds), time.sleep(seconds))
    with pytest.raises(TimedOut, match="job u did not finish"):
        client.hash(b"abc", timeout=1.5)
    # The stub answers every poll at once: the client spaced them out instead of spinning.
    assert slept and slept[0] == 0.5 and all(b >= a for a, b in itertools.pairwise(slept))
    assert len(server.requests) < 12


def test_each_pause_is_said_and_the_wait_has_a_ceiling(stub):
    client, _, slept = stub([(429, {"Retry-After": "400"}, body(error="slow down")), DONE])
    heard = []
    client.transport.on_wait = lambda error, pause: heard.append((error.code, pause))
    client.hash(b"abc")
    assert heard == [("rate_limited", 300.0)] and slept == [300.0]  # MAX_DELAY
    client, _, slept = stub([(429, {"Retry-After": "300"}, body(error="slow down"))])
    client.transport.retries = 10
    with pytest.raises(RateLimited):
        client.hash(b"abc")
    assert slept == [300.0, 300.0, 300.0]  # then 900 s of waiting in all: given up


def test_a_batch_fits_the_caller_s_rate_limit(stub):
    limits = body(
        success=True,
        maxBatchItems=100,
        maxBatchBytes=10**9,
        rateLimits=[{"amount": 3, "per": "minute"}, {"amount": 1000, "per": "day"}],
    )
    accepted = body(success=True, uuid="b", status="processing")
    client, server, _ = stub([(200, {}, limits), (202, {}, accepted)])
    run_ = client.batch([b"1", b"2", b"3", b"4", b"5", b"6", b"7"], "hash")
    assert len(run_.ids) == 3  # 3 + 3 + 1
    posts = [sent for method, _, sent in server.requests if method == "POST"]
    assert [sent.count(b'name="file"') for sent in posts] == [3, 3, 1]


def test_a_download_redirected_elsewhere_does_not_carry_the_key(stub, tmp_path):
    _, storage, _ = stub([(200, {"Content-Type": "image/jpeg"}, b"cleaned bytes")])
    presigned = f"{storage.url}/bucket/cleaned/x.jpg?X-Amz-Signature=abc"
    _, api, _ = stub([(302, {"Location": presigned}, b"")])
    client = Client(api.url, api_key="secret-key")
    client.download("/download-cleaned/x", tmp_path / "x.jpg")
    assert (tmp_path / "x.jpg").read_bytes() == b"cleaned bytes"
    assert api.headers[0]["X-API-Key"] == "secret-key"
    assert "X-API-Key" not in storage.headers[0]
    assert storage.requests[0][1] == "/bucket/cleaned/x.jpg?X-Amz-Signature=abc"


def test_an_upload_over_the_server_s_limit_is_not_sent(stub):
    client, server, _ = stub([(200, {}, body(success=True, maxUploadBytes=1000)), DONE])
    client._limits = None  # this time the client asks
    with pytest.raises(TooLarge) as caught:
        client.hash(bytes(1001), name="big.jpg")
    assert caught.value.status is None and "big.jpg: 1,001 bytes" in caught.value.message
    assert [(method, path) for method, path, _ in server.requests] == [("GET", "/api/v1/limits")]
    client.hash(bytes(1000))  # at the limit: sent
    assert server.requests[-1][:2] == ("POST", "/api/v1/hash?wait=30")


def test_a_connection_the_server_drops_is_not_unreachable():
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drop() -> None:
        connection, _ = listener.accept()
        connection.recv(1024)
        connection.close()  # no answer

    threading.Thread(target=drop, daemon=True).start()
    client = Client(f"http://127.0.0.1:{listener.getsockname()[1]}")
    with pytest.raises(Unavailable) as caught:
        client.limits()
    listener.close()
    assert caught.value.code == "connection_lost"
    assert "closed the connection before answering" in caught.value.message
